"""Loading the default demo city into a fresh, migrated database (its own, dropped at the end)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from gis_data.demo_loader import DemoScale, LoadSummary, database_is_empty, load_demo
from service.domain.passwords import verify_password
from service.settings import local_database_url
from tests.conftest import drop_database, recreate_database


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _fresh_database(suffix: str = "") -> Iterator[str]:
    """A database created from wangge_template and migrated to head; dropped afterwards."""
    from alembic import command

    from service.cli import alembic_config

    name = f"wangge_demo_test_{os.getpid()}{suffix}"
    recreate_database(name)
    url = local_database_url("wangge", name)
    try:
        command.upgrade(alembic_config(url), "heads")
        yield url
    finally:
        drop_database(name)


@pytest.fixture(scope="module")
def fresh_db() -> Iterator[str]:
    with _fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def loaded(fresh_db: str) -> tuple[str, LoadSummary]:
    engine = create_engine(fresh_db)
    with engine.connect() as conn:
        assert database_is_empty(conn)
    summary = load_demo(fresh_db, scale=DemoScale.demo())
    with engine.connect() as conn:
        assert not database_is_empty(conn)
    engine.dispose()
    return fresh_db, summary


def _one(url: str, sql: str, *params: object) -> tuple:
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(sql, params or None).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return tuple(row)


def test_counts_match_the_scale(loaded):
    url, summary = loaded
    s = DemoScale.demo()
    got = _one(
        url,
        "SELECT (SELECT count(*) FROM district), (SELECT count(*) FROM street), "
        "(SELECT count(*) FROM community), (SELECT count(*) FROM residential_area), "
        "(SELECT count(*) FROM grid_cell), (SELECT count(*) FROM report), "
        "(SELECT count(*) FROM patrol), (SELECT count(*) FROM property_company)",
    )
    assert got == (
        1,
        s.streets,
        s.streets * s.communities_per_street,
        s.residential_areas,
        s.grid_cells,
        s.reports,
        s.patrols,
        20,
    )
    assert "reports 400" in str(summary) and "\n" not in str(summary)
    assert summary.seconds < 30


def test_demo_accounts_have_their_roles_and_jurisdictions(loaded):
    url, _ = loaded
    rows = {}
    with psycopg.connect(_libpq(url)) as conn:
        for r in conn.execute(
            "SELECT u.username, u.role, d.code, s.code, c.code, dep.code, u.password_hash "
            "FROM app_user u LEFT JOIN district d ON d.id = u.district_id "
            "LEFT JOIN street s ON s.id = u.street_id LEFT JOIN community c "
            "ON c.id = u.community_id LEFT JOIN department dep ON dep.id = u.department_id"
        ):
            rows[r[0]] = r[1:]
    assert rows["admin"][:2] == ("admin", "410105")
    assert rows["district"][:3] == ("district_bureau", "410105", None)
    assert rows["planner"][:3] == ("planner", "410105", None)
    assert rows["street1"][:3] == ("street_office", "410105", "410105001")
    assert rows["street2"][:3] == ("street_office", "410105", "410105002")
    assert rows["community1"][:4] == ("community_staff", "410105", None, "410105001001")
    assert rows["worker1"][:4] == ("grid_worker", "410105", None, "410105001001")
    assert rows["dept-fire"][0] == "department" and rows["dept-fire"][4] == "fire_rescue"
    assert verify_password(rows["worker1"][5], "demo")
    assert not verify_password(rows["worker1"][5], "wrong")


def test_grid_assignments(loaded):
    url, _ = loaded
    mine, unassigned = _one(
        url,
        "SELECT (SELECT count(*) FROM grid_assignment a JOIN app_user u ON u.id = a.worker_id "
        " JOIN grid_cell g ON g.id = a.cell_id WHERE u.username = 'worker1' AND a.is_primary "
        " AND a.valid_to IS NULL AND g.code LIKE '410105001001%'), "
        "(SELECT count(*) FROM grid_cell g WHERE NOT EXISTS (SELECT 1 FROM grid_assignment a "
        " WHERE a.cell_id = g.id AND a.is_primary AND a.valid_to IS NULL))",
    )
    assert mine >= 2
    assert 1 <= unassigned <= 5


def test_reports_resolve_to_the_polygons_that_contain_them(loaded):
    url, _ = loaded
    wrong = _one(
        url,
        "SELECT count(*) FROM report r JOIN grid_cell g ON g.id = r.grid_cell_id "
        "JOIN community c ON c.id = r.community_id JOIN street s ON s.id = r.street_id "
        "JOIN district d ON d.id = r.district_id "
        "WHERE NOT (ST_Contains(g.geom, r.geom) AND ST_Contains(c.geom, r.geom) "
        "AND ST_Contains(s.geom, r.geom) AND ST_Contains(d.geom, r.geom) "
        "AND g.community_id = c.id AND c.street_id = s.id)",
    )
    assert wrong == (0,)
    other_cell = _one(
        url,
        "SELECT count(*) FROM report r JOIN grid_cell g "
        "ON ST_Contains(g.geom, r.geom) WHERE g.id <> r.grid_cell_id",
    )
    assert other_cell == (0,)
    areas = _one(
        url,
        "SELECT count(*) FILTER (WHERE a.id IS NULL), count(*) FROM report r "
        "LEFT JOIN residential_area a ON a.id = r.residential_area_id "
        "AND ST_Contains(a.geom, r.geom) WHERE r.residential_area_id IS NOT NULL",
    )
    assert areas[0] == 0 and areas[1] > 0


def test_reports_route_by_category_and_keep_their_history(loaded):
    url, _ = loaded
    bad_route, bad_deadline = _one(
        url,
        "SELECT count(*) FILTER (WHERE r.department_id <> c.department_id), "
        "count(*) FILTER (WHERE r.deadline_at <> r.created_at + c.deadline_hours * interval '1h')"
        " FROM report r JOIN event_category c ON c.code = r.category_code",
    )
    assert (bad_route, bad_deadline) == (0, 0)
    last_mismatch, first_not_reported = _one(
        url,
        "SELECT count(*) FILTER (WHERE last.to_status <> r.status), "
        "count(*) FILTER (WHERE first.to_status <> 'reported' OR first.from_status IS NOT NULL) "
        "FROM report r "
        "CROSS JOIN LATERAL (SELECT to_status FROM report_event e WHERE e.report_id = r.id "
        "  ORDER BY created_at DESC, id DESC LIMIT 1) last "
        "CROSS JOIN LATERAL (SELECT to_status, from_status FROM report_event e "
        "  WHERE e.report_id = r.id ORDER BY created_at, id LIMIT 1) first",
    )
    assert (last_mismatch, first_not_reported) == (0, 0)
    statuses = _one(url, "SELECT count(DISTINCT status) FROM report")
    assert statuses == (8,)
    overdue = _one(
        url,
        "SELECT count(*) FROM report WHERE deadline_at < now() AND status IN "
        "('reported', 'accepted', 'dispatched', 'in_progress')",
    )
    assert overdue[0] > 0


def test_fire_reports_in_the_first_two_streets(loaded):
    url, _ = loaded
    for street in ("410105001", "410105002"):
        fire, total = _one(
            url,
            "SELECT count(*) FILTER (WHERE d.code = 'fire_rescue'), count(*) FROM report r "
            "JOIN street s ON s.id = r.street_id JOIN department d ON d.id = r.department_id "
            "WHERE s.code = %s",
            street,
        )
        assert fire >= 1 and total > fire


def test_patrols_stay_in_their_cell(loaded):
    url, _ = loaded
    outside, n = _one(
        url,
        "SELECT count(*) FILTER (WHERE NOT ST_Within(p.geom, g.geom)), "
        "count(*) FROM patrol p JOIN grid_cell g ON g.id = p.grid_cell_id",
    )
    assert outside == 0 and n == DemoScale.demo().patrols


def test_residential_area_history_spans_the_year(loaded):
    url, _ = loaded
    n, days = _one(
        url,
        "SELECT count(*), extract(day FROM max(changed_at) - min(changed_at)) "
        "FROM residential_area_change",
    )
    assert n >= 150 and days > 300


FK_SQL = (
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE contype = 'f' ORDER BY 1, 2"
)


def test_bulk_path_restores_every_foreign_key(monkeypatch):
    """Large loads validate report foreign keys once at the end; the schema is unchanged."""
    import gis_data.demo_loader as loader

    monkeypatch.setattr(loader, "BULK_REPORTS", 10)
    small = DemoScale(
        streets=2,
        communities_per_street=2,
        residential_areas=12,
        grid_cells=10,
        reports=50,
        patrols=5,
    )
    with _fresh_database("_bulk") as url:
        with psycopg.connect(_libpq(url)) as conn:
            before = conn.execute(FK_SQL).fetchall()
        load_demo(url, scale=small, seed=1)
        with psycopg.connect(_libpq(url)) as conn:
            after = conn.execute(FK_SQL).fetchall()
            events = conn.execute("SELECT count(*) FROM report_event").fetchone()
        assert after == before and any(r[0] == "report_event" for r in after)
        assert events is not None and events[0] >= 50
