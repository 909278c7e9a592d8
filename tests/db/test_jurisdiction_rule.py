"""The one jurisdiction rule rendered twice: with the owner and department columns (a grid
worker also sees their own reports, a department only what is routed to it) `area_sql` keeps
the same reports as `area_clause` for every role of report:read at every level."""

from __future__ import annotations

import itertools

from sqlalchemy import Engine, literal_column, text

from service.db.jurisdiction import area_clause, area_sql, compile_clause
from service.domain.policy import POLICY
from service.domain.principal import Principal

ACTION = "report:read"
COLUMNS = {
    "district": "r.district_id",
    "street": "r.street_id",
    "community": "r.community_id",
    "department": "r.department_id",
    "owner": "r.reporter_id",
}


def _by_clause(engine: Engine, p: Principal) -> set[str]:
    clause = area_clause(
        p,
        POLICY[ACTION][p.role],
        **{f"{k}_col": literal_column(v) for k, v in COLUMNS.items()},
    )
    where, params = compile_clause(clause)
    with engine.connect() as conn:
        return {
            str(i)
            for i in conn.execute(
                text(f"SELECT r.id FROM report r WHERE {where}"), params
            ).scalars()
        }  # noqa: E501


def _by_sql(engine: Engine, p: Principal) -> set[str]:
    where = area_sql(ACTION, **COLUMNS)
    sql = (
        "WITH me AS (SELECT CAST(:id AS integer) AS id, CAST(:role AS text) AS role,"
        " CAST(:d AS integer) AS district_id, CAST(:s AS integer) AS street_id,"
        " CAST(:c AS integer) AS community_id, CAST(:dep AS integer) AS department_id)"
        f" SELECT r.id FROM report r, me WHERE {where}"
    )
    values = {
        "id": p.id,
        "role": p.role,
        "d": p.district_id,
        "s": p.street_id,
        "c": p.community_id,
        "dep": p.department_id,
    }
    with engine.connect() as conn:
        return {str(i) for i in conn.execute(text(sql), values).scalars()}


def test_area_sql_and_area_clause_agree_on_reports(demo_db, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with owner_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.id, r.reporter_id, r.department_id, s.district_id, s.id, c.id"
                " FROM report r JOIN community c ON c.id <> r.community_id"
                " JOIN street s ON s.id = c.street_id ORDER BY r.created_at LIMIT 1"
            )
        ).one()
    report, reporter, department, d, s, c = row
    levels = [(None, None, None), (d, None, None), (d, s, None), (d, s, c)]
    seen_by: set[str] = set()
    for role, (dd, ss, cc) in itertools.product(sorted(POLICY[ACTION]), levels):
        p = Principal(reporter, "x", role, dd, ss, cc, department_id=department)
        want = _by_clause(owner_engine, p)
        assert _by_sql(owner_engine, p) == want, (role, dd, ss, cc)
        if cc is not None and str(report) in want:
            seen_by.add(role)
    # the report lies outside community c: at community level only its filer (as a grid
    # worker) and the district-wide roles still see it
    assert "grid_worker" in seen_by and "community_staff" not in seen_by
