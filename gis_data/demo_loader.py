"""Load the demo city (郑州市金水区) into an empty, migrated database: one transaction, bulk COPY.

`wangge demo load` and the test fixtures call `load_demo(owner_url, scale=DemoScale.demo())`.
The same seed and scale give the same codes, names, geometry and attributes; timestamps are laid
out backwards from an anchor (Settings.reference_date at 18:00 China time, else the current hour).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import sqlalchemy
from sqlalchemy.engine import make_url

from gis_data import demo_rows, pgcopy
from gis_data.demo_attrs import build_attributes, build_companies
from gis_data.demo_city import Territory, build_territory
from gis_data.demo_companies import load_company_records
from gis_data.demo_patrols import build_patrols
from gis_data.demo_people import DEMO_PASSWORD, DemoUser, build_users
from gis_data.demo_reports import Catalogue, Reports, build_reports, seeded_uuids
from gis_data.demo_scale import DemoScale
from service.domain.passwords import hash_password
from service.settings import get_settings

__all__ = ["DemoScale", "LoadSummary", "database_is_empty", "load_demo"]
N_COMPANIES = 20
# From this many reports on, foreign keys of the big tables are validated once at the end.
BULK_REPORTS = 100_000
BULK_TABLES = ("report", "report_event")


@dataclass(frozen=True)
class LoadSummary:
    """Row counts of what was loaded and how long it took."""

    counts: dict[str, int]
    seconds: float
    seed: int

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        return f"{parts} in {self.seconds:.1f} s (seed {self.seed})"


def database_is_empty(conn: sqlalchemy.Connection) -> bool:
    """True when no district has been loaded yet."""
    return conn.execute(sqlalchemy.text("SELECT NOT EXISTS (SELECT 1 FROM district)")).scalar_one()


def _anchor() -> datetime:
    ref = get_settings().policy.reference_date
    if ref is not None:
        return datetime(ref.year, ref.month, ref.day, 10, tzinfo=UTC)  # 18:00 in China
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


class _Steps:
    """rich progress bars when wanted, silence otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.progress = None
        if enabled:
            from rich.progress import Progress

            self.progress = Progress(transient=False)

    @contextmanager
    def step(self, label: str, total: int | None = None) -> Iterator[demo_rows.Advance]:
        if self.progress is None:
            yield None
            return
        task = self.progress.add_task(label, total=total or 1)
        yield (lambda k: self.progress.advance(task, k)) if total else None  # type: ignore[union-attr]
        self.progress.update(task, completed=total or 1)


def _catalogue(cur: psycopg.Cursor) -> tuple[Catalogue, list[tuple[str, str]]]:
    cur.execute(
        "SELECT c.code, c.name_zh, d.code, c.deadline_hours FROM event_category c "
        "JOIN department d ON d.id = c.department_id WHERE c.is_active ORDER BY c.code"
    )
    rows = cur.fetchall()
    cat = Catalogue(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        np.array([r[3] for r in rows], dtype=float),
    )
    cur.execute("SELECT code, name_zh FROM department ORDER BY code")
    return cat, [(r[0], r[1]) for r in cur.fetchall()]


def _actors(
    t: Territory,
    r: Reports,
    users: list[DemoUser],
    primary: dict[str, str],
    cat: Catalogue,
    uid: dict[str, int],
) -> dict[str, np.ndarray]:
    """User ids per report: reporter, community staff, street office, department account."""
    first_worker: dict[str, str] = {}
    staff, office, dept = {}, {}, {}
    for u in users:
        if u.role == "grid_worker":
            first_worker.setdefault(u.community_code or "", u.username)
        elif u.role == "community_staff":
            staff[u.community_code] = uid[u.username]
        elif u.role == "street_office":
            office[u.street_code] = uid[u.username]
        elif u.role == "department":
            dept[u.department_code] = uid[u.username]
    cells = t.cells
    rep = np.array([uid[primary.get(c[0]) or first_worker[c[1]]] for c in cells])
    return {
        "reporter": rep[r.cell],
        "staff": np.array([staff[c[1]] for c in cells])[r.cell],
        "street": np.array([office[c[1][:9]] for c in cells])[r.cell],
        "department": np.array([dept[d] for d in cat.departments])[r.category],
    }


def load_demo(
    owner_url: str, *, scale: DemoScale, seed: int = 410105, progress: bool = False
) -> LoadSummary:
    """Generate the demo city for `scale`/`seed` and COPY it in, all or nothing."""
    began = time.perf_counter()
    libpq = make_url(owner_url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = _anchor()
    now64 = np.datetime64(now.replace(tzinfo=None), "s")
    steps = _Steps(progress)
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    with psycopg.connect(libpq) as conn, conn.cursor() as cur:
        if steps.progress is not None:
            steps.progress.start()
        try:
            cat, departments = _catalogue(cur)
            with steps.step("generate territory"):
                t = build_territory(scale, seed)
                attrs = build_attributes(
                    t, rng, now, N_COMPANIES, get_settings().policy.renovation_cutoff_year
                )
                companies = build_companies(rng, N_COMPANIES)
                users, assignments, primary = build_users(t, departments, rng)
            with steps.step("copy territory and accounts"):
                ids = demo_rows.copy_territory(cur, t)
                demo_rows.copy_areas(cur, t, attrs, companies, ids)
                demo_rows.copy_users(cur, t, users, assignments, hash_password(DEMO_PASSWORD), ids)
                staff = {
                    u.community_code or "": u.username for u in users if u.role == "community_staff"
                }
                counts["小区 changes"] = demo_rows.copy_changes(cur, t, attrs, ids, staff)
                counts["assessment sheets"] = load_company_records(cur, now, seed)
            with steps.step("generate reports and patrols"):
                households = np.array([a.values["households"] for a in attrs], dtype=float)
                reports = build_reports(t, households, cat, scale.reports, now64, rng)
                cell_ix = {c[0]: i for i, c in enumerate(t.cells)}
                walked = np.array(sorted(cell_ix[c] for c in primary))
                patrols = build_patrols(
                    t, walked, scale.patrols, now64, seeded_uuids(rng, scale.patrols), rng
                )
            with steps.step("copy patrols"):
                workers = {cell_ix[c]: w for c, w in primary.items()}
                counts["patrols"] = demo_rows.copy_patrols(cur, t, patrols, workers, ids)
            total = len(reports.ids) + len(reports.ev_report)
            bulk = scale.reports >= BULK_REPORTS
            with (
                steps.step("copy reports", total) as advance,
                pgcopy.foreign_keys_checked_at_end(cur, BULK_TABLES) if bulk else nullcontext(),
            ):
                actors = _actors(t, reports, users, primary, cat, ids["app_user"])
                counts["report events"] = demo_rows.copy_reports(
                    cur, t, reports, cat, actors, ids, advance
                )
        finally:
            if steps.progress is not None:
                steps.progress.stop()
    counts = {
        "streets": len(t.streets),
        "communities": len(t.communities),
        "小区": len(t.areas),
        "grid cells": len(t.cells),
        "users": len(users),
        "reports": len(reports.ids),
        **counts,
    }
    return LoadSummary(counts, time.perf_counter() - began, seed)
