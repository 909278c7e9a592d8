"""Vector tiles, popups, report points and the /map page over our own small city."""

from __future__ import annotations

import math
import re

import pyogrio
from sqlalchemy import create_engine, text

from tests.maps_city import HOSTILE, X0, Y0

pytest_plugins = ["tests.maps_fixtures"]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def get_tile(client, headers, layer: str, z: int, lon: float = X0 + 0.01, lat: float = Y0 + 0.01):
    x, y = tile_of(lon, lat, z)
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)


def read_tile(body: bytes, tmp_path, z: int, x: int, y: int):
    """Decode a tile with GDAL's MVT driver (the z/x/y path georeferences it)."""
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return pyogrio.read_dataframe(path, layer="residential_area")


def test_area_tile_holds_only_the_users_street(
    maps_client, maps_headers, maps_city, tmp_path
) -> None:
    # at zoom 10 one tile covers the whole test district
    x, y = tile_of(X0 + 0.01, Y0 + 0.01, 10)
    everyone = get_tile(maps_client, maps_headers["m6-district"], "residential_area", 10)
    assert everyone.status_code == 200
    assert everyone.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    street1 = get_tile(maps_client, maps_headers["m6-street1"], "residential_area", 10)
    all_ids = set(read_tile(everyone.content, tmp_path / "d", 10, x, y)["id"])
    s1 = read_tile(street1.content, tmp_path / "s1", 10, x, y)
    assert set(maps_city.area_ids) <= all_ids  # both streets' 小区 (and maybe other tests')
    assert set(s1["id"]) == set(maps_city.area_ids[:6])  # street 1's six only
    assert len(street1.content) < len(everyone.content) <= 250 * 1024
    # an overview tile carries what the map colours by, not names (the popup loads those)
    assert "name" not in s1.columns and {"party_org_status", "renovation_eligible"} <= set(
        s1.columns
    )
    detail = get_tile(maps_client, maps_headers["m6-street1"], "residential_area", 14)
    assert "小区" in detail.content.decode("utf-8", "replace")


def test_cells_appear_from_their_min_zoom(maps_client, maps_headers) -> None:
    h = maps_headers["m6-district"]
    assert get_tile(maps_client, h, "grid_cell", 12).content == b""
    body = get_tile(maps_client, h, "grid_cell", 14).content
    assert b"419906001001001" in body  # a cell code
    assert "m6-worker" in body.decode("utf-8", "replace")  # its primary worker


def test_bad_layer_and_tile_address_are_422(maps_client, maps_headers) -> None:
    h = maps_headers["m6-district"]
    r = maps_client.get("/tiles/app_user/10/1/1.pbf", headers=h)
    assert r.status_code == 422 and r.json()["detail"]["where"]["field"] == "layer"
    assert maps_client.get("/tiles/street/2/9/1.pbf", headers=h).status_code == 422
    assert maps_client.get("/tiles/street/2/1/1.pbf").status_code == 401


def test_edit_changes_the_tile_at_once(maps_client, maps_headers, maps_city, test_db) -> None:
    h = maps_headers["m6-district"]
    area = maps_city.area_ids[1]
    before = get_tile(maps_client, h, "residential_area", 13).content
    assert get_tile(maps_client, h, "residential_area", 13).content == before  # cached
    engine = create_engine(test_db.owner_url)
    with engine.begin() as conn:
        old = conn.execute(
            text(
                "UPDATE residential_area SET name = '改名小区' WHERE id = :i"
                " RETURNING (SELECT name FROM residential_area WHERE id = :i)"
            ),
            {"i": area},
        ).scalar_one()
    try:
        after = get_tile(maps_client, h, "residential_area", 13).content
        assert "改名小区" in after.decode("utf-8", "replace")
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE residential_area SET name = :n WHERE id = :i"), {"n": old, "i": area}
            )
        engine.dispose()


def test_unchanged_tile_revalidates_with_304(maps_client, maps_headers, maps_city, test_db) -> None:
    h = maps_headers["m6-district"]
    first = get_tile(maps_client, h, "residential_area", 14)
    etag = first.headers["etag"]
    again = get_tile(maps_client, {**h, "If-None-Match": etag}, "residential_area", 14)
    assert again.status_code == 304 and again.content == b""
    street1 = get_tile(maps_client, maps_headers["m6-street1"], "residential_area", 14)
    assert street1.headers["etag"] != etag  # another jurisdiction, another tile
    engine = create_engine(test_db.owner_url)
    area = maps_city.area_ids[1]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE residential_area SET households = households WHERE id = :i"), {"i": area}
        )
    engine.dispose()
    changed = get_tile(maps_client, {**h, "If-None-Match": etag}, "residential_area", 14)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.content == first.content  # same rows, rendered again for the new version


def test_area_popup_data_and_jurisdiction(maps_client, maps_headers, maps_city) -> None:
    first = maps_city.area_ids[0]
    r = maps_client.get(f"/api/map/residential-areas/{first}", headers=maps_headers["m6-street1"])
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "<b>加粗小区</b>"  # JSON carries the raw text; the page escapes it
    assert any(rep["description"] == HOSTILE for rep in body["recent_reports"])
    other = maps_client.get(
        f"/api/map/residential-areas/{first}", headers=maps_headers["m6-street2"]
    )
    assert other.status_code == 404
    cell = maps_client.get(
        f"/api/map/grid-cells/{maps_city.cell_ids[0]}", headers=maps_headers["m6-street1"]
    ).json()
    assert cell["primary_worker"].startswith("m6-worker") and cell["last_patrol_at"]


def test_reports_aggregate_at_low_zoom(maps_client, maps_headers, maps_city) -> None:
    bbox = f"{X0 - 0.01},{Y0 - 0.01},{X0 + 0.05},{Y0 + 0.03}"
    h = maps_headers["m6-district"]
    low = maps_client.get(f"/api/map/reports?bbox={bbox}&zoom=11", headers=h).json()
    high = maps_client.get(f"/api/map/reports?bbox={bbox}&zoom=16", headers=h).json()
    assert low["aggregated"] and not high["aggregated"]
    total = sum(f["properties"]["count"] for f in low["features"])
    assert total == len(high["features"]) > 0
    assert len(low["features"]) < len(high["features"])
    assert any(f["properties"]["overdue"] for f in high["features"])
    s2 = maps_client.get(
        f"/api/map/reports?bbox={bbox}&zoom=16", headers=maps_headers["m6-street2"]
    ).json()
    assert 0 < len(s2["features"]) < len(high["features"])
    assert all(f["geometry"]["coordinates"][0] >= X0 + 0.02 for f in s2["features"])
    bad = maps_client.get("/api/map/reports?bbox=1,2,3&zoom=3", headers=h)
    assert bad.status_code == 422


def test_drill_down_lists_units_under_parent(maps_client, maps_headers, maps_city) -> None:
    h = maps_headers["m6-street1"]
    streets = maps_client.get("/api/map/units?level=street", headers=h).json()["units"]
    assert [s["id"] for s in streets] == [maps_city.street_ids[0]]
    comms = maps_client.get(
        f"/api/map/units?level=community&parent={maps_city.street_ids[0]}", headers=h
    ).json()["units"]
    assert len(comms) == 2
    areas = maps_client.get(
        f"/api/map/units?level=residential_area&parent={comms[0]['id']}", headers=h
    ).json()["units"]
    assert len(areas) == 3
    cells = maps_client.get(
        f"/api/map/units?level=grid_cell&parent={areas[0]['id']}", headers=h
    ).json()["units"]
    assert len(cells) >= 1
    foreign = maps_client.get(
        f"/api/map/units?level=community&parent={maps_city.street_ids[1]}", headers=h
    ).json()["units"]
    assert foreign == []


def test_map_page_redirects_to_login_then_serves_local_assets(maps_client, maps_headers) -> None:
    r = maps_client.get("/map", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fmap"
    page = maps_client.get("/map", headers=maps_headers["m6-street1"])
    assert page.status_code == 200
    assert "/vendor/leaflet/dist/leaflet.js" in page.text
    assert "Leaflet.VectorGrid" in page.text and "/static/map.js" in page.text
    assert not re.search(r"(src|href)=\"https?://", page.text)
    assert '"crs": "wgs84", "layers": []' in page.text  # no basemap without a key


def test_tianditu_only_with_a_key() -> None:
    from map_ui.map_page import render_map_page
    from service.settings import Settings

    kwargs = dict(user="u", role="r", level="street", extent=None, layers={})
    without = Settings(tianditu_key=None).maps.base_map().for_page()
    with_key = Settings(tianditu_key="k123").maps.base_map().for_page()
    assert "tianditu.gov.cn" not in render_map_page(basemap=without, **kwargs)
    assert "tianditu.gov.cn" in render_map_page(basemap=with_key, **kwargs)
