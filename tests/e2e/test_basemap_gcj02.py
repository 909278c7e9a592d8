"""A GCJ-02 base map in Chromium: a local tile server (generated PNG tiles on 127.0.0.1) is
configured as WANGGE_BASEMAP=xyz:gcj02:…; /map asks it for tiles, draws a known 小区 at its
GCJ-02 position (within 1 m) and the API still answers in WGS84. The default configuration
(no base map) asks nothing of any other host, and writes names from our own data."""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from service.domain.coords import wgs84_to_gcj02
from tests.e2e.conftest import LiveServer
from tests.e2e.test_shell import _context

pytestmark = pytest.mark.e2e


class TileServer:
    """Serves /{z}/{x}/{y}.png: a generated 256 px PNG per tile; remembers what was asked."""

    def __init__(self) -> None:
        self.requested: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.requested.append(self.path)
                parts = self.path.strip("/").removesuffix(".png").split("/")
                if len(parts) != 3 or not all(p.isdigit() for p in parts):
                    self.send_error(404)
                    return
                z, x, y = (int(p) for p in parts)
                out = io.BytesIO()
                Image.new("RGB", (256, 256), (200 + z, 220 - x % 20, 210 - y % 20)).save(out, "PNG")
                body = out.getvalue()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    with TileServer() as server:
        yield server


@pytest.fixture(scope="module")
def gcj_server(settings, tile_server) -> Iterator[LiveServer]:
    spec = f"xyz:gcj02:{tile_server.url}/{{z}}/{{x}}/{{y}}.png"
    server = LiveServer(settings.replace(basemap=spec))
    server.start()
    yield server
    server.stop()


def _known_area(owner_url: str):
    """street1's first 小区: id, name, and its outer ring's vertices (WGS84)."""
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        area = conn.execute(
            text(
                "SELECT r.id, r.name, r.code, c.code AS community,"
                " ST_AsGeoJSON(ST_ExteriorRing(ST_GeometryN(r.geom, 1)))::json AS ring,"
                " ST_Y(ST_PointOnSurface(r.geom)) AS lat, ST_X(ST_PointOnSurface(r.geom)) AS lon"
                " FROM residential_area r JOIN community c ON c.id = r.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                " ORDER BY r.code LIMIT 1"
            )
        ).one()
    engine.dispose()
    return area


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_540)


# the drawn outline of feature `id` in the property layer, as [lon, lat] in the map's frame
DRAWN_VERTICES = """async (id) => {
  const { ready } = await import('/static/map.js');
  const { map, layers } = await ready;
  const grid = layers.property.layer, out = [];
  for (const [key, tile] of Object.entries(grid._vectorTiles)) {
    const found = tile._features && tile._features[id];
    if (!found) continue;
    const [x, y, z] = key.split(':').map(Number);
    for (const part of found.feature._parts) {
      for (const p of part) {
        const ll = map.unproject(L.point(x * 256 + p.x, y * 256 + p.y), z);
        out.push([ll.lng, ll.lat]);
      }
    }
  }
  return out;
}"""


def test_gcj02_base_map_draws_overlays_shifted(
    browser, gcj_server, tile_server, demo_db, artifacts_dir
) -> None:
    base = gcj_server.url
    area = _known_area(demo_db.owner_url)
    wgs_ring = [tuple(p) for p in area.ring["coordinates"]]
    gcj_ring = [tuple(float(v) for v in wgs84_to_gcj02(lon, lat)) for lon, lat in wgs_ring]
    glon, glat = (float(v) for v in wgs84_to_gcj02(area.lon, area.lat))
    context = _context(browser, base, demo_db.owner_url, "street1")
    page = context.new_page()
    off_host: list[str] = []
    page.on(
        "request",
        lambda r: (
            off_host.append(r.url)
            if not r.url.startswith((base, tile_server.url, "data:"))
            else None
        ),
    )
    page.goto(f"{base}/map")
    page.wait_for_load_state("networkidle")  # the drill-down's own first zoom is done
    page.evaluate(
        "([lat, lon]) => import('/static/map.js').then((m) => m.ready)"
        ".then((w) => w.map.setView([lat, lon], 17, {animate: false}))",
        [glat, glon],
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)
    assert any(p.startswith("/17/") for p in tile_server.requested), tile_server.requested[:5]
    drawn = page.evaluate(DRAWN_VERTICES, area.id)
    assert drawn, "the 小区 was not drawn"
    # every vertex of the 小区 is drawn within 1 m of its GCJ-02 position, none at WGS84
    for vertex_gcj, vertex_wgs in zip(gcj_ring, wgs_ring, strict=True):
        nearest = min(_metres(vertex_gcj, d) for d in drawn)
        assert nearest < 1.0, (vertex_gcj, nearest)
        assert min(_metres(vertex_wgs, d) for d in drawn) > 50
    # a click where the 小区 is shown (GCJ-02) opens that 小区
    point = page.evaluate(
        "([lat, lon]) => import('/static/map.js').then((m) => m.ready).then((w) => {"
        " const p = w.map.latLngToContainerPoint([lat, lon]);"
        " const r = document.querySelector('.folium-map').getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; })",
        [glat, glon],
    )
    page.mouse.click(point[0], point[1])
    popup = page.locator(".wg-popup[data-kind=residential_area]")
    popup.wait_for(timeout=10_000)
    assert popup.locator("h3").inner_text() == area.name
    page.screenshot(path=str(artifacts_dir / "map-gcj02-basemap.png"))
    assert off_host == []
    context.close()
    # the API still answers in WGS84
    token = httpx.post(
        f"{base}/api/auth/token", data={"username": "street1", "password": "demo"}
    ).json()["access_token"]
    exported = httpx.get(
        f"{base}/api/exports/residential_areas.geojson",
        params={"area": area.community},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    feature = next(f for f in exported["features"] if f["properties"]["code"] == area.code)
    first = feature["geometry"]["coordinates"][0][0][0]
    assert _metres(tuple(first), wgs_ring[0]) < 0.01


def test_default_has_no_base_map_but_names(browser, live_server, demo_db) -> None:
    base = live_server.url
    area = _known_area(demo_db.owner_url)
    context = _context(browser, base, demo_db.owner_url, "street1")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{base}/map")
    page.wait_for_load_state("networkidle")  # the drill-down's own first zoom is done
    page.evaluate(
        "([lat, lon]) => import('/static/map.js').then((m) => m.ready)"
        ".then((w) => w.map.setView([lat, lon], 16, {animate: false}))",
        [area.lat, area.lon],
    )
    page.wait_for_load_state("networkidle")
    page.locator(".wg-label-residential_area", has_text=area.name).first.wait_for()
    assert page.locator(".folium-map.wg-plain").count() == 1
    assert [u for u in requested if not u.startswith(base)] == []
    context.close()
