"""Export filters (area, bbox, time, status), jurisdiction, GCJ-02 output and bad requests."""

from __future__ import annotations

import json

import shapely
from fastapi.testclient import TestClient

from tests import exports_world

export_world = exports_world.export_world
export_client = exports_world.export_client
export_headers = exports_world.export_headers


def _features(client: TestClient, url: str, headers) -> list[dict]:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return json.loads(r.content)["features"]


def test_street_office_sees_only_its_street(export_client, export_headers) -> None:
    street = _features(export_client, "/api/exports/reports.geojson", export_headers["x7street"])
    planner = _features(export_client, "/api/exports/reports.geojson", export_headers["x7planner"])
    assert 0 < len(street) < len(planner)
    assert {f["properties"]["street_code"] for f in street} == {"410108001"}
    streets = _features(export_client, "/api/exports/streets.geojson", export_headers["x7street"])
    assert [f["id"] for f in streets] == ["410108001"]


def test_grid_worker_may_not_export(export_client, export_headers) -> None:
    r = export_client.get("/api/exports/reports.csv", headers=export_headers["x7worker"])
    assert r.status_code == 403
    assert export_client.get("/api/exports/reports.csv").status_code == 401


def test_filters_by_area_status_time_and_bbox(export_client, export_headers) -> None:
    h = export_headers["x7planner"]
    base = "/api/exports/reports.geojson"
    everything = _features(export_client, base, h)
    in_community = _features(export_client, f"{base}?area=410108002001", h)
    assert in_community and all(
        f["properties"]["community_code"] == "410108002001" for f in in_community
    )
    closed = _features(export_client, f"{base}?status=closed", h)
    assert closed and all(f["properties"]["status"] == "closed" for f in closed)
    assert len(closed) == sum(f["properties"]["status"] == "closed" for f in everything)
    march = _features(
        export_client, f"{base}?since=2026-03-01T00:00:00Z&until=2026-04-01T00:00:00Z", h
    )
    assert march and all(f["properties"]["created_at"].startswith("2026-03") for f in march)
    bbox = (113.50, 34.80, 113.52, 34.84)
    boxed = _features(export_client, f"{base}?bbox={','.join(map(str, bbox))}", h)
    assert boxed and len(boxed) < len(everything)
    assert all(shapely.box(*bbox).covers(shapely.geometry.shape(f["geometry"])) for f in boxed)


def test_gcj02_output_is_shifted_and_labelled(export_client, export_headers) -> None:
    h = export_headers["x7planner"]
    wgs = {f["id"]: f for f in _features(export_client, "/api/exports/streets.geojson", h)}
    r = export_client.get("/api/exports/streets.geojson?crs=gcj02", headers=h)
    assert "gcj02" in r.headers["content-disposition"]
    doc = json.loads(r.content)
    assert doc["metadata"]["crs"] == "gcj02" and "GCJ-02" in doc["metadata"]["crs_label"]
    for f in doc["features"]:
        a = shapely.geometry.shape(wgs[f["id"]]["geometry"]).centroid
        b = shapely.geometry.shape(f["geometry"]).centroid
        shift_m = ((b.x - a.x) * 91_000) ** 2 + ((b.y - a.y) * 111_000) ** 2
        assert 100**2 < shift_m < 1000**2  # GCJ-02 moves Zhengzhou by a few hundred metres


def test_bad_requests_say_what_and_where(export_client, export_headers) -> None:
    h = export_headers["x7planner"]
    cases = {
        "/api/exports/buildings.geojson": "layer",
        "/api/exports/reports.kml": "format",
        "/api/exports/reports.csv?bbox=1,2,3": "bbox",
        "/api/exports/reports.csv?bbox=120,40,110,30": "bbox",
        "/api/exports/reports.csv?area=4101": "area",
        "/api/exports/reports.csv?status=lost": "status",
        "/api/exports/reports.csv?crs=bd09": "crs",
    }
    for url, field in cases.items():
        r = export_client.get(url, headers=h)
        assert r.status_code == 422, url
        assert r.json()["detail"]["where"]["field"] == field, url
