"""Row-level security on the records tables (migration 019_records_rls): the app role queried
by hand, with no application filter, sees only its jurisdiction's history, score sheets,
grades and list entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import TestDatabase
from tests.fixtures_authz import World


@pytest.fixture
def app_conn(demo_db: TestDatabase) -> Iterator[psycopg.Connection]:
    """A raw connection as wangge_app, inside a transaction rolled back at the end."""
    if demo_db.app_url == demo_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(demo_db.libpq("app")) as conn:
        yield conn
        conn.rollback()


def _as(conn: psycopg.Connection, username: str) -> dict[str, Any]:
    """Set the identity `wangge_authenticate` would set for this user; the user's row."""
    row = conn.execute(
        "SELECT id, role, district_id, street_id, community_id, department_id"
        " FROM app_user WHERE username = %s",
        (username,),
    ).fetchone()
    assert row is not None, username
    names = ("user_id", "role", "district_id", "street_id", "community_id", "department_id")
    for name, value in zip(names, row, strict=True):
        conn.execute(
            "SELECT set_config(%s, %s, true)",
            (f"wangge.{name}", "" if value is None else str(value)),
        )
    return dict(zip(names, row, strict=True))


def _as_public(conn: psycopg.Connection, district_id: int) -> None:
    for name, value in (("role", "public"), ("district_id", str(district_id))):
        conn.execute("SELECT set_config(%s, %s, true)", (f"wangge.{name}", value))
    for name in ("user_id", "street_id", "community_id", "department_id"):
        conn.execute("SELECT set_config(%s, '', true)", (f"wangge.{name}",))


def _street1_area(owner_engine: Engine) -> dict[str, Any]:
    """A 小区 of street1's street served by a company."""
    with owner_engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT r.id, r.code, r.property_company_id AS company, c.street_id"
                    " FROM residential_area r JOIN community c ON c.id = r.community_id"
                    " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                    " WHERE r.property_company_id IS NOT NULL ORDER BY r.code LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


@pytest.fixture
def edited(client: TestClient, auth_headers, owner_engine: Engine) -> dict[str, Any]:
    """street1 has edited one of its 小区 through the API: the history holds a row for it."""
    area = _street1_area(owner_engine)
    h = auth_headers["street1"]
    tag = client.get(f"/api/residential-areas/{area['code']}", headers=h).headers["ETag"]
    r = client.patch(
        f"/api/residential-areas/{area['code']}",
        json={"note": f"行级安全 {uuid.uuid4().hex[:6]}"},
        headers={**h, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    return area


def _history_of(conn: psycopg.Connection, area_id: int) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM residential_area_change WHERE residential_area_id = %s",
            (area_id,),
        ).fetchone()[0]
    )


TABLES = ["residential_area_change", "property_assessment", "company_grade", "company_list_entry"]


def test_records_tables_have_row_level_security(app_conn: psycopg.Connection) -> None:
    rows = app_conn.execute(
        "SELECT relname, relrowsecurity FROM pg_class WHERE relname = ANY(%s)", (TABLES,)
    ).fetchall()
    assert dict(rows) == {
        "residential_area_change": True,
        "property_assessment": True,
        "company_grade": True,
        "company_list_entry": True,
    }


def test_another_street_cannot_read_the_history_by_hand(
    app_conn: psycopg.Connection, edited: dict[str, Any]
) -> None:
    me = _as(app_conn, "street1")
    assert _history_of(app_conn, edited["id"]) >= 1
    # street2, the other street office of the same district, asks for street1's rows directly
    other = _as(app_conn, "street2")
    assert other["street_id"] != me["street_id"]
    assert _history_of(app_conn, edited["id"]) == 0
    # even a whole-table scan with no WHERE returns only street2's own 小区
    streets = app_conn.execute(
        "SELECT DISTINCT c.street_id FROM residential_area_change h"
        " JOIN residential_area r ON r.id = h.residential_area_id"
        " JOIN community c ON c.id = r.community_id"
    ).fetchall()
    assert {s[0] for s in streets} <= {other["street_id"]}
    # the district sees it; a community of another street and a session without identity not
    _as(app_conn, "district")
    assert _history_of(app_conn, edited["id"]) >= 1
    app_conn.execute("SELECT set_config('wangge.role', '', true)")
    assert app_conn.execute("SELECT count(*) FROM residential_area_change").fetchone()[0] == 0


def test_history_is_written_only_by_an_editor_as_themselves_in_reach(
    app_conn: psycopg.Connection, edited: dict[str, Any]
) -> None:
    insert = (
        "INSERT INTO residential_area_change (residential_area_id, attribute, old_value,"
        " new_value, changed_by) VALUES (%s, 'note', 'a', 'b', %s)"
    )
    street2 = _as(app_conn, "street2")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not its street
        app_conn.execute(insert, (edited["id"], street2["user_id"]))
    app_conn.rollback()
    street1 = _as(app_conn, "street1")
    planner = app_conn.execute("SELECT id FROM app_user WHERE username = 'planner'").fetchone()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # in someone else's name
        app_conn.execute(insert, (edited["id"], planner[0]))
    app_conn.rollback()
    _as(app_conn, "street1")
    app_conn.execute(insert, (edited["id"], street1["user_id"]))  # allowed: rolled back after
    app_conn.rollback()
    _as(app_conn, "planner")  # reads its district, edits nothing
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(insert, (edited["id"], planner[0]))


def test_score_sheets_follow_the_assessment_rules(
    app_conn: psycopg.Connection, owner_engine: Engine
) -> None:
    area = _street1_area(owner_engine)
    quarter = "2032Q3"
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO property_assessment (company_id, residential_area_id, quarter,"
                " scores, total) VALUES (:c, :a, :q, '{}', 75)"
            ),
            {"c": area["company"], "a": area["id"], "q": quarter},
        )
    try:
        seen = {}
        for user in ("street1", "street2", "district", "planner", "worker1", "dept-fire"):
            _as(app_conn, user)
            seen[user] = app_conn.execute(
                "SELECT count(*) FROM property_assessment WHERE quarter = %s", (quarter,)
            ).fetchone()[0]
        # the street and the district read it; another street, a grid worker (no
        # assessment:read) and a department do not
        assert seen == {
            "street1": 1,
            "street2": 0,
            "district": 1,
            "planner": 1,
            "worker1": 0,
            "dept-fire": 0,
        }
        street2 = _as(app_conn, "street2")
        changed = app_conn.execute(
            "UPDATE property_assessment SET total = 1, assessed_by = %s WHERE quarter = %s",
            (street2["user_id"], quarter),
        ).rowcount
        assert changed == 0  # outside its street: not even found
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(
                "INSERT INTO property_assessment (company_id, residential_area_id, quarter,"
                " scores, total, assessed_by) VALUES (%s, %s, '2032Q4', '{}', 1, %s)",
                (area["company"], area["id"], street2["user_id"]),
            )
    finally:
        app_conn.rollback()
        with owner_engine.begin() as conn:
            conn.execute(text("DELETE FROM property_assessment WHERE quarter = :q"), {"q": quarter})


@pytest.fixture
def other_district_company(owner_engine: Engine, world: World) -> Iterator[int]:
    """A company registered in the world's second district with a grade and a black-list entry."""
    with owner_engine.begin() as conn:
        company = conn.execute(
            text("INSERT INTO property_company (name, district_id) VALUES (:n, :d) RETURNING id"),
            {"n": f"外区物业-{uuid.uuid4().hex[:8]}", "d": world.areas["other"].district_id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO company_grade (company_id, quarter, score, assessments, grade, rank)"
                " VALUES (:c, '2032Q1', 50, 1, 'D', 1)"
            ),
            {"c": company},
        )
        conn.execute(
            text(
                "INSERT INTO company_list_entry (company_id, list_kind, reason, quarter)"
                " VALUES (:c, 'black', '测试黑榜', '2032Q1')"
            ),
            {"c": company},
        )
    yield int(company)
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM company_list_entry WHERE company_id = :c"), {"c": company})
        conn.execute(text("DELETE FROM company_grade WHERE company_id = :c"), {"c": company})
        conn.execute(text("DELETE FROM property_company WHERE id = :c"), {"c": company})


def _company_rows(conn: psycopg.Connection, company: int) -> tuple[int, int]:
    grades = conn.execute(
        "SELECT count(*) FROM company_grade WHERE company_id = %s", (company,)
    ).fetchone()[0]
    entries = conn.execute(
        "SELECT count(*) FROM company_list_entry WHERE company_id = %s", (company,)
    ).fetchone()[0]
    return int(grades), int(entries)


def test_grades_and_lists_stay_in_the_companys_district(
    test_db: TestDatabase, world: World, other_district_company: int
) -> None:
    if test_db.app_url == test_db.owner_url:
        pytest.skip("needs a separate app role")
    company = other_district_company
    with psycopg.connect(test_db.libpq("app")) as conn:
        for user in ("mx_street", "mx_district", "mx_admin_d1", "mx_planner"):
            _as(conn, user)
            assert _company_rows(conn, company) == (0, 0), user
        _as(conn, "mx_admin")  # bound to no district: everything
        assert _company_rows(conn, company) == (1, 1)
        # /public reads as the public of one district
        _as_public(conn, world.areas["other"].district_id)
        assert _company_rows(conn, company) == (1, 1)
        _as_public(conn, world.areas["own"].district_id)
        assert _company_rows(conn, company) == (0, 0)
        # the public never reaches history or score sheets
        _as_public(conn, world.areas["own"].district_id)
        assert conn.execute("SELECT count(*) FROM residential_area_change").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM property_assessment").fetchone()[0] == 0
        # a district bureau cannot grade, list or end a list entry of another district's company
        me = _as(conn, "mx_district")
        ended = conn.execute(
            "UPDATE company_list_entry SET ended_on = current_date WHERE company_id = %s",
            (company,),
        ).rowcount
        assert ended == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO company_list_entry (company_id, list_kind, reason, created_by)"
                " VALUES (%s, 'red', 'x', %s)",
                (company, me["user_id"]),
            )
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as(conn, "mx_district")
            conn.execute(
                "INSERT INTO company_grade (company_id, quarter, score, assessments, grade, rank,"
                " decided_by) VALUES (%s, '2032Q2', 99, 1, 'A', 1, %s)",
                (company, me["user_id"]),
            )
        conn.rollback()


def test_the_api_lists_only_the_districts_entries(
    world_client: TestClient, world: World, other_district_company: int
) -> None:
    """GET /api/company-lists has no district filter of its own: the policies give it one."""
    mine = world_client.get("/api/company-lists", headers=world.headers["district_bureau"])
    assert mine.status_code == 200, mine.text
    assert other_district_company not in {e["company_id"] for e in mine.json()}
    every = world_client.get("/api/company-lists", headers=world.headers["admin"])
    assert other_district_company in {e["company_id"] for e in every.json()}
    # the district cannot list another district's company: 404, as for any object out of reach
    r = world_client.post(
        "/api/company-lists",
        json={"company_id": other_district_company, "list_kind": "red", "reason": "越权"},
        headers=world.headers["district_bureau"],
    )
    assert r.status_code == 404, r.text
    entry = next(e for e in every.json() if e["company_id"] == other_district_company)
    r = world_client.post(
        f"/api/company-lists/{entry['id']}/end", headers=world.headers["district_bureau"]
    )
    assert r.status_code == 404, r.text
    grades = world_client.get("/api/company-grades/2032Q1", headers=world.headers["street_office"])
    assert grades.status_code == 200, grades.text
    assert other_district_company not in {g["company_id"] for g in grades.json()["grades"]}


def test_public_page_shows_the_lists_of_the_streets_district_only(
    world_client: TestClient, owner_engine: Engine, other_district_company: int
) -> None:
    """/public reads as the public of the street's district: another district's black list
    entry is not on it, its own district's is."""
    with owner_engine.connect() as conn:
        name = conn.execute(
            text("SELECT name FROM property_company WHERE id = :c"), {"c": other_district_company}
        ).scalar_one()
    anonymous = TestClient(world_client.app)
    there = anonymous.get("/public?street=410299001")  # the company's district
    assert there.status_code == 200, there.text
    assert name in there.text and "测试黑榜" in there.text
    here = anonymous.get("/public?street=419901001")
    assert here.status_code == 200, here.text
    assert name not in here.text
