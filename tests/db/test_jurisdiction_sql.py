"""`area_sql` (the jurisdiction as SQL over an authenticated row, used by the one-statement tile
route) keeps the same rows as `area_clause` (the SQLAlchemy filter of every other route), for
every role at every level, on both fact tables the tiles read."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import Engine, literal_column, text

from service.db.jurisdiction import area_clause, area_sql, compile_clause
from service.domain.policy import ALL_ROLES, POLICY
from service.domain.principal import Principal

TABLES = {
    "residential_area_fact": "residential_area_id",
    "grid_cell_fact": "grid_cell_id",
}


def _levels(engine: Engine) -> list[tuple[int | None, int | None, int | None]]:
    """(district, street, community) of an account at each level, and of one with none."""
    with engine.connect() as conn:
        district, street, community = conn.execute(
            text(
                "SELECT s.district_id, s.id, c.id FROM community c JOIN street s"
                " ON s.id = c.street_id ORDER BY c.id LIMIT 1"
            )
        ).one()
    return [
        (None, None, None),
        (district, None, None),
        (district, street, None),
        (district, street, community),
    ]


def _ids_by_clause(engine: Engine, table: str, principal: Principal, action: str) -> set[int]:
    scope = POLICY[action][principal.role]
    clause = area_clause(
        principal,
        scope,
        district_col=literal_column("f.district_id"),
        street_col=literal_column("f.street_id"),
        community_col=literal_column("f.community_id"),
    )
    where, params = compile_clause(clause)
    sql = f"SELECT f.{TABLES[table]} FROM {table} f WHERE {where}"
    with engine.connect() as conn:
        return set(conn.execute(text(sql), params).scalars())


def _ids_by_sql(engine: Engine, table: str, principal: Principal, action: str) -> set[int]:
    where = area_sql(
        action, district="f.district_id", street="f.street_id", community="f.community_id"
    )
    sql = (
        "WITH me AS (SELECT CAST(:role AS text) AS role, CAST(:d AS integer) AS district_id,"
        " CAST(:s AS integer) AS street_id, CAST(:c AS integer) AS community_id)"
        f" SELECT f.{TABLES[table]} FROM {table} f, me WHERE {where}"
    )
    values = {
        "role": principal.role,
        "d": principal.district_id,
        "s": principal.street_id,
        "c": principal.community_id,
    }
    with engine.connect() as conn:
        return set(conn.execute(text(sql), values).scalars())


@pytest.mark.parametrize("table", sorted(TABLES))
def test_area_sql_keeps_the_rows_area_clause_keeps(demo_db, owner_engine: Engine, table) -> None:  # type: ignore[no-untyped-def]
    action = "tile:read"
    checked = 0
    for role, (d, s, c) in itertools.product(ALL_ROLES, _levels(owner_engine)):
        if role not in POLICY[action]:
            continue
        principal = Principal(1, "x", role, d, s, c, department_id=None)
        want = _ids_by_clause(owner_engine, table, principal, action)
        got = _ids_by_sql(owner_engine, table, principal, action)
        assert got == want, (role, d, s, c)
        checked += 1
    assert checked == len(POLICY[action]) * 4


def test_unknown_role_and_no_user_see_nothing(demo_db, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    d, s, c = _levels(owner_engine)[3]
    for role in ("intruder", None):
        principal = Principal(1, "x", role, d, s, c)  # type: ignore[arg-type]
        assert _ids_by_sql(owner_engine, "residential_area_fact", principal, "tile:read") == set()
