"""Coverage statistics: JSON, CSV (UTF-8 with BOM) and the /stats page. Thin handlers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.api.deps import SessionDep, SettingsDep, require, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.db.repositories import stats as repo
from service.db.repositories.stats_shortfalls import shortfalls
from service.domain import coverage
from service.domain.principal import Principal
from service.domain.tile_cache import TileCache
from service.settings import Settings

router = APIRouter(tags=["statistics"])
Level = Literal["district", "street", "community"]
StatsReader = Annotated[Principal, Depends(require("stats:read"))]


def _today(settings: Settings) -> date:
    return settings.policy.reference_date or datetime.now(UTC).date()


def _units(
    session: Any, me: Principal, scope: str, level: str, settings: Settings
) -> list[dict[str, Any]]:
    rows = repo.coverage_by_unit(session, me, scope, level, settings.policy.renovation_cutoff_year)
    targets = coverage.targets_from(settings.policy)
    return [coverage.unit_view(row, targets) for row in rows]


def _totals(session: Any, me: Principal, scope: str, settings: Settings) -> dict[str, Any]:
    row = repo.scope_totals(session, me, scope, settings.policy.renovation_cutoff_year)
    view = coverage.unit_view({**row, "id": None, "code": "", "name": "合计"}, _targets(settings))
    return view


def _targets(settings: Settings) -> dict[str, float]:
    return coverage.targets_from(settings.policy)


STATS_TABLES = ("residential_area", "community", "street")


def _stats_cache(request: Request) -> TileCache:
    cache = getattr(request.app.state, "stats_cache", None)
    if cache is None:
        cache = request.app.state.stats_cache = TileCache(max_bytes=16 * 1024 * 1024)
    return cache


@router.get("/api/stats/coverage", summary="Coverage per district, street or community")
def read_coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> Response:
    scope = request.state.scope
    # cached under the data versions of the tables it reads: an edit shows at once
    key = (
        "coverage",
        level,
        scope,
        me.role,
        me.district_id,
        me.street_id,
        me.community_id,
        repo.data_version(session, STATS_TABLES),
        settings.policy.renovation_cutoff_year,
        tuple(_targets(settings).values()),
    )
    cache = _stats_cache(request)
    body = cache.get(key)
    if body is None:
        result = {
            "level": level,
            "renovation_cutoff_year": settings.policy.renovation_cutoff_year,
            "targets": _targets(settings),
            "totals": _totals(session, me, scope, settings),
            "units": _units(session, me, scope, level, settings),
        }
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
        cache.put(key, body)
    return Response(body, media_type="application/json")


@router.get("/api/stats/coverage.csv", summary="Coverage as CSV (UTF-8 with BOM, for Excel)")
def download_coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> Response:
    units = _units(session, me, request.state.scope, level, settings)
    body = "\ufeff" + coverage.coverage_csv(level, units)
    filename = f"coverage-{level}-{_today(settings).isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/stats/ranking", summary="Streets ranked by coverage against targets")
def read_ranking(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> dict[str, Any]:
    units = _units(session, me, request.state.scope, level, settings)
    return {"level": level, "units": coverage.rank(units)}


@router.get("/api/stats/trend", summary="Coverage at the end of each recent month")
def read_trend(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> dict[str, Any]:
    scope = request.state.scope
    starts = coverage.month_starts(_today(settings), months)
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=UTC)
    cutoff = settings.policy.renovation_cutoff_year
    totals = repo.scope_totals(session, me, scope, cutoff)
    changes = repo.coverage_changes_by_month(session, me, scope, cutoff, since)
    return {
        "months": coverage.reconstruct_months(totals, changes, starts, _targets(settings)),
    }


@router.get("/api/stats/reports", summary="Open and overdue reports per department")
def read_report_load(
    request: Request, session: SessionDep, settings: SettingsDep, me: StatsReader
) -> dict[str, Any]:
    now = datetime.now(UTC)
    if settings.policy.reference_date:
        now = datetime.combine(settings.policy.reference_date, datetime.min.time(), tzinfo=UTC)
        now += timedelta(hours=12)
    rows = repo.reports_by_department(session, me, request.state.scope, now)
    return {"as_of": now.isoformat(), "departments": rows}


@router.get("/stats", response_class=HTMLResponse, include_in_schema=False)
def stats_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require_page("stats:read"))],
    level: Level = "street",
) -> HTMLResponse:
    from map_ui.stats_page import render_stats_page

    scope = request.state.scope
    units = coverage.rank(_units(session, me, scope, level, settings))
    trend = read_trend(request, session, settings, me, 12)["months"]
    reports = repo.reports_by_department(session, me, scope, datetime.now(UTC))
    html = render_stats_page(
        user=me.username,
        level=level,
        totals=_totals(session, me, scope, settings),
        units=units,
        trend=trend,
        reports=reports,
        viewer_level=me.level,
        shortfalls=shortfalls(session, me, scope, settings.policy.renovation_cutoff_year),
        head=head_tags("覆盖统计"),
        header=header_html(load_shell(request, session, me), "stats"),
    )
    return HTMLResponse(html)
