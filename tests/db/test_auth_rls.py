"""Row-level security as the second line: the app role queried directly, no app filter at all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import TestDatabase
from tests.fixtures_authz import World


@pytest.fixture
def app_conn(test_db: TestDatabase, world: World) -> Iterator[psycopg.Connection]:
    """A raw connection as wangge_app, inside a transaction rolled back at the end."""
    if test_db.app_url == test_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(test_db.libpq("app")) as conn:
        yield conn
        conn.rollback()


def _as(conn: psycopg.Connection, world: World, username: str) -> None:
    """Set the GUCs deps.set_rls_identity would set for this user."""
    row = conn.execute(
        "SELECT id, role, district_id, street_id, community_id, department_id"
        " FROM app_user WHERE username = %s",
        (username,),
    ).fetchone()
    assert row is not None
    names = ("user_id", "role", "district_id", "street_id", "community_id", "department_id")
    for name, value in zip(names, row, strict=True):
        conn.execute(
            "SELECT set_config(%s, %s, true)",
            (f"wangge.{name}", "" if value is None else str(value)),
        )


def _visible(conn: psycopg.Connection, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = conn.execute("SELECT id FROM report WHERE id = ANY(%s)", (ids,)).fetchall()
    return {r[0] for r in rows}


def _all_ids(world: World) -> list[uuid.UUID]:
    return [*world.reports.values(), world.other_department_report]


def test_app_role_owns_nothing_and_cannot_bypass(app_conn: psycopg.Connection) -> None:
    row = app_conn.execute(
        "SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False)
    owners = app_conn.execute(
        "SELECT tableowner FROM pg_tables"
        " WHERE tablename IN ('report', 'report_event', 'patrol', 'photo')"
    ).fetchall()
    assert len(owners) == 4
    assert all(o[0] != "wangge_app" for o in owners)


def test_without_identity_the_app_sees_nothing(app_conn: psycopg.Connection, world: World) -> None:
    assert _visible(app_conn, _all_ids(world)) == set()
    assert app_conn.execute("SELECT count(*) FROM report").fetchone()[0] == 0


def test_other_streets_reports_are_hidden_without_the_app_filter(
    app_conn: psycopg.Connection, world: World
) -> None:
    _as(app_conn, world, "mx_street2")  # street office of the sibling street
    seen = _visible(app_conn, _all_ids(world))
    assert world.reports["own"] not in seen
    assert world.other_department_report not in seen
    assert world.reports["sibling"] in seen
    assert world.reports["other"] not in seen
    # Even a bare table scan with no WHERE clause returns only the street's rows.
    streets = app_conn.execute("SELECT DISTINCT street_id FROM report").fetchall()
    assert {s[0] for s in streets} == {world.areas["sibling"].street_id}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("mx_street", {"own", "urban"}),
        ("mx_community", {"own", "urban"}),
        ("mx_worker", {"own", "urban"}),
        ("mx_rep_sibling", {"sibling"}),
        ("mx_district", {"own", "sibling", "urban"}),
        ("mx_planner", {"own", "sibling", "urban"}),
        ("mx_fire", {"own", "sibling"}),  # fire-routed only, own district only
        ("mx_admin", {"own", "sibling", "other", "urban"}),
    ],
)
def test_rls_matches_the_policy_per_role(
    app_conn: psycopg.Connection, world: World, username: str, expected: set[str]
) -> None:
    _as(app_conn, world, username)
    names = {**{v: k for k, v in world.reports.items()}, world.other_department_report: "urban"}
    assert {names[i] for i in _visible(app_conn, list(names))} == expected


def test_grid_worker_sees_what_they_filed_elsewhere(
    app_conn: psycopg.Connection, world: World
) -> None:
    _as(app_conn, world, "mx_rep_other")
    assert _visible(app_conn, _all_ids(world)) == {world.reports["other"]}


def test_insert_only_as_yourself_inside_your_district(
    app_conn: psycopg.Connection, world: World
) -> None:
    _as(app_conn, world, "mx_worker")
    area = world.areas["sibling"]  # another street, same district: allowed
    insert = sql.SQL(
        "INSERT INTO report (id, geom, category_code, reporter_id, community_id, street_id,"
        " district_id, department_id, deadline_at) VALUES (%s,"
        " ST_SetSRID(ST_MakePoint(112.47, 34.62), 4326), 'fire_lane_blocked', %s, %s, %s, %s,"
        " (SELECT id FROM department WHERE code = 'fire_rescue'), now() + interval '1 day')"
    )
    me = world.users["mx_worker"]
    app_conn.execute(
        insert, (uuid.uuid4(), me, area.community_id, area.street_id, area.district_id)
    )
    app_conn.execute("SAVEPOINT s")
    other = world.areas["other"]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(
            insert, (uuid.uuid4(), me, other.community_id, other.street_id, other.district_id)
        )
    app_conn.execute("ROLLBACK TO SAVEPOINT s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # filing in someone else's name
        app_conn.execute(
            insert,
            (
                uuid.uuid4(),
                world.users["mx_community"],
                area.community_id,
                area.street_id,
                area.district_id,
            ),
        )


def test_update_and_delete_outside_are_no_ops(app_conn: psycopg.Connection, world: World) -> None:
    _as(app_conn, world, "mx_street2")
    cur = app_conn.execute(
        "UPDATE report SET status = 'closed' WHERE id = %s", (world.reports["own"],)
    )
    assert cur.rowcount == 0
    _as(app_conn, world, "mx_admin")
    cur = app_conn.execute("DELETE FROM report WHERE id = %s", (world.reports["own"],))
    assert cur.rowcount == 0  # nobody deletes reports through the app role


def test_events_and_photos_follow_their_report(app_conn: psycopg.Connection, world: World) -> None:
    _as(app_conn, world, "mx_street")
    app_conn.execute(
        "INSERT INTO report_event (report_id, to_status, actor_id) VALUES (%s, 'reported', %s)",
        (world.reports["own"], world.users["mx_street"]),
    )
    app_conn.execute(
        "INSERT INTO photo (id, report_id, storage_key, content_type, bytes, width, height, sha256)"
        " VALUES (%s, %s, %s, 'image/jpeg', 10, 1, 1, 'x')",
        (uuid.uuid4(), world.reports["own"], f"k-{uuid.uuid4()}"),
    )
    app_conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(
            "INSERT INTO report_event (report_id, to_status) VALUES (%s, 'closed')",
            (world.reports["sibling"],),
        )
    app_conn.execute("ROLLBACK TO SAVEPOINT s")
    _as(app_conn, world, "mx_street2")
    hidden = app_conn.execute(
        "SELECT (SELECT count(*) FROM report_event WHERE report_id = %(r)s),"
        " (SELECT count(*) FROM photo WHERE report_id = %(r)s)",
        {"r": world.reports["own"]},
    ).fetchone()
    assert hidden == (0, 0)
    _as(app_conn, world, "mx_street")
    shown = app_conn.execute(
        "SELECT (SELECT count(*) FROM report_event WHERE report_id = %(r)s),"
        " (SELECT count(*) FROM photo WHERE report_id = %(r)s)",
        {"r": world.reports["own"]},
    ).fetchone()
    assert shown == (1, 1)


def test_patrols_visible_to_their_worker_and_area(
    app_conn: psycopg.Connection, world: World
) -> None:
    _as(app_conn, world, "mx_rep_other")
    pid = uuid.uuid4()
    other = world.areas["other"]
    app_conn.execute(
        "INSERT INTO patrol (id, worker_id, community_id, street_id, district_id, started_at)"
        " VALUES (%s, %s, %s, %s, %s, now())",
        (pid, world.users["mx_rep_other"], other.community_id, other.street_id, other.district_id),
    )
    assert app_conn.execute("SELECT count(*) FROM patrol WHERE id = %s", (pid,)).fetchone()[0] == 1
    _as(app_conn, world, "mx_street")
    assert app_conn.execute("SELECT count(*) FROM patrol WHERE id = %s", (pid,)).fetchone()[0] == 0
    app_conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a patrol in someone else's name
        app_conn.execute(
            "INSERT INTO patrol (id, worker_id, started_at) VALUES (%s, %s, now())",
            (uuid.uuid4(), world.users["mx_worker"]),
        )
    app_conn.execute("ROLLBACK TO SAVEPOINT s")
