"""OGC API – Features over HTTP, and GDAL's OAPIF driver (ogrinfo) reading every collection."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests import exports_world
from tests.e2e.conftest import LiveServer

export_world = exports_world.export_world
export_client = exports_world.export_client
export_headers = exports_world.export_headers
LAYERS = ["streets", "communities", "residential_areas", "grid_cells", "reports", "patrols"]


def test_landing_conformance_and_collections(export_client: TestClient, export_headers) -> None:
    h = export_headers["x7planner"]
    landing = export_client.get("/ogc", headers=h).json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "conformance", "data", "service-desc"} <= rels
    # service-desc names the OpenAPI version the definition it leads to really has
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    spec = export_client.get(desc["href"], headers=h).json()
    version = desc["type"].split("version=")[1]
    assert spec["openapi"].startswith(f"{version}.") and version == "3.1", (
        version,
        spec["openapi"],
    )
    conf = export_client.get("/ogc/conformance", headers=h).json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf)
    assert any(c.endswith("/conf/geojson") for c in conf)
    cols = export_client.get("/ogc/collections", headers=h).json()["collections"]
    assert [c["id"] for c in cols] == LAYERS
    reports = next(c for c in cols if c["id"] == "reports")
    x1, y1, x2, y2 = reports["extent"]["spatial"]["bbox"][0]
    assert 113.49 < x1 < x2 < 113.55 and 34.79 < y1 < y2 < 34.85
    assert export_client.get("/ogc").status_code == 401
    assert export_client.get("/ogc/collections/nope", headers=h).status_code == 404


def test_items_page_with_next_links(export_client: TestClient, export_headers) -> None:
    h = export_headers["x7planner"]
    url = "/ogc/collections/reports/items?limit=7"
    seen: list[str] = []
    matched = None
    while url:
        r = export_client.get(url, headers=h)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/geo+json")
        page = r.json()
        matched = page["numberMatched"]
        assert page["numberReturned"] == len(page["features"]) <= 7
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else ""
    assert matched == len(seen) == len(set(seen)) == 30


def test_items_bbox_and_single_item(export_client: TestClient, export_headers, export_world):
    h = export_headers["x7planner"]
    page = export_client.get(
        "/ogc/collections/grid_cells/items?bbox=113.505,34.81,113.506,34.811", headers=h
    ).json()
    assert [f["id"] for f in page["features"]] == ["410108001001001"]
    one = export_client.get("/ogc/collections/grid_cells/items/410108001001001", headers=h)
    assert one.status_code == 200 and one.json()["properties"]["community_code"] == "410108001001"
    rid = export_world.reports[0]
    assert export_client.get(f"/ogc/collections/reports/items/{rid}", headers=h).status_code == 200
    # an id that cannot be a report's is simply not found
    for bad in ("not-a-uuid", "410108001001001", f"{rid}x"):
        r = export_client.get(f"/ogc/collections/reports/items/{bad}", headers=h)
        assert r.status_code == 404, (bad, r.status_code)
    # outside the street office's street: not found, never confirmed
    other = "/ogc/collections/grid_cells/items/410108002001001"
    assert export_client.get(other, headers=export_headers["x7street"]).status_code == 404


def test_html_view_is_chinese_and_escaped(export_client: TestClient, export_headers) -> None:
    h = export_headers["x7planner"]
    r = export_client.get("/ogc/collections/residential_areas/items?f=html", headers=h)
    assert r.headers["content-type"].startswith("text/html")
    assert "要素列表" in r.text and "幸福家园小区" in r.text
    r = export_client.get(
        "/ogc/collections", headers={**h, "Accept": "text/html,application/xhtml+xml"}
    )
    assert "图层列表" in r.text and "小区" in r.text
    # a name that looks like markup is shown as text
    r = export_client.get(
        "/ogc/collections/residential_areas/items/410108001001R002?f=html", headers=h
    )
    assert "=1+1 花园" in r.text
    r = export_client.get(
        "/ogc/collections/residential_areas/items/410108002001R002?f=html", headers=h
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;苑" in r.text and "<script>" not in r.text


@pytest.fixture(scope="module")
def ogc_server(export_world) -> Iterator[LiveServer]:
    server = LiveServer(export_world.settings)
    server.start()
    yield server
    server.stop()


def _ogrinfo(server: LiveServer, headers: dict[str, str] | None, *args: str):
    """Run Debian's ogrinfo on the OAPIF driver; the token goes in as GDAL_HTTP_HEADERS."""
    env = dict(os.environ)
    if headers:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: {headers['Authorization']}"
    options, layer = list(args[:-1]), [a for a in args[-1:] if a]
    cmd = ["ogrinfo", "-ro", *options, f"OAPIF:{server.url}/ogc", *layer]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is installed by make test")
def test_gdal_oapif_reads_every_collection(
    ogc_server: LiveServer, export_headers, export_world
) -> None:
    h = export_headers["x7planner"]
    engine = create_engine(export_world.settings.database.owner_url)
    with engine.connect() as conn:
        areas = conn.scalar(text("SELECT count(*) FROM residential_area WHERE code LIKE '410108%'"))
    engine.dispose()
    listing = _ogrinfo(ogc_server, h, "-q", "")
    assert listing.returncode == 0, listing.stderr
    for layer in LAYERS:
        assert layer in listing.stdout
    for layer, count in (("reports", 30), ("grid_cells", 4), ("residential_areas", areas)):
        out = _ogrinfo(ogc_server, h, "-al", "-so", layer)
        assert out.returncode == 0, out.stderr
        assert f"Feature Count: {count}" in out.stdout, out.stdout
    for layer in ("streets", "communities", "patrols"):
        out = _ogrinfo(ogc_server, h, layer)
        assert out.returncode == 0 and "OGRFeature" in out.stdout, out.stderr
    features = _ogrinfo(ogc_server, h, "residential_areas")
    assert "幸福家园小区" in features.stdout and "MULTIPOLYGON" in features.stdout
    assert _ogrinfo(ogc_server, None, "-q", "").returncode != 0  # no token, no data


def test_items_datetime_instant_and_intervals(export_client: TestClient, export_headers) -> None:
    """`datetime` filters on the report's created_at: counts match the features' own times."""
    h = export_headers["x7planner"]
    url = "/ogc/collections/reports/items?limit=1000"
    everything = export_client.get(url, headers=h).json()["features"]
    times = sorted({f["properties"]["created_at"] for f in everything})
    first = times[0]

    def count(value: str) -> int:
        r = export_client.get(url, params={"datetime": value}, headers=h)
        assert r.status_code == 200, r.text
        return int(r.json()["numberMatched"])

    at_first = sum(f["properties"]["created_at"] == first for f in everything)
    assert count(first) == at_first > 0
    assert count(f"../{first}") == at_first  # the end of an interval is included
    assert count(f"{first}/..") == len(everything)
    assert count("2000-01-01T00:00:00Z/2000-12-31T00:00:00Z") == 0
    bad = export_client.get(url, params={"datetime": "last week"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"]["where"]["field"] == "datetime"
