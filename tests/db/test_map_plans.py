"""The low-zoom open-report map is planned for its box on every run, never from a cached
generic plan (which scans every partition's geometry index for a district-sized box), and the
plan cache mode is as it was afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from service.api.deps import set_rls_identity
from service.db.engine import create_db_engine, create_session_factory
from service.db.repositories.map_features import open_reports_in_bbox
from service.domain.policy import POLICY
from service.domain.principal import Principal
from service.settings import Settings

AGGREGATED = "%GROUP BY floor(ST_X(p.geom)%"
RUNS = 12  # psycopg prepares a statement at its fifth run on a connection


def _district_user(session) -> Principal:  # type: ignore[no-untyped-def]
    row = session.execute(
        text(
            "SELECT id, username, role, district_id, street_id, community_id, department_id"
            " FROM app_user WHERE username = 'district'"
        )
    ).one()
    return Principal(*row)


def _plans(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    generic, custom = session.execute(
        text(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
            " FROM pg_prepared_statements WHERE statement LIKE :s"
        ),
        {"s": AGGREGATED},
    ).one()
    return int(generic), int(custom)


def test_the_district_map_is_planned_for_its_box(settings: Settings) -> None:
    engine = create_db_engine(settings, pool=(1, 0))
    try:
        with create_session_factory(engine)() as session:
            me = _district_user(session)
            set_rls_identity(session, me)
            box = session.execute(
                text("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
                     " FROM district WHERE id = :d"),
                {"d": me.district_id},
            ).one()  # fmt: skip
            # the connection would take the generic plan wherever it is left to choose
            session.execute(text("SET plan_cache_mode = force_generic_plan"))
            answers = [
                open_reports_in_bbox(
                    session,
                    me,
                    POLICY["map:read"][me.role],
                    tuple(box),
                    datetime.now(UTC),
                    bucket_deg=0.01,
                    limit=500,
                )
                for _ in range(RUNS)
            ]
            generic, custom = _plans(session)
            mode = session.execute(text("SHOW plan_cache_mode")).scalar_one()
    finally:
        engine.dispose()
    assert answers[0] and all(a == answers[0] for a in answers)
    assert sum(b["count"] for b in answers[0]) > 0
    assert generic == 0
    assert custom >= RUNS - 5  # the prepared runs, each planned for its values
    assert mode == "force_generic_plan"  # put back as it was
