"""A patrol as sent must be physically plausible: a track of one repeated point (a worker who
never moved) used to answer 500; times in year 0001 or 2099, impossible accuracies, a 600 km
track and points out of order were stored silently. Each is a 422 naming the field (and the
point), with nothing stored; the same patrol then finishes normally."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.field_helpers import points_in_community_of


@pytest.fixture(scope="module")
def walk(owner_engine: Engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 4, seed=57)


def _start(client: TestClient, headers: dict[str, str], started: datetime) -> str:
    pid = str(uuid.uuid4())
    r = client.post(
        "/api/patrols", json={"id": pid, "started_at": started.isoformat()}, headers=headers
    )
    assert r.status_code == 201, r.text
    return pid


def _finish_body(walk: list[tuple[float, float]], t0: datetime, **changes: Any) -> dict:
    body: dict[str, Any] = {
        "ended_at": (t0 + timedelta(minutes=5)).isoformat(),
        "track": {"type": "LineString", "coordinates": [list(p) for p in walk[:3]]},
        "accuracy_m": [5, 6, 7],
        "recorded_at": [(t0 + timedelta(minutes=i)).isoformat() for i in range(3)],
    }
    body.update(changes)
    return body


def _far_track(walk: list[tuple[float, float]]) -> dict[str, Any]:
    lon, lat = walk[0]
    return {"type": "LineString", "coordinates": [[lon, lat], [lon + 3, lat], [lon + 6, lat]]}


def _cases(walk: list[tuple[float, float]], t0: datetime) -> dict[str, tuple[dict, str]]:
    """name → (finish body, the field its refusal must name)."""
    p = list(walk[0])
    iso = [(t0 + timedelta(minutes=i)).isoformat() for i in range(3)]
    return {
        "one_point_repeated": (
            _finish_body(walk, t0, track={"type": "LineString", "coordinates": [p, p, p]}),
            "track",
        ),
        "single_point": (
            _finish_body(
                walk,
                t0,
                track={"type": "LineString", "coordinates": [p]},
                accuracy_m=[5],
                recorded_at=iso[:1],
            ),
            "track",
        ),
        "ended_in_2099": (
            _finish_body(walk, t0, ended_at="2099-01-01T00:00:00+00:00"),
            "ended_at",
        ),
        "negative_accuracy": (_finish_body(walk, t0, accuracy_m=[5, -1, 7]), "accuracy_m"),
        "accuracy_1e30": (_finish_body(walk, t0, accuracy_m=[5, 1e30, 7]), "accuracy_m"),
        "track_600_km": (_finish_body(walk, t0, track=_far_track(walk)), "track"),
        "points_out_of_order": (
            _finish_body(walk, t0, recorded_at=[iso[0], iso[2], iso[1]]),
            "recorded_at",
        ),
        "recorded_in_year_1": (
            _finish_body(walk, t0, recorded_at=["0001-01-01T00:00:00+00:00", *iso[1:]]),
            "recorded_at",
        ),
        "naive_time": (
            _finish_body(
                walk, t0, ended_at=(t0 + timedelta(minutes=5)).replace(tzinfo=None).isoformat()
            ),
            "ended_at",
        ),
    }


def _names_field(r: Any, field: str) -> bool:
    detail = r.json()["detail"]
    if isinstance(detail, dict):
        return detail["where"]["field"] == field
    return any(field in [str(x) for x in d["loc"]] for d in detail)


@pytest.mark.parametrize(
    "case",
    [
        "one_point_repeated",
        "single_point",
        "ended_in_2099",
        "negative_accuracy",
        "accuracy_1e30",
        "track_600_km",
        "points_out_of_order",
        "recorded_in_year_1",
        "naive_time",
    ],
)
def test_implausible_finish_is_422_and_stores_nothing(
    client: TestClient, auth_headers, owner_engine: Engine, walk, case: str
) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers["worker1"]
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    pid = _start(client, headers, t0)
    body, field = _cases(walk, t0)[case]
    r = client.post(f"/api/patrols/{pid}/finish", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert _names_field(r, field), r.text
    with owner_engine.connect() as conn:
        ended, geom = conn.execute(
            text("SELECT ended_at, geom FROM patrol WHERE id = :id"), {"id": pid}
        ).one()
    assert ended is None and geom is None
    # Without the bad part the same patrol finishes (a worker who never moved: no track).
    plain = {"ended_at": (t0 + timedelta(minutes=5)).isoformat()}
    assert client.post(f"/api/patrols/{pid}/finish", json=plain, headers=headers).status_code == 200


@pytest.mark.parametrize("started", ["0001-01-01T00:00:00+00:00", "2099-06-01T00:00:00+00:00"])
def test_implausible_start_is_422(client: TestClient, auth_headers, started: str) -> None:  # type: ignore[no-untyped-def]
    pid = str(uuid.uuid4())
    r = client.post(
        "/api/patrols", json={"id": pid, "started_at": started}, headers=auth_headers["worker1"]
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["where"]["field"] == "started_at"
    got = client.get(f"/api/patrols/{pid}", headers=auth_headers["worker1"])
    assert got.status_code == 404


def test_the_600_km_refusal_names_the_point(client: TestClient, auth_headers, walk) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers["worker1"]
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    pid = _start(client, headers, t0)
    r = client.post(
        f"/api/patrols/{pid}/finish",
        json=_finish_body(walk, t0, track=_far_track(walk)),
        headers=headers,
    )
    assert r.status_code == 422
    assert r.json()["detail"]["where"]["point"] == 1
