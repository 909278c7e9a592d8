"""Cost of the second line: report queries as the app role (RLS + app filter) vs the owner role
(app filter only, the baseline), for several roles, on one freshly loaded demo city.

    .venv/bin/python bench/bench_auth.py            # 200,000 reports
    .venv/bin/python bench/bench_auth.py --quick    # 20,000 reports

Needs the local cluster (`make db`). Prints one table; medians over repeated runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoalchemy2 import functions as gf  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from service.api.deps import set_rls_identity  # noqa: E402
from service.db.models import AppUser, Report  # noqa: E402
from service.db.repositories.reports import report_area_clause  # noqa: E402
from service.db.repositories.users import principal_of  # noqa: E402
from service.domain.policy import POLICY  # noqa: E402
from service.domain.principal import Principal  # noqa: E402
from service.settings import local_database_url  # noqa: E402

DB = "wangge_bench_auth"
# The ORM read these figures have measured from the start (newest first, optional bbox).
COLUMNS = (
    Report.id,
    Report.status,
    Report.category_code,
    Report.description,
    gf.ST_X(Report.geom).label("lon"),
    gf.ST_Y(Report.geom).label("lat"),
    Report.district_id,
    Report.street_id,
    Report.community_id,
    Report.grid_cell_id,
    Report.department_id,
    Report.reporter_id,
    Report.deadline_at,
    Report.created_at,
)


def list_reports(
    session: Session, me: Principal, scope: str, bbox: tuple[float, ...] | None, limit: int
) -> list[dict[str, object]]:
    stmt = select(*COLUMNS).where(report_area_clause(me, scope))
    if bbox is not None:
        stmt = stmt.where(Report.geom.intersects(gf.ST_MakeEnvelope(*bbox, 4326)))
    stmt = stmt.order_by(Report.created_at.desc(), Report.id).limit(limit)
    return [dict(r) for r in session.execute(stmt).mappings()]


USERS = ("street1", "community1", "worker1", "district", "dept-fire", "admin")


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the cache and plans
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _queries(session: Session, me: Principal) -> dict[str, Callable[[], object]]:
    scope = POLICY["report:read"][me.role]
    where = report_area_clause(me, scope)
    return {
        "list 100 newest": lambda: list_reports(session, me, scope, None, 100),
        "count in area": lambda: session.scalar(
            select(func.count()).select_from(Report).where(where)
        ),
        "list bbox 0.02°": lambda: list_reports(
            session, me, scope, (113.66, 34.77, 113.68, 34.79), 1000
        ),
    }


def _measure(url: str, username: str, *, rls: bool, repeat: int) -> dict[str, float]:
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            user = session.scalar(select(AppUser).where(AppUser.username == username))
            assert user is not None, username
            me = principal_of(user)
            if rls:
                set_rls_identity(session, me)
            return {k: _median_ms(q, repeat) for k, q in _queries(session, me).items()}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 reports instead of 200,000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    from gis_data.demo_loader import DemoScale, load_demo
    from tests.conftest import drop_database, migrate, recreate_database

    reports = 20_000 if args.quick else 200_000
    recreate_database(DB)
    owner, app = local_database_url("wangge", DB), local_database_url("wangge_app", DB)
    try:
        migrate(owner)
        load_demo(owner, scale=DemoScale.demo().override(reports=reports))
        engine = create_engine(owner)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        engine.dispose()
        print(f"reports: {reports:,}; median of {args.repeat} runs, milliseconds")
        print("| user | query | baseline: owner, app filter | app role: RLS + app filter | ratio |")
        print("|---|---|---:|---:|---:|")
        for username in USERS:
            base = _measure(owner, username, rls=False, repeat=args.repeat)
            rls = _measure(app, username, rls=True, repeat=args.repeat)
            for query, ms in base.items():
                ratio = rls[query] / ms if ms else float("nan")
                print(f"| {username} | {query} | {ms:.2f} | {rls[query]:.2f} | {ratio:.2f}× |")
    finally:
        drop_database(DB)


if __name__ == "__main__":
    main()
