"""Authorisation checks on the demo city (skipped where the demo loader is absent)."""

from __future__ import annotations

from itertools import product

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from service.domain.policy import POLICY, TRANSITION_RIGHTS, may_transition

STATUSES = (
    "reported",
    "accepted",
    "rejected",
    "dispatched",
    "in_progress",
    "handled",
    "verified",
    "closed",
)


def _user(conn: Connection, username: str):  # type: ignore[no-untyped-def]
    return conn.execute(
        text("SELECT id, street_id, district_id, department_id FROM app_user WHERE username = :u"),
        {"u": username},
    ).one()


def _all_reports(client: TestClient, headers: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    rows: list[dict] = []  # type: ignore[type-arg]
    while True:
        page = client.get(
            "/api/reports", params={"limit": 1000, "offset": len(rows)}, headers=headers
        )
        assert page.status_code == 200, page.text
        rows += page.json()
        if len(page.json()) < 1000:
            return rows


def test_street1_cannot_read_or_list_street2_reports(
    client: TestClient, auth_headers, owner_conn: Connection
) -> None:
    s1, s2 = _user(owner_conn, "street1"), _user(owner_conn, "street2")
    assert s1.street_id != s2.street_id
    theirs = (
        owner_conn.execute(
            text("SELECT id FROM report WHERE street_id = :s ORDER BY id LIMIT 25"),
            {"s": s2.street_id},
        )
        .scalars()
        .all()
    )
    assert theirs, "the demo city should have reports in street2"
    for rid in theirs:
        r = client.get(f"/api/reports/{rid}", headers=auth_headers["street1"])
        assert r.status_code == 404, rid
    listed = _all_reports(client, auth_headers["street1"])
    assert {r["street_id"] for r in listed} <= {s1.street_id}
    own = owner_conn.execute(
        text("SELECT count(*) FROM report WHERE street_id = :s"), {"s": s1.street_id}
    ).scalar_one()
    assert len(listed) == own


def test_dept_fire_sees_only_fire_routed_reports(
    client: TestClient, auth_headers, owner_conn: Connection
) -> None:
    fire = _user(owner_conn, "dept-fire")
    listed = _all_reports(client, auth_headers["dept-fire"])
    assert {r["department_id"] for r in listed} <= {fire.department_id}
    expected = owner_conn.execute(
        text("SELECT count(*) FROM report WHERE department_id = :d AND district_id = :dist"),
        {"d": fire.department_id, "dist": fire.district_id},
    ).scalar_one()
    assert len(listed) == expected
    other = (
        owner_conn.execute(
            text("SELECT id FROM report WHERE department_id <> :d LIMIT 5"),
            {"d": fire.department_id},
        )
        .scalars()
        .all()
    )
    for rid in other:
        assert (
            client.get(f"/api/reports/{rid}", headers=auth_headers["dept-fire"]).status_code == 404
        )


def test_worker1_cannot_change_a_report_status() -> None:
    # The transition endpoint requires "report:transition" and checks may_transition.
    assert POLICY["report:transition"]["grid_worker"] == "area"
    assert TRANSITION_RIGHTS["grid_worker"] == {("handled", "verified")}
    for src, dst in product(STATUSES, STATUSES):
        if (src, dst) != ("handled", "verified"):
            assert not may_transition("grid_worker", src, dst), (src, dst)
    assert not any(may_transition("grid_worker", s, "closed") for s in STATUSES)
    assert may_transition("department", "dispatched", "in_progress")
    assert not may_transition("department", "handled", "closed")
