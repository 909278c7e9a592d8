"""Joint meetings (联席会议): a street records a meeting with departments, takes up a case,
decides with an owner and a deadline; the overdue decision shows on the board, the owner
department marks it done, other streets never see it, and the street's record downloads as CSV.
Row-level security is checked as the second line with the app role queried directly."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import psycopg
import pytest

from tests.api.field_helpers import points_in_community_of
from tests.conftest import TestDatabase
from tests.rls_identity import act_as


def _today(client, headers) -> date:
    r = client.get("/api/meetings/board", headers=headers)
    assert r.status_code == 200, r.text
    return date.fromisoformat(r.json()["today"])


@pytest.fixture(scope="module")
def case_id(client, auth_headers, owner_engine) -> str:
    """A complaint in community1 (street1), for the agenda."""
    (x, y) = points_in_community_of(owner_engine, "community1", 1, seed=9191)[0]
    body = {
        "id": str(uuid.uuid4()),
        "category": "fire_lane_blocked",
        "description": "消防通道长期被占，社区多次劝导无果",
        "location": {"type": "Point", "coordinates": [x, y]},
    }
    r = client.post("/api/complaints", json=body, headers=auth_headers["community1"])
    assert r.status_code == 201, r.text
    return body["id"]


@pytest.fixture(scope="module")
def meeting(client, auth_headers, case_id) -> dict:
    street = auth_headers["street1"]
    today = _today(client, street)
    body = {
        "kind": "street_joint",
        "held_on": (today - timedelta(days=10)).isoformat(),
        "title": "十二月物业管理联席会议",
        "participants": ["fire_rescue", "fire_rescue"],
        "note": "吹哨报到",
    }
    r = client.post("/api/meetings", json=body, headers=street)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["kind_zh"] == "街道联席会议" and m["participants"] == ["fire_rescue"]
    first = {
        "topic": "消防通道占用",
        "report_id": case_id,
        "decision": "消防救援牵头清理，社区配合",
        "owner_department": "fire_rescue",
        "due_on": (today - timedelta(days=2)).isoformat(),
    }
    r = client.post(f"/api/meetings/{m['id']}/items", json=first, headers=street)
    assert r.status_code == 201, r.text
    assert r.json()["overdue"] is True and r.json()["report_status"] == "reported"
    second = {"topic": "<b>电梯维保</b>", "owner_text": "物业公司", "due_on": str(today)}
    r = client.post(f"/api/meetings/{m['id']}/items", json=second, headers=street)
    assert r.status_code == 201, r.text
    assert r.json()["overdue"] is False
    return client.get(f"/api/meetings/{m['id']}", headers=street).json()


def test_the_meeting_reads_back_with_its_agenda(meeting) -> None:
    assert meeting["items"] == 2 and meeting["open_items"] == 2
    assert meeting["overdue_items"] == 1
    topics = [i["topic"] for i in meeting["agenda"]]
    assert topics == ["消防通道占用", "<b>电梯维保</b>"]  # kept as typed; pages escape it
    assert meeting["agenda"][0]["owner_department_zh"]


def test_board_lists_the_overdue_decision_and_the_cadence(client, auth_headers, meeting):
    board = client.get("/api/meetings/board", headers=auth_headers["street1"]).json()
    mine = [i for i in board["overdue"] if i["meeting_id"] == meeting["id"]]
    assert [i["topic"] for i in mine] == ["消防通道占用"]
    street_rows = [c for c in board["cadence"] if c["kind"] == "street_joint"]
    assert len(street_rows) == 1  # a street office: its own street only
    row = street_rows[0]
    held = date.fromisoformat(meeting["held_on"])
    assert row["last_held"] == meeting["held_on"] and row["months"] == 1
    assert date.fromisoformat(row["next_due"]) > held
    quarterly = next(c for c in board["cadence"] if c["kind"] == "grid_quarterly")
    assert quarterly["months"] == 3
    # never held a quarterly meeting with the grid workers: due now (not yet overdue today)
    if quarterly["last_held"] is None:
        assert quarterly["next_due"] == board["today"]
    assert board["can_write"] is True and any(
        d["code"] == "fire_rescue" for d in board["departments"]
    )
    district = client.get("/api/meetings/board", headers=auth_headers["district"]).json()
    streets = {c["street_code"] for c in district["cadence"]}
    assert len(streets) > 1 and any(i["meeting_id"] == meeting["id"] for i in district["overdue"])


def test_other_streets_and_grid_workers_do_not_see_it(client, auth_headers, meeting) -> None:
    other = auth_headers["street2"]
    assert client.get(f"/api/meetings/{meeting['id']}", headers=other).status_code == 404
    assert meeting["id"] not in [m["id"] for m in client.get("/api/meetings", headers=other).json()]
    board = client.get("/api/meetings/board", headers=other).json()
    assert all(i["meeting_id"] != meeting["id"] for i in board["overdue"])
    item = meeting["agenda"][0]["id"]
    r = client.post(f"/api/meetings/items/{item}/done", json={}, headers=other)
    assert r.status_code == 404
    assert client.get("/api/meetings", headers=auth_headers["worker1"]).status_code == 403
    assert client.get("/api/meetings", headers=auth_headers["planner"]).status_code == 403


def test_community_reads_the_street_meeting_but_does_not_write_it(
    client, auth_headers, meeting
) -> None:
    staff = auth_headers["community1"]
    listed = client.get("/api/meetings", headers=staff).json()
    assert meeting["id"] in [m["id"] for m in listed]
    r = client.post(f"/api/meetings/{meeting['id']}/items", json={"topic": "x"}, headers=staff)
    assert r.status_code == 403 and r.json()["detail"]["message_zh"]
    # its own community meeting, with no codes given
    body = {"kind": "community", "held_on": str(_today(client, staff)), "title": "社区议事会"}
    r = client.post("/api/meetings", json=body, headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["community_code"] and r.json()["kind_zh"] == "社区联席会议"
    # the street sees its community's meeting; the other street does not
    assert client.get(f"/api/meetings/{r.json()['id']}", headers=auth_headers["street1"]).is_success
    assert (
        client.get(f"/api/meetings/{r.json()['id']}", headers=auth_headers["street2"]).status_code
        == 404
    )


def test_the_owner_department_marks_its_decision_done_once(client, auth_headers, meeting):
    dept = auth_headers["dept-fire"]
    listed = client.get("/api/meetings", headers=dept).json()
    assert meeting["id"] in [m["id"] for m in listed]  # it took part
    first, second = meeting["agenda"][0]["id"], meeting["agenda"][1]["id"]
    r = client.post(f"/api/meetings/items/{second}/done", json={}, headers=dept)
    assert r.status_code == 403  # not its decision
    r = client.post(f"/api/meetings/items/{first}/done", json={"note": "已清理"}, headers=dept)
    assert r.status_code == 200, r.text
    assert r.json()["done_by"] == "dept-fire" and r.json()["overdue"] is False
    again = client.post(f"/api/meetings/items/{first}/done", json={}, headers=dept)
    assert again.status_code == 409
    board = client.get("/api/meetings/board", headers=auth_headers["street1"]).json()
    assert all(i["id"] != first for i in board["overdue"])
    assert client.post("/api/meetings", json={}, headers=dept).status_code == 403


def test_refusals_say_what_is_wrong(client, auth_headers, meeting, case_id) -> None:
    street = auth_headers["street1"]
    today = _today(client, street)
    base = {"kind": "street_joint", "held_on": str(today), "title": "会议"}
    cases = [
        ({**base, "held_on": str(today + timedelta(days=1))}, "held_on"),
        ({**base, "participants": ["no_such_dept"]}, "participants"),
        ({**base, "kind": "community"}, "kind"),
        ({**base, "title": "a\x07b"}, None),
        ({**base, "extra": 1}, None),
    ]
    for body, field in cases:
        r = client.post("/api/meetings", json=body, headers=street)
        assert r.status_code == 422, (body, r.text)
        if field:
            assert r.json()["detail"]["where"]["field"] == field
            assert r.json()["detail"]["message_zh"]
    # another street's code is outside street1's jurisdiction
    r = client.post("/api/meetings", json={**base, "street": "999999999"}, headers=street)
    assert r.status_code == 404
    # a decision due before the meeting; a case of another street
    r = client.post(
        f"/api/meetings/{meeting['id']}/items",
        json={"topic": "t", "due_on": "2000-01-01"},
        headers=street,
    )
    assert r.status_code == 422 and r.json()["detail"]["where"]["field"] == "due_on"
    other = client.post("/api/meetings", json=base, headers=auth_headers["street2"])
    assert other.status_code == 201, other.text
    r = client.post(
        f"/api/meetings/{other.json()['id']}/items",
        json={"topic": "越权", "report_id": case_id},
        headers=auth_headers["street2"],
    )
    assert r.status_code == 404


def test_the_street_record_downloads_as_csv(client, auth_headers, meeting) -> None:
    r = client.get("/api/meetings/export.csv", headers=auth_headers["street1"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["会议日期", "会议类型", "街道"]
    mine = [row for row in rows[1:] if row[4] == "十二月物业管理联席会议"]
    assert [row[6] for row in mine] == ["消防通道占用", "<b>电梯维保</b>"]
    assert mine[0][2] and mine[0][7]  # street name and the linked case
    other = client.get("/api/meetings/export.csv", headers=auth_headers["street2"])
    assert "十二月物业管理联席会议" not in other.content.decode("utf-8-sig")


def test_row_level_security_is_the_second_line(test_db: TestDatabase, meeting) -> None:
    """As street2 through the app role, a hand-written query finds nothing of street1's."""
    if test_db.app_url == test_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(test_db.libpq("app")) as conn:
        for username, sees in (("street2", False), ("street1", True), ("dept-fire", True)):
            act_as(conn, username, local=False)
            meetings = conn.execute(
                "SELECT count(*) FROM joint_meeting WHERE id = %s", (meeting["id"],)
            ).fetchone()
            items = conn.execute(
                "SELECT count(*) FROM meeting_item WHERE meeting_id = %s", (meeting["id"],)
            ).fetchone()
            assert (meetings[0] == 1, items[0] == 2) == (sees, sees), username
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE meeting_item SET topic = 'x' WHERE meeting_id = %s",
                         (meeting["id"],))  # fmt: skip
