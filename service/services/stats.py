"""Coverage statistics: per unit and in total against the policy's targets, ranked, month by
month, and the open and overdue reports per department. The coverage answer is kept per process
under the data versions of the tables it reads (an edit shows at once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import stats as repo
from service.db.repositories.stats_shortfalls import shortfalls
from service.domain import coverage
from service.domain.principal import Principal
from service.domain.tile_cache import TileCache
from service.settings import PolicySettings

STATS_TABLES = ("residential_area", "community", "street")


def units(
    session: Session, me: Principal, scope: str, level: str, policy: PolicySettings
) -> list[dict[str, Any]]:
    """Each unit of `level` in reach with its indicators against the targets."""
    rows = repo.coverage_by_unit(session, me, scope, level, policy.renovation_cutoff_year)
    targets = coverage.targets_from(policy)
    return [coverage.unit_view(row, targets) for row in rows]


def totals(session: Session, me: Principal, scope: str, policy: PolicySettings) -> dict[str, Any]:
    """The indicators over everything in reach (合计)."""
    row = repo.scope_totals(session, me, scope, policy.renovation_cutoff_year)
    return coverage.unit_view(
        {**row, "id": None, "code": "", "name": "合计"}, coverage.targets_from(policy)
    )


def coverage_json(
    session: Session,
    me: Principal,
    scope: str,
    level: str,
    policy: PolicySettings,
    cache: TileCache,
) -> bytes:
    """The coverage answer as JSON bytes, from the cache while the data are unchanged."""
    targets = coverage.targets_from(policy)
    key = (
        "coverage",
        level,
        scope,
        me.role,
        me.district_id,
        me.street_id,
        me.community_id,
        repo.data_version(session, STATS_TABLES),
        policy.renovation_cutoff_year,
        tuple(targets.values()),
    )
    body = cache.get(key)
    if body is None:
        result = {
            "level": level,
            "renovation_cutoff_year": policy.renovation_cutoff_year,
            "targets": targets,
            "totals": totals(session, me, scope, policy),
            "units": units(session, me, scope, level, policy),
        }
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
        cache.put(key, body)
    return body


def coverage_csv(
    session: Session, me: Principal, scope: str, level: str, policy: PolicySettings
) -> tuple[str, bytes]:
    """(file name, UTF-8 CSV with a BOM for Excel)."""
    body = "\ufeff" + coverage.coverage_csv(level, units(session, me, scope, level, policy))
    return f"coverage-{level}-{policy.today().isoformat()}.csv", body.encode("utf-8")


def ranking(
    session: Session, me: Principal, scope: str, level: str, policy: PolicySettings
) -> list[dict[str, Any]]:
    return coverage.rank(units(session, me, scope, level, policy))


def trend(
    session: Session, me: Principal, scope: str, policy: PolicySettings, months: int
) -> list[dict[str, Any]]:
    """Coverage at the end of each of the last `months` months."""
    starts = coverage.month_starts(policy.today(), months)
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=UTC)
    cutoff = policy.renovation_cutoff_year
    now = repo.scope_totals(session, me, scope, cutoff)
    changes = repo.coverage_changes_by_month(session, me, scope, cutoff, since)
    return coverage.reconstruct_months(now, changes, starts, coverage.targets_from(policy))


def report_load(
    session: Session, me: Principal, scope: str, policy: PolicySettings
) -> dict[str, Any]:
    """Open and overdue reports per department, as of now (noon of the reference date)."""
    now = datetime.now(UTC)
    if policy.reference_date:
        now = datetime.combine(policy.reference_date, datetime.min.time(), tzinfo=UTC)
        now += timedelta(hours=12)
    return {
        "as_of": now.isoformat(),
        "departments": repo.reports_by_department(session, me, scope, now),
    }


def page(
    session: Session, me: Principal, scope: str, level: str, policy: PolicySettings
) -> dict[str, Any]:
    """What the /stats page shows."""
    return {
        "totals": totals(session, me, scope, policy),
        "units": ranking(session, me, scope, level, policy),
        "trend": trend(session, me, scope, policy, 12),
        "reports": repo.reports_by_department(session, me, scope, datetime.now(UTC)),
        "shortfalls": shortfalls(session, me, scope, policy.renovation_cutoff_year),
    }
