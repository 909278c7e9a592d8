"""The report life cycle: every allowed transition, every refusal, the history, escalation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from service.domain.policy import TRANSITION_RIGHTS
from service.domain.report_lifecycle import TRANSITIONS
from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 40, seed=23)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _file(client, auth_headers, spot, category="fire_lane_blocked") -> str:
    body = report_body(*spot, category=category)
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    return body["id"]


def _move(client, headers, rid, to, **extra):
    return client.post(f"/api/reports/{rid}/transitions", json={"to": to, **extra}, headers=headers)


def _evidence(client, headers, rid) -> None:
    r = client.post(
        f"/api/reports/{rid}/photos",
        files={"file": ("done.jpg", _jpeg(), "image/jpeg")},
        data={"evidence": "true"},
        headers=headers,
    )
    assert r.status_code == 201, r.text


def test_the_whole_life_cycle_to_closed(client: TestClient, auth_headers, spots) -> None:
    rid = _file(client, auth_headers, spots[0])
    staff, dept = auth_headers["community1"], auth_headers["dept-fire"]
    assert _move(client, staff, rid, "accepted", note="属实").status_code == 200
    assert _move(client, staff, rid, "dispatched", note="转消防").status_code == 200
    assert _move(client, dept, rid, "in_progress").status_code == 200
    _evidence(client, dept, rid)
    assert _move(client, dept, rid, "handled", note="已清理通道").status_code == 200
    assert _move(client, staff, rid, "verified", note="现场核实").status_code == 200
    done = _move(client, staff, rid, "closed", note="销号")
    assert done.status_code == 200
    got = done.json()
    assert got["status"] == "closed" and got["closed_at"] is not None
    steps = [(h["from_status"], h["to_status"], h["actor"]) for h in got["history"]]
    assert steps == [
        (None, "reported", "worker1"),
        ("reported", "accepted", "community1"),
        ("accepted", "dispatched", "community1"),
        ("dispatched", "in_progress", "dept-fire"),
        ("in_progress", "handled", "dept-fire"),
        ("handled", "verified", "community1"),
        ("verified", "closed", "community1"),
    ]
    assert got["allowed_transitions"] == []


def test_street_office_may_triage_and_send_back_after_failed_verification(
    client, auth_headers, spots
) -> None:
    rid = _file(client, auth_headers, spots[1])
    street, dept = auth_headers["street1"], auth_headers["dept-fire"]
    mine = client.get(f"/api/reports/{rid}", headers=street)
    if mine.status_code == 404:
        pytest.skip("worker1's community is not in street1 in this demo city")
    for to in ("accepted", "dispatched"):
        assert _move(client, street, rid, to).status_code == 200
    assert _move(client, dept, rid, "in_progress").status_code == 200
    _evidence(client, dept, rid)
    assert _move(client, dept, rid, "handled", note="处理").status_code == 200
    back = _move(client, street, rid, "in_progress", note="现场未整改")
    assert back.status_code == 200 and back.json()["status"] == "in_progress"


def test_rejection_as_invalid_or_duplicate(client, auth_headers, spots) -> None:
    staff = auth_headers["community1"]
    original = _file(client, auth_headers, spots[2])
    rid = _file(client, auth_headers, spots[3])
    assert _move(client, staff, rid, "rejected").status_code == 422  # no reason
    assert _move(client, staff, rid, "rejected", reason="duplicate").status_code == 422
    assert (
        _move(client, staff, rid, "rejected", reason="duplicate", duplicate_of=rid).status_code
        == 422
    )
    r = _move(client, staff, rid, "rejected", reason="duplicate", duplicate_of=original)
    assert r.status_code == 200
    assert r.json()["duplicate_of"] == original and r.json()["status"] == "rejected"
    assert r.json()["history"][-1]["note"].startswith("[duplicate]")
    other = _file(client, auth_headers, spots[4])
    assert _move(client, staff, other, "rejected", reason="invalid").json()["status"] == "rejected"


def test_grid_worker_only_confirms_a_fix_on_site(client, auth_headers, spots) -> None:
    worker = auth_headers["worker1"]
    rid = _file(client, auth_headers, spots[5])
    for to in ("accepted", "rejected"):
        assert _move(client, worker, rid, to, reason="invalid").status_code == 403
    _walk_to(client, auth_headers, rid, "handled")
    r = _move(client, worker, rid, "verified", note="现场已整改")
    assert r.status_code == 200 and r.json()["history"][-1]["actor"] == "worker1"
    assert _move(client, worker, rid, "closed").status_code == 403


@pytest.mark.parametrize(("frm", "to"), sorted(TRANSITIONS))
def test_each_transition_is_refused_to_roles_without_the_right(
    client, auth_headers, spots, frm, to
):
    """Each move: every demo role without the right gets 403, one with it succeeds."""
    users = {"grid_worker": "worker1", "community_staff": "community1", "department": "dept-fire"}
    rid = _file(client, auth_headers, spots[6])
    _walk_to(client, auth_headers, rid, frm)
    extra = {"reason": "invalid"} if to == "rejected" else {"note": "x"}
    allowed = [role for role in users if (frm, to) in TRANSITION_RIGHTS[role]]
    assert allowed, f"no demo role may move {frm} → {to}"
    for role, user in users.items():
        if role not in allowed:
            assert _move(client, auth_headers[user], rid, to, **extra).status_code == 403
    if to == "handled":
        _evidence(client, auth_headers["dept-fire"], rid)
    done = _move(client, auth_headers[users[allowed[0]]], rid, to, **extra)
    assert done.status_code == 200 and done.json()["status"] == to


def _walk_to(client, auth_headers, rid, status) -> None:
    path = ["reported", "accepted", "dispatched", "in_progress", "handled", "verified", "closed"]
    staff, dept = auth_headers["community1"], auth_headers["dept-fire"]
    for to in path[1 : path.index(status) + 1]:
        who = dept if to in ("in_progress", "handled") else staff
        if to == "handled":
            _evidence(client, dept, rid)
        assert _move(client, who, rid, to, note="步骤").status_code == 200


@pytest.mark.parametrize(
    ("status", "to"),
    [
        ("reported", "dispatched"),
        ("reported", "closed"),
        ("accepted", "verified"),
        ("dispatched", "closed"),
        ("closed", "accepted"),
        ("verified", "reported"),
    ],
)
def test_moves_the_life_cycle_does_not_have_are_409(client, auth_headers, spots, status, to):
    rid = _file(client, auth_headers, spots[7])
    _walk_to(client, auth_headers, rid, status)
    r = _move(client, auth_headers["community1"], rid, to, note="x")
    assert r.status_code == 409
    assert r.json()["detail"]["where"] == {"field": "to"}


def test_handled_needs_a_note_and_an_evidence_photo(client, auth_headers, spots) -> None:
    dept = auth_headers["dept-fire"]
    rid = _file(client, auth_headers, spots[8])
    _walk_to(client, auth_headers, rid, "in_progress")
    no_photo = _move(client, dept, rid, "handled", note="已处理")
    assert no_photo.status_code == 422 and no_photo.json()["detail"]["where"]["field"] == "photos"
    _evidence(client, dept, rid)
    no_note = _move(client, dept, rid, "handled", note="  ")
    assert no_note.status_code == 422 and no_note.json()["detail"]["where"]["field"] == "note"
    assert _move(client, dept, rid, "handled", note="已处理").status_code == 200


def test_outside_jurisdiction_is_404(client, auth_headers, spots) -> None:
    rid = _file(client, auth_headers, spots[9], category="improper_waste")
    # the fire department never sees an urban-management report
    assert _move(client, auth_headers["dept-fire"], rid, "in_progress").status_code == 404
    me = client.get("/api/me", headers=auth_headers["street2"]).json()
    filed = client.get(f"/api/reports/{rid}", headers=auth_headers["community1"]).json()
    if me["jurisdiction"]["street_code"] != filed["street_code"]:
        assert _move(client, auth_headers["street2"], rid, "accepted").status_code == 404


def test_unknown_status_and_unknown_fields_are_422(client, auth_headers, spots) -> None:
    rid = _file(client, auth_headers, spots[10])
    staff = auth_headers["community1"]
    assert _move(client, staff, rid, "lost").status_code == 422
    assert _move(client, staff, rid, "accepted", actor="admin").status_code == 422


def test_history_is_append_only(client, auth_headers, spots, owner_engine) -> None:
    rid = _file(client, auth_headers, spots[11])
    with owner_engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE report_event SET note = 'x' WHERE report_id = :r"), {"r": rid})


def test_overdue_reports_escalate_community_street_district(
    client, auth_headers, spots, owner_engine, settings
) -> None:
    from service.services.escalation import run_escalation

    rid = _file(client, auth_headers, spots[12])
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE report SET created_at = now() - interval '30 hours',"
                " deadline_at = now() - interval '6 hours' WHERE id = :r"
            ),
            {"r": rid},
        )
    assert run_escalation(settings) >= 1
    first = client.get(f"/api/reports/{rid}", headers=auth_headers["community1"]).json()
    assert first["escalation_level"] == "street"
    assert "escalated to street" in first["history"][-1]["note"]
    # not yet a second deadline period late: stays with the street
    run_escalation(settings)
    assert (
        client.get(f"/api/reports/{rid}", headers=auth_headers["community1"]).json()[
            "escalation_level"
        ]
        == "street"
    )
    later = datetime.now(UTC) + timedelta(hours=20)
    run_escalation(settings, now=later)
    last = client.get(f"/api/reports/{rid}", headers=auth_headers["community1"]).json()
    assert last["escalation_level"] == "district"
    assert [h["note"][-11:] for h in last["history"][-2:]] == ["d to street", "to district"]
