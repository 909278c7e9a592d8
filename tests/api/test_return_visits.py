"""A complaint through the whole loop to 销号, then the return visit (回访): 不满意 reopens the
case with its history kept, the second closing is visited 满意, and no closing twice."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from tests.api.field_helpers import points_in_community_of


@pytest.fixture(scope="module")
def spot(owner_engine) -> tuple[float, float]:
    return points_in_community_of(owner_engine, "community1", 1, seed=4242)[0]


def _move(client, headers, rid, to, **extra) -> dict:
    r = client.post(f"/api/reports/{rid}/transitions", json={"to": to, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _handle(client, auth_headers, rid) -> None:
    """dept-fire 开始处置 and 处置完成 with an evidence photo."""
    dept = auth_headers["dept-fire"]
    _move(client, dept, rid, "in_progress")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 10)).save(out, "JPEG")
    r = client.post(
        f"/api/reports/{rid}/photos",
        files={"file": ("done.jpg", out.getvalue(), "image/jpeg")},
        data={"evidence": "true"},
        headers=dept,
    )
    assert r.status_code == 201, r.text
    _move(client, dept, rid, "handled", note="已清理通道")


def _visit(client, headers, rid, **body):
    return client.post(f"/api/cases/{rid}/return-visits", json=body, headers=headers)


def _pending(client, headers) -> list[str]:
    r = client.get("/api/return-visits/pending", params={"limit": 500}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()]


def test_dissatisfied_visit_reopens_a_closed_complaint(client, auth_headers, spot) -> None:
    staff, street = auth_headers["community1"], auth_headers["street1"]
    body = {
        "id": str(uuid.uuid4()),
        "channel": "hotline",
        "category": "fire_lane_blocked",
        "description": "12345 来电：楼下消防通道长期被占",
        "location": {"type": "Point", "coordinates": list(spot)},
        "caller_name": "李四",
        "caller_phone": "13800001111",
    }
    r = client.post("/api/complaints", json=body, headers=staff)
    assert r.status_code == 201, r.text
    rid = body["id"]
    # a visit before 销号 is refused with the status it has
    r = _visit(client, staff, rid, result="satisfied")
    assert r.status_code == 409 and r.json()["detail"]["current_status"] == "reported"

    _move(client, staff, rid, "accepted")
    _move(client, street, rid, "dispatched")
    _handle(client, auth_headers, rid)
    _move(client, staff, rid, "verified")
    _move(client, staff, rid, "closed")
    assert rid in _pending(client, staff) and rid in _pending(client, street)
    case = client.get(f"/api/cases/{rid}", headers=staff).json()
    assert case["needs_return_visit"] is True
    pending = client.get("/api/return-visits/pending", params={"limit": 500}, headers=staff)
    item = next(i for i in pending.json() if i["id"] == rid)
    assert item["channel_zh"] == "12345 热线" and item["caller"] == "李四 13800001111"

    r = _visit(client, staff, rid, result="dissatisfied", reopen=True)
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "note"}
    r = _visit(client, staff, rid, result="satisfied", reopen=True, note="x")
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "reopen"}
    r = _visit(client, staff, rid, result="dissatisfied", reopen=True, note="通道又被占了")
    assert r.status_code == 201, r.text
    assert r.json()["result_zh"] == "不满意" and r.json()["reopened"] is True

    case = client.get(f"/api/cases/{rid}", headers=staff).json()
    assert case["status"] == "dispatched" and case["closed_at"] is None
    assert case["reopened_count"] == 1 and case["needs_return_visit"] is False
    steps = [(h["from_status"], h["to_status"]) for h in case["history"]]
    assert steps == [
        (None, "reported"), ("reported", "accepted"), ("accepted", "dispatched"),
        ("dispatched", "in_progress"), ("in_progress", "handled"), ("handled", "verified"),
        ("verified", "closed"), ("closed", "dispatched"),
    ]  # fmt: skip
    assert case["history"][-1]["note"] == "回访不满意，重新办理：通道又被占了"
    assert case["history"][-1]["actor"] == "community1"
    assert rid not in _pending(client, staff)
    # the department has it back in its 处置中 queue, with a fresh deadline
    handling = client.get(
        "/api/cases", params={"queue": "handling", "limit": 200}, headers=auth_headers["dept-fire"]
    )
    assert rid in [i["id"] for i in handling.json()["items"]]

    # handled again and closed again: this closing gets its own visit, once
    _handle(client, auth_headers, rid)
    _move(client, staff, rid, "verified")
    _move(client, staff, rid, "closed")
    assert rid in _pending(client, staff)
    r = _visit(client, street, rid, result="basically", note="基本解决")
    assert r.status_code == 201, r.text
    r = _visit(client, staff, rid, result="satisfied")
    assert r.status_code == 409 and r.json()["detail"]["where"] == {"field": "report"}
    visits = client.get(f"/api/cases/{rid}", headers=staff).json()["return_visits"]
    assert [(v["result"], v["reopened"], v["actor"]) for v in visits] == [
        ("dissatisfied", True, "community1"),
        ("basically", False, "street1"),
    ]


def test_patrol_reports_get_no_return_visit(client, auth_headers, owner_engine) -> None:
    from sqlalchemy import text

    with owner_engine.begin() as conn:
        rid = conn.execute(
            text(
                "SELECT r.id FROM report r JOIN app_user u ON u.community_id = r.community_id"
                " WHERE u.username = 'community1' AND r.channel = 'patrol' LIMIT 1"
            )
        ).scalar_one()
    r = _visit(client, auth_headers["community1"], rid, result="satisfied")
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "channel"}
    # grid workers and departments record no visits
    for who in ("worker1", "dept-fire"):
        assert _visit(client, auth_headers[who], rid, result="satisfied").status_code == 403
