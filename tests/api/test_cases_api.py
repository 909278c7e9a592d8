"""The case-handling API over the demo city: queues, counts, keyset pages, bulk moves, 退回,
joint handling, races (409 with the current status) and the 已升级 queue after escalation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import text

from service.services.escalation import run_escalation
from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 40, seed=1414)


def _file(client, auth_headers, spot, category="fire_lane_blocked", description="") -> str:
    body = report_body(*spot, category=category, description=description)
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    return body["id"]


def _move(client, headers, rid, to, **extra):
    return client.post(f"/api/reports/{rid}/transitions", json={"to": to, **extra}, headers=headers)


def _queue(client, headers, queue, **params) -> list[str]:
    """Every id of a queue, walking the keyset pages."""
    ids, cursor = [], None
    while True:
        args = {"queue": queue, "limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get("/api/cases", params=args, headers=headers)
        assert r.status_code == 200, r.text
        ids += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids


def _evidence(client, headers, rid) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 30)).save(out, "JPEG")
    r = client.post(
        f"/api/reports/{rid}/photos",
        files={"file": ("done.jpg", out.getvalue(), "image/jpeg")},
        data={"evidence": "true"},
        headers=headers,
    )
    assert r.status_code == 201, r.text


def test_a_report_moves_through_the_street_queues(client, auth_headers, spots) -> None:
    street, dept = auth_headers["street1"], auth_headers["dept-fire"]
    before = client.get("/api/cases/counts", headers=street).json()["queues"]
    rid = _file(client, auth_headers, spots[0], description="队列测试")
    counts = client.get("/api/cases/counts", headers=street).json()["queues"]
    assert counts["accept"]["count"] == before["accept"]["count"] + 1
    assert counts["accept"]["label_zh"] == "待受理"
    assert rid in _queue(client, street, "accept")
    assert _move(client, street, rid, "accepted", note="属实").status_code == 200
    assert rid not in _queue(client, street, "accept")
    assert rid in _queue(client, street, "dispatch")
    assert _move(client, street, rid, "dispatched", department="fire_rescue").status_code == 200
    assert rid in _queue(client, dept, "handling") and rid in _queue(client, street, "handling")
    # the street2 office never sees it, not even in counts of its own
    assert rid not in _queue(client, auth_headers["street2"], "handling")
    # worker1 filed it: 我的上报 shows the last step
    mine = client.get("/api/cases", params={"queue": "mine"}, headers=auth_headers["worker1"])
    item = next(i for i in mine.json()["items"] if i["id"] == rid)
    assert item["status"] == "dispatched" and item["last_status"] == "dispatched"


def test_pages_are_keyset_sorted_by_deadline_and_filters_apply(client, auth_headers, spots):
    street = auth_headers["street1"]
    for spot in spots[1:6]:
        _file(client, auth_headers, spot, description="分页测试 50%_x")
    ids, cursor, deadlines = [], None, []
    while True:
        params = {"queue": "accept", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/cases", params=params, headers=street).json()
        assert len(page["items"]) <= 2
        ids += [i["id"] for i in page["items"]]
        deadlines += [i["deadline_at"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) >= 5
    assert deadlines == sorted(deadlines)
    # text search escapes LIKE wildcards: "50%_x" matches itself only
    found = _queue(client, street, "accept", q="50%_x")
    assert len(found) >= 5 and set(found) <= set(ids)
    assert _queue(client, street, "accept", q="5%x") == []
    assert _queue(client, street, "accept", category="no_such_category") == []


def test_bad_queue_or_cursor_is_a_clear_422(client, auth_headers) -> None:
    street = auth_headers["street1"]
    r = client.get("/api/cases", params={"queue": "nope"}, headers=street)
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "queue"}
    r = client.get("/api/cases", params={"queue": "accept", "cursor": "garbage!"}, headers=street)
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "cursor"}
    # a department has no 待受理 queue
    r = client.get("/api/cases", params={"queue": "accept"}, headers=auth_headers["dept-fire"])
    assert r.status_code == 422
    assert client.get("/api/cases/counts", headers=auth_headers["planner"]).status_code == 403


def test_a_raced_transition_answers_409_with_the_current_status(client, auth_headers, spots):
    street, community = auth_headers["street1"], auth_headers["community1"]
    rid = _file(client, auth_headers, spots[7])
    assert _move(client, community, rid, "accepted", expected="reported").status_code == 200
    r = _move(client, street, rid, "accepted", expected="reported")
    assert r.status_code == 409
    assert r.json()["detail"]["current_status"] == "accepted"
    assert r.json()["detail"]["where"] == {"field": "expected"}
    r = _move(client, street, rid, "rejected", reason="invalid")
    assert r.status_code == 409 and r.json()["detail"]["current_status"] == "accepted"


def test_a_department_returns_a_misrouted_report_and_it_is_redispatched(
    client, auth_headers, spots, owner_engine
) -> None:
    street, dept = auth_headers["street1"], auth_headers["dept-fire"]
    rid = _file(client, auth_headers, spots[8])
    _move(client, street, rid, "accepted")
    assert _move(client, street, rid, "dispatched").status_code == 200
    r = _move(client, dept, rid, "accepted")  # 退回 needs a note
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "note"}
    r = _move(client, dept, rid, "accepted", note="非消防事项，应属城管")
    assert r.status_code == 200
    assert rid in _queue(client, street, "dispatch")
    r = _move(client, street, rid, "dispatched", department="no_such_department")
    assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "department"}
    r = _move(client, street, rid, "dispatched", department="urban_management", note="改派城管")
    assert r.status_code == 200 and r.json()["department"] == "urban_management"
    # fire no longer sees it at all; the history keeps the return with who and why
    assert client.get(f"/api/cases/{rid}", headers=dept).status_code == 404
    history = client.get(f"/api/cases/{rid}", headers=street).json()["history"]
    ret = next(
        h for h in history if (h["from_status"], h["to_status"]) == ("dispatched", "accepted")
    )
    assert ret["actor"] == "dept-fire" and ret["note"] == "非消防事项，应属城管"
    with owner_engine.connect() as conn:
        audited = conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE object_id = :id AND username = 'dept-fire'"),
            {"id": rid},
        )
    assert audited == 1


def test_joint_handling_waits_for_every_assisting_part(
    client, auth_headers, spots, owner_engine
) -> None:
    street, dept = auth_headers["street1"], auth_headers["dept-fire"]
    rid = _file(client, auth_headers, spots[9])
    _move(client, street, rid, "accepted")
    assist = [{"department": "urban_management", "part": "清理堆物"}]
    r = _move(client, street, rid, "dispatched", assist=assist)
    assert r.status_code == 200
    helper = _department_user(owner_engine, client, "urban_management")
    detail = client.get(f"/api/cases/{rid}", headers=helper).json()
    assert detail["my_assist"]["part"] == "清理堆物" and detail["allowed_transitions"] == []
    assert rid in _queue(client, helper, "handling")
    # an assisting department cannot move the report itself
    assert _move(client, helper, rid, "in_progress").status_code == 403
    assert _move(client, dept, rid, "in_progress").status_code == 200
    _evidence(client, dept, rid)
    r = _move(client, dept, rid, "handled", note="通道已清")
    assert r.status_code == 409 and "城管" in r.json()["detail"]["message_zh"]
    assist_url = f"/api/cases/{rid}/assist"
    assert client.post(assist_url, json={"to": "handled"}, headers=helper).status_code == 409
    assert client.post(assist_url, json={"to": "in_progress"}, headers=helper).status_code == 200
    r = client.post(assist_url, json={"to": "handled", "note": "堆物已清"}, headers=helper)
    assert r.status_code == 200 and r.json()["status"] == "handled"
    assert _move(client, dept, rid, "handled", note="通道已清").status_code == 200
    notes = [h["note"] for h in client.get(f"/api/cases/{rid}", headers=street).json()["history"]]
    assert any("堆物已清" in n for n in notes)


def _department_user(owner_engine, client, department: str) -> dict[str, str]:
    from service.domain.passwords import hash_password

    name = f"dept-{department}"
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, district_id, department_id)"
                " SELECT :n, :h, 'department', u.district_id, d.id FROM app_user u, department d"
                " WHERE u.username = 'dept-fire' AND d.code = :dep"
                " ON CONFLICT (username) DO NOTHING"
            ),
            {"n": name, "h": hash_password("demo-pass-1"), "dep": department},
        )
    r = client.post("/api/auth/token", data={"username": name, "password": "demo-pass-1"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_bulk_accept_is_all_or_nothing(client, auth_headers, spots) -> None:
    street = auth_headers["street1"]
    a, b, c = (_file(client, auth_headers, s) for s in spots[10:13])
    _move(client, street, c, "accepted")
    r = client.post("/api/cases/bulk", json={"ids": [a, b, c], "to": "accepted"}, headers=street)
    assert r.status_code == 409
    assert r.json()["detail"]["where"] == {"field": "to", "index": 2, "id": c}
    assert client.get(f"/api/cases/{a}", headers=street).json()["status"] == "reported"
    r = client.post("/api/cases/bulk", json={"ids": [a, b], "to": "accepted"}, headers=street)
    assert r.status_code == 200 and r.json()["moved"] == [a, b]
    body = {"ids": [a, b], "to": "dispatched", "department": "fire_rescue"}
    assert client.post("/api/cases/bulk", json=body, headers=street).status_code == 200
    assert {a, b} <= set(_queue(client, auth_headers["dept-fire"], "handling"))


def test_an_overdue_report_lands_in_the_street_escalated_queue(
    client, auth_headers, spots, owner_engine, settings
) -> None:
    street = auth_headers["street1"]
    rid = _file(client, auth_headers, spots[14])
    assert rid not in _queue(client, street, "escalated")
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE report SET deadline_at = now() - interval '1 hour' WHERE id = :id"),
            {"id": rid},
        )
    assert rid in _queue(client, street, "overdue")
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    run_escalation(settings)
    assert rid in _queue(client, street, "escalated")
    counts = client.get("/api/cases/counts", params={"since": since}, headers=street).json()
    assert counts["queues"]["escalated"]["new"] >= 1


def test_the_case_page_data(client, auth_headers, spots) -> None:
    street = auth_headers["street1"]
    first = _file(client, auth_headers, spots[15])
    second = _file(client, auth_headers, (spots[15][0] + 0.0002, spots[15][1]))
    detail = client.get(f"/api/cases/{second}", headers=street).json()
    assert first in [d["id"] for d in detail["duplicates"]]
    assert second not in [d["id"] for d in detail["duplicates"]]
    assert detail["cell"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert 0 < detail["time_left_s"] and detail["allowed_transitions"] == ["accepted", "rejected"]
    r = _move(client, street, second, "rejected", reason="duplicate", duplicate_of=first)
    assert r.status_code == 200 and r.json()["duplicate_of"] == first


@pytest.mark.parametrize(
    "user", ["street1", "community1", "district", "dept-fire", "worker1", "admin"]
)
def test_counts_agree_with_the_lists(client, auth_headers, user) -> None:
    """The counting function applies the same jurisdiction as the lists (which RLS also checks)."""
    headers = auth_headers[user]
    counts = client.get("/api/cases/counts", headers=headers).json()["queues"]
    for name, entry in counts.items():
        assert entry["count"] == len(_queue(client, headers, name)), (user, name)


def test_counts_agree_with_the_lists_for_an_admin_without_a_district(client, owner_engine):
    headers = _admin_without_district(owner_engine, client)
    counts = client.get("/api/cases/counts", headers=headers).json()["queues"]
    assert counts["accept"]["count"] > 0
    for name, entry in counts.items():
        assert entry["count"] == len(_queue(client, headers, name)), name


def _admin_without_district(owner_engine, client) -> dict[str, str]:
    from service.domain.passwords import hash_password

    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role)"
                " VALUES ('admin-all', :h, 'admin') ON CONFLICT (username) DO NOTHING"
            ),
            {"h": hash_password("demo-pass-1")},
        )
    r = client.post("/api/auth/token", data={"username": "admin-all", "password": "demo-pass-1"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_new_since_counts_for_an_admin_without_a_district(
    client, auth_headers, spots, owner_engine
) -> None:
    """The badge of an admin who belongs to no district counts what changed anywhere (it once
    compared the history's district with the admin's missing one and always showed 0)."""
    admin = _admin_without_district(owner_engine, client)
    me = client.get("/api/me", headers=admin).json()
    assert me["jurisdiction"]["district_code"] is None and me["role"] == "admin"
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    rid = _file(client, auth_headers, spots[16], description="管理员角标")
    counts = client.get("/api/cases/counts", params={"since": since}, headers=admin).json()
    assert counts["queues"]["accept"]["new"] >= 1
    assert rid in _queue(client, admin, "accept")
    later = client.get("/api/cases/counts", params={"since": counts["now"]}, headers=admin).json()
    assert later["queues"]["accept"]["new"] == 0
    # the same badge for the street office, which has a district, still counts it too
    street = client.get(
        "/api/cases/counts", params={"since": since}, headers=auth_headers["street1"]
    )
    assert street.json()["queues"]["accept"]["new"] >= 1


def test_the_filters_pick_lists_stay_in_my_jurisdiction(client, auth_headers, owner_engine):
    street = auth_headers["street1"]
    with owner_engine.begin() as conn:
        own = (
            conn.execute(
                text(
                    "SELECT c.code FROM community c JOIN app_user u ON u.street_id = c.street_id"
                    " WHERE u.username = 'street1'"
                )
            )
            .scalars()
            .all()
        )
        other = conn.execute(
            text(
                "SELECT c.code FROM community c JOIN app_user u ON u.street_id = c.street_id"
                " WHERE u.username = 'street2' LIMIT 1"
            )
        ).scalar_one()
    places = client.get("/api/cases/places", headers=street).json()
    assert sorted(c["code"] for c in places["communities"]) == sorted(own)
    assert all(c["name"] and c["street_name"] for c in places["communities"])
    assert places["grid_cells"] == []
    cells = client.get("/api/cases/places", params={"community": own[0]}, headers=street).json()
    assert cells["grid_cells"] and all(
        g["code"].startswith(own[0]) and g["label_zh"] == f"第{g['code'][-3:]}网格"
        for g in cells["grid_cells"]
    )
    # another street's community: no cells (it is not mine), and a bad code is a clear 422
    assert (
        client.get("/api/cases/places", params={"community": other}, headers=street).json()[
            "grid_cells"
        ]
        == []
    )
    r = client.get("/api/cases/places", params={"community": "12ab"}, headers=street)
    assert r.status_code == 422
    dept = client.get("/api/cases/places", headers=auth_headers["dept-fire"]).json()
    assert set(own) <= {c["code"] for c in dept["communities"]}
