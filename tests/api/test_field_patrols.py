"""Patrols: idempotent start, finish with track and checklist, findings, reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def walk(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 5, seed=41)


def _start(client, headers, **extra):
    body = {
        "id": str(uuid.uuid4()),
        "started_at": datetime.now(UTC).isoformat(),
        "checklist": {},
        **extra,
    }
    return body, client.post("/api/patrols", json=body, headers=headers)


def test_a_patrol_with_track_checklist_and_a_finding(client: TestClient, auth_headers, walk):
    headers = auth_headers["worker1"]
    body, r = _start(client, headers)
    assert r.status_code == 201, r.text
    again = client.post("/api/patrols", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    finding = report_body(*walk[1], patrol_id=body["id"])
    assert client.post("/api/reports", json=finding, headers=headers).status_code == 201
    t0 = datetime.now(UTC)
    finish = {
        "ended_at": (t0 + timedelta(minutes=10)).isoformat(),
        "track": {"type": "LineString", "coordinates": [list(p) for p in walk[:4]]},
        "accuracy_m": [5, 7.5, 12, 6],
        "recorded_at": [(t0 + timedelta(minutes=i)).isoformat() for i in range(4)],
        "checklist": {"sanitation": "ok", "safety": "issue", "floating_population": "not_checked"},
        "note": "东门电动车充电",
    }
    done = client.post(f"/api/patrols/{body['id']}/finish", json=finish, headers=headers)
    assert done.status_code == 200, done.text
    got = done.json()
    assert got["track"]["type"] == "LineString" and len(got["track"]["coordinates"]) == 4
    assert got["track_accuracy_m"] == [5, 7.5, 12, 6]
    assert len(got["track_recorded_at"]) == 4
    assert got["checklist"]["safety"] == "issue" and got["findings"] == 1
    assert got["grid_code"] is not None and got["grid_code"].startswith(got["community_code"])
    retry = client.post(f"/api/patrols/{body['id']}/finish", json=finish, headers=headers)
    assert retry.status_code == 200
    changed = {**finish, "note": "另写"}
    assert (
        client.post(f"/api/patrols/{body['id']}/finish", json=changed, headers=headers).status_code
        == 409
    )
    listed = client.get("/api/patrols", headers=auth_headers["community1"]).json()
    assert body["id"] in [p["id"] for p in listed["items"]]
    assert client.get(f"/api/patrols/{body['id']}", headers=headers).status_code == 200


def test_patrol_refusals(client, auth_headers, walk) -> None:
    headers = auth_headers["worker1"]
    body, r = _start(client, headers)
    different = {**body, "checklist": {"greening": "ok"}}
    assert client.post("/api/patrols", json=different, headers=headers).status_code == 409
    assert _start(client, headers, checklist={"karaoke": "ok"})[1].status_code == 422
    assert _start(client, headers, worker_id=1)[1].status_code == 422
    assert _start(client, auth_headers["street1"])[1].status_code == 403
    t = datetime.now(UTC)
    bad_lists = {
        "ended_at": t.isoformat(),
        "track": {"type": "LineString", "coordinates": [list(walk[0]), list(walk[1])]},
        "accuracy_m": [5],
    }
    url = f"/api/patrols/{body['id']}/finish"
    assert client.post(url, json=bad_lists, headers=headers).status_code == 422
    swapped = {
        "ended_at": t.isoformat(),
        "track": {
            "type": "LineString",
            "coordinates": [[walk[0][1], walk[0][0]], [walk[1][1], walk[1][0]]],
        },
    }
    assert client.post(url, json=swapped, headers=headers).status_code == 422
    early = {"ended_at": (t - timedelta(days=1)).isoformat()}
    assert client.post(url, json=early, headers=headers).status_code == 422
    assert (
        client.get(f"/api/patrols/{body['id']}", headers=auth_headers["dept-fire"]).status_code
        == 403
    )
    other = client.post(
        f"/api/patrols/{uuid.uuid4()}/finish", json={"ended_at": t.isoformat()}, headers=headers
    )
    assert other.status_code == 404


def test_categories_catalogue(client, auth_headers) -> None:
    cats = client.get("/api/categories", headers=auth_headers["worker1"]).json()
    fire = [c for c in cats if c["code"] == "fire_lane_blocked"]
    assert fire and fire[0]["department"] == "fire_rescue" and fire[0]["name_zh"]
