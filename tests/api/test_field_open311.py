"""The Open311 GeoReport v2 read adapter."""

from __future__ import annotations

from tests.api.field_helpers import points_in_community_of, report_body


def test_services_and_requests(client, auth_headers, owner_engine) -> None:
    headers = auth_headers["worker1"]
    services = client.get("/open311/v2/services.json", headers=headers).json()
    assert {"service_code": "fire_lane_blocked"}.items() <= next(
        s for s in services if s["service_code"] == "fire_lane_blocked"
    ).items()
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=3)[0]
    body = report_body(lon, lat, category="cooking_fumes", description="open311 油烟")
    assert client.post("/api/reports", json=body, headers=headers).status_code == 201
    listed = client.get(
        "/open311/v2/requests.json",
        params={"service_code": "cooking_fumes", "status": "open"},
        headers=auth_headers["community1"],
    ).json()
    mine = [r for r in listed if r["service_request_id"] == body["id"]]
    assert len(mine) == 1
    assert mine[0]["status"] == "open" and mine[0]["lat"] == lat and mine[0]["long"] == lon
    closed = client.get(
        "/open311/v2/requests.json", params={"status": "closed"}, headers=headers
    ).json()
    assert body["id"] not in [r["service_request_id"] for r in closed]
    one = client.get(f"/open311/v2/requests/{body['id']}.json", headers=headers)
    assert one.status_code == 200 and one.json()[0]["service_code"] == "cooking_fumes"
    hidden = client.get(
        f"/open311/v2/requests/{body['id']}.json", headers=auth_headers["dept-fire"]
    )
    assert hidden.status_code == 404
    assert client.get("/open311/v2/requests.json").status_code == 401
