"""Filing reports: resolution to cell/小区/community/street, idempotency, refusals, reads."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 40, seed=5)


def test_filing_resolves_the_position_and_routes_by_category(
    client: TestClient, auth_headers, spots, owner_engine
) -> None:
    lon, lat = spots[0]
    body = report_body(lon, lat, category="fire_lane_blocked")
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["id"] == body["id"] and got["status"] == "reported"
    assert got["department"] == "fire_rescue"
    with owner_engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT gc.code, c.code, s.code FROM grid_cell gc"
                " JOIN community c ON c.id = gc.community_id JOIN street s ON s.id = c.street_id"
                " WHERE gc.is_active AND ST_Intersects(gc.geom,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"x": lon, "y": lat},
        ).one()
        hours = conn.scalar(
            text("SELECT deadline_hours FROM event_category WHERE code = 'fire_lane_blocked'")
        )
    assert (got["grid_code"], got["community_code"], got["street_code"]) == tuple(expected)
    assert got["grid_code"].startswith(got["community_code"])
    assert got["location"]["coordinates"] == pytest.approx([lon, lat])
    from datetime import datetime

    created = datetime.fromisoformat(got["created_at"])
    deadline = datetime.fromisoformat(got["deadline"])
    assert abs((deadline - created).total_seconds() - hours * 3600) < 5
    detail = client.get(f"/api/reports/{body['id']}", headers=auth_headers["community1"]).json()
    assert [h["to_status"] for h in detail["history"]] == ["reported"]
    assert detail["history"][0]["actor"] == "worker1"


def test_residential_area_is_resolved_when_the_point_is_inside_one(
    client: TestClient, auth_headers, owner_engine
) -> None:
    with owner_engine.connect() as conn:
        code, x, y = conn.execute(
            text(
                "SELECT ra.code, ST_X(ST_PointOnSurface(ra.geom)), ST_Y(ST_PointOnSurface(ra.geom))"
                " FROM residential_area ra JOIN app_user u ON u.community_id = ra.community_id"
                " WHERE u.username = 'worker1' ORDER BY ra.code LIMIT 1"
            )
        ).one()
    body = report_body(x, y)
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    assert r.json()["residential_area_code"] == code
    # the 201 answer comes from the filing statement itself; a replay reads the stored report
    again = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert again.status_code == 200 and again.json() == r.json()


def test_same_id_same_body_gives_the_original_answer(client, auth_headers, spots) -> None:
    body = report_body(*spots[1])
    first = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    again = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"


def test_same_id_different_body_is_409(client, auth_headers, spots) -> None:
    body = report_body(*spots[2])
    assert (
        client.post("/api/reports", json=body, headers=auth_headers["worker1"]).status_code == 201
    )
    changed = {**body, "description": "另一件事"}
    r = client.post("/api/reports", json=changed, headers=auth_headers["worker1"])
    assert r.status_code == 409
    assert r.json()["detail"]["where"] == {"field": "id"}


@pytest.mark.parametrize(
    "extra",
    [{"status": "closed"}, {"department": "health"}, {"street_code": "410105001"}, {"x": 1}],
)
def test_unknown_or_privileged_fields_are_refused(client, auth_headers, spots, extra) -> None:
    r = client.post(
        "/api/reports", json={**report_body(*spots[3]), **extra}, headers=auth_headers["worker1"]
    )
    assert r.status_code == 422
    assert list(extra)[0] in r.text


def test_swapped_latitude_longitude_is_422_saying_so(client, auth_headers, spots) -> None:
    lon, lat = spots[4]
    r = client.post("/api/reports", json=report_body(lat, lon), headers=auth_headers["worker1"])
    assert r.status_code == 422
    assert "swapped" in r.json()["detail"]["message"]
    assert r.json()["detail"]["where"]["field"] == "location.coordinates"


def test_point_outside_the_district_is_422(client, auth_headers) -> None:
    # Beijing: inside China, outside 金水区
    r = client.post(
        "/api/reports", json=report_body(116.397, 39.909), headers=auth_headers["worker1"]
    )
    assert r.status_code == 422
    assert "outside your district" in r.json()["detail"]["message"]
    assert r.json()["detail"]["message_zh"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"category": "no_such_thing"}, "category"),
        ({"crs": "utm"}, "crs"),
        ({"accuracy_m": -1}, "accuracy_m"),
        ({"location": {"type": "Point", "coordinates": [200, 95]}}, "location"),
        ({"location": {"type": "LineString", "coordinates": [113.7, 34.8]}}, "location"),
        ({"patrol_id": str(uuid.uuid4())}, "patrol_id"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, auth_headers, spots, patch, field) -> None:
    r = client.post(
        "/api/reports", json={**report_body(*spots[5]), **patch}, headers=auth_headers["worker1"]
    )
    assert r.status_code == 422, r.text
    assert field in r.text


def test_roles_without_report_create_are_403(client, auth_headers, spots) -> None:
    for user in ("planner", "dept-fire"):
        r = client.post("/api/reports", json=report_body(*spots[6]), headers=auth_headers[user])
        assert r.status_code == 403


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_gcj02_and_bd09_positions_are_converted_to_wgs84(client, auth_headers, spots, crs):
    from service.domain import coords

    lon, lat = spots[7]
    forward = coords.wgs84_to_gcj02 if crs == "gcj02" else coords.wgs84_to_bd09
    shifted = [float(v) for v in forward(lon, lat)]
    assert abs(shifted[0] - lon) > 1e-3  # hundreds of metres apart before conversion
    body = report_body(*shifted, crs=crs)
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["crs"] == crs
    # sub-metre: 1e-5 degrees is about a metre
    assert got["location"]["coordinates"] == pytest.approx([lon, lat], abs=5e-6)


def test_list_filters_and_jurisdiction(client, auth_headers, spots) -> None:
    body = report_body(*spots[8], category="posters_graffiti")
    filed = client.post("/api/reports", json=body, headers=auth_headers["worker1"]).json()
    lon, lat = spots[8]
    bbox = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
    page = client.get(
        "/api/reports",
        params={"bbox": bbox, "category": "posters_graffiti", "status": "reported"},
        headers=auth_headers["community1"],
    ).json()
    assert body["id"] in [i["id"] for i in page]
    assert all(i["category"] == "posters_graffiti" for i in page)
    since = client.get(
        "/api/reports",
        params={"since": "2100-01-01T00:00:00Z"},
        headers=auth_headers["community1"],
    )
    assert since.json() == [] and since.headers["X-Total-Count"] == "0"
    paged = client.get("/api/reports", params={"limit": 1}, headers=auth_headers["worker1"])
    assert len(paged.json()) == 1 and int(paged.headers["X-Total-Count"]) >= 1
    other = "street2" if filed["street_code"] != _street_of(client, auth_headers, "street2") else ""
    if other:
        assert (
            client.get(f"/api/reports/{body['id']}", headers=auth_headers[other]).status_code == 404
        )
        listed = client.get("/api/reports", params={"bbox": bbox}, headers=auth_headers[other])
        assert body["id"] not in [i["id"] for i in listed.json()]
    assert (
        client.get(f"/api/reports/{body['id']}", headers=auth_headers["dept-fire"]).status_code
        == 404
    )
    bad = client.get("/api/reports", params={"bbox": "1,2,3"}, headers=auth_headers["worker1"])
    assert bad.status_code == 422


def _street_of(client, auth_headers, user) -> str:
    return client.get("/api/me", headers=auth_headers[user]).json()["jurisdiction"]["street_code"]


def test_nearby_lists_open_reports_of_the_category_within_250_m(
    client, auth_headers, spots
) -> None:
    lon, lat = spots[9]
    body = report_body(lon, lat, category="poultry_keeping")
    client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    near = client.get(
        "/api/reports/nearby",
        params={"category": "poultry_keeping", "lon": lon + 0.001, "lat": lat, "radius": 250},
        headers=auth_headers["worker1"],
    ).json()
    hit = [n for n in near if n["id"] == body["id"]]
    assert hit and 80 < hit[0]["distance_m"] < 110
    far = client.get(
        "/api/reports/nearby",
        params={"category": "poultry_keeping", "lon": lon + 0.004, "lat": lat},
        headers=auth_headers["worker1"],
    ).json()
    assert body["id"] not in [n["id"] for n in far]
    other = client.get(
        "/api/reports/nearby",
        params={"category": "cooking_fumes", "lon": lon, "lat": lat},
        headers=auth_headers["worker1"],
    ).json()
    assert body["id"] not in [n["id"] for n in other]


def test_each_of_1000_filings_sent_three_times_gives_1000_reports(
    client, auth_headers, owner_engine
) -> None:
    points = points_in_community_of(owner_engine, "worker1", 1000, seed=11)
    tag = f"replay-{uuid.uuid4()}"
    bodies = [report_body(x, y, description=tag) for x, y in points]
    headers = auth_headers["worker1"]

    def send(body: dict) -> int:
        return client.post("/api/reports", json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(send, bodies * 3))
    assert set(codes) <= {200, 201}
    assert codes.count(201) == 1000
    with owner_engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM report WHERE description = :t"), {"t": tag})
        events = conn.scalar(
            text(
                "SELECT count(*) FROM report_event e JOIN report r ON r.id = e.report_id"
                " WHERE r.description = :t"
            ),
            {"t": tag},
        )
    assert stored == 1000 and events == 1000
