"""A GCJ-02 base map in Chromium: a local tile server (generated PNG tiles on 127.0.0.1) is
configured as WANGGE_BASEMAP=xyz:gcj02:…; /map asks it for tiles, draws a known 小区 at its
GCJ-02 position (within 1 m) and the API still answers in WGS84. The default configuration
(no base map) asks nothing of any other host, and writes names from our own data."""

from __future__ import annotations

import io
import math
import re
import threading
import uuid
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
    if (z !== map.getZoom()) continue;  // a coarser tile still shown while this zoom loads
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
    for _ in range(50):  # until every tile of this zoom has come (slow on a busy machine)
        drawn = page.evaluate(DRAWN_VERTICES, area.id)
        if drawn and all(min(_metres(v, d) for d in drawn) < 1.0 for v in gcj_ring):
            break
        page.wait_for_timeout(200)
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
    # names by zoom: streets when zoomed out (no 小区 then), grid codes close in
    for zoom, shown, hidden in ((12, "street", "residential_area"), (17, "grid_cell", "street")):
        page.evaluate(
            "([lat, lon, z]) => import('/static/map.js').then((m) => m.ready)"
            ".then((w) => w.map.setView([lat, lon], z, {animate: false}))",
            [area.lat, area.lon, zoom],
        )
        page.wait_for_load_state("networkidle")
        page.locator(f".wg-label-{shown}").first.wait_for()
        assert page.locator(f".wg-label-{hidden}").count() == 0, zoom
    codes = page.locator(".wg-label-grid_cell").all_inner_texts()
    assert codes and all(re.fullmatch(r"[0-9]{15}", c) for c in codes), codes[:3]
    assert [u for u in requested if not u.startswith(base)] == []
    context.close()


# the case map's red point (the report) and the 小区 outline, as [lon, lat] in the map's frame
CASE_MAP_DRAWN = """async () => {
  const { caseMap } = await import('/static/work/case.js');
  const { layer } = caseMap();
  const out = { point: null, area: [] };
  layer.eachLayer((l) => {
    if (l instanceof L.CircleMarker) out.point = [l.getLatLng().lng, l.getLatLng().lat];
    else if (l.eachLayer) l.eachLayer((f) => { if (f.feature && f.feature.type) {
      for (const ring of f.getLatLngs().flat(2)) out.area.push([ring.lng, ring.lat]); } });
  });
  return out;
}"""


def test_gcj02_base_map_on_the_workbench(
    browser, gcj_server, tile_server, demo_db, owner_engine
) -> None:
    """/work's case map and 登记投诉 map use the base map too: tiles asked of the local server,
    the report drawn at its GCJ-02 position, a click in the dialog stored as WGS84."""
    from service.domain.coords import gcj02_to_wgs84
    from tests.e2e.test_cases_loop import _file_by_api, _open

    base = gcj_server.url
    marker = f"底图事件 {uuid.uuid4().hex[:8]}"
    rid = _file_by_api(base, owner_engine, 1603, marker)
    token = httpx.post(
        f"{base}/api/auth/token", data={"username": "street1", "password": "demo"}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    case = httpx.get(f"{base}/api/cases/{rid}", headers=auth).json()
    wgs = (case["lon"], case["lat"])
    gcj = tuple(float(v) for v in wgs84_to_gcj02(*wgs))
    assert _metres(gcj, wgs) > 100  # the shift the test is about

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
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/work")
    page.wait_for_selector("#queues button")
    asked_before = len(tile_server.requested)
    _open(page, "accept", marker)
    page.wait_for_load_state("networkidle")
    # the case map asked the configured tile server for tiles
    assert len(tile_server.requested) > asked_before
    assert page.locator("#case-map.wg-plain").count() == 0
    drawn = page.evaluate(CASE_MAP_DRAWN)
    page.locator("#case-map .wg-label").first.wait_for()  # names from our own data
    assert _metres(gcj, tuple(drawn["point"])) < 1.0, drawn["point"]
    assert _metres(wgs, tuple(drawn["point"])) > 100
    if case.get("residential_area"):  # the 小区 outline: every vertex in GCJ-02 too
        geometry = case["residential_area"]["geometry"]
        rings = geometry["coordinates"]
        ring = rings[0][0] if geometry["type"] == "MultiPolygon" else rings[0]
        shown = [tuple(float(v) for v in wgs84_to_gcj02(lon, lat)) for lon, lat in ring]
        for vertex in shown:
            assert min(_metres(vertex, d) for d in drawn["area"]) < 1.0

    # 登记投诉: a click on the dialog's map is stored in WGS84
    page.click("#open-complaint")
    page.wait_for_selector("#complaint[open]")
    for _ in range(100):  # centred on the jurisdiction's 小区 once they have come
        if page.evaluate(
            "import('/static/work/residents.js').then((m) => !!m.complaintMap().map._loaded)"
        ):
            break
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")
    where = page.evaluate(
        """async () => {
          const { complaintMap } = await import('/static/work/residents.js');
          const { map } = complaintMap();
          map.setView(map.getCenter(), 17, { animate: false });
          // a spot away from the 小区 dots (a click on a dot picks that 小区 instead)
          map.getContainer().scrollIntoView({ block: "center" });
          const box = map.getContainer().getBoundingClientRect();
          const dots = [];
          map.eachLayer((l) => {
            if (l instanceof L.CircleMarker) dots.push(map.latLngToContainerPoint(l.getLatLng()));
          });
          for (let y = 90; y < box.height - 30; y += 17)  // below the zoom buttons
            for (let x = 90; x < box.width - 30; x += 17) {
            const seen = box.top + y > 0 && box.top + y < innerHeight;
            if (seen && dots.every((d) => Math.hypot(d.x - x, d.y - y) > 20)) {
              const ll = map.containerPointToLatLng([x, y]);
              return { x: box.left + x, y: box.top + y, lon: ll.lng, lat: ll.lat };
            }
          }
          return null;
        }"""
    )
    assert where, "no free spot on the dialog's map"
    page.wait_for_load_state("networkidle")
    page.mouse.click(where["x"], where["y"])
    expected = tuple(float(v) for v in gcj02_to_wgs84(where["lon"], where["lat"]))
    picked = page.evaluate(
        "import('/static/work/residents.js').then((m) => m.complaintMap().pick.location)"
    )
    assert picked, page.text_content("#c-where")
    # within the pixel clicked (about 1 m at zoom 17), and nowhere near the GCJ-02 spot
    assert _metres(tuple(picked), expected) < 2.0, (picked, expected)
    assert _metres(tuple(picked), (where["lon"], where["lat"])) > 100
    # the complaint is stored where it was clicked, in WGS84
    page.select_option("#c-category", "fire_lane_blocked")
    page.fill("#c-description", f"{marker} 投诉")
    page.fill("#c-name", "李四")
    page.fill("#c-phone", "13800000000")
    page.click("#c-submit")
    page.wait_for_selector("#case:not([hidden]):not([data-loading])")
    page.wait_for_function(f"document.querySelector('#case').dataset.id !== {rid!r}")
    made = httpx.get(f"{base}/api/cases/{page.get_attribute('#case', 'data-id')}", headers=auth)
    assert made.status_code == 200, made.text
    assert _metres((made.json()["lon"], made.json()["lat"]), tuple(picked)) < 0.01
    assert errors == [] and off_host == []
    context.close()


def test_gcj02_base_map_on_the_phone(browser, gcj_server, tile_server, owner_engine) -> None:
    """/m: the worker's position drawn at its GCJ-02 place over GCJ-02 tiles, and a point tapped
    on the map (在地图上选点) sent as WGS84."""
    from tests.api.field_helpers import points_in_community_of
    from tests.e2e.test_field_mobile import _log_in, _phone, _token, filed_reports

    base = gcj_server.url
    (lon, lat), (lon2, lat2) = points_in_community_of(owner_engine, "worker1", 2, seed=1605)
    context, page = _phone(browser, lon, lat, accuracy=180)  # poor: the worker picks by hand
    # as on a phone that has been here before: the base map it keeps for offline starts is the
    # configured one (a first start learns it and reloads itself once)
    kept = httpx.get(f"{base}/api/map/basemap", headers=_token(base)).text
    assert '"gcj02"' in kept
    context.add_init_script(f"localStorage.setItem('wangge_basemap', {kept!r});")
    _log_in(page, base)
    page.wait_for_load_state("networkidle")
    assert any(p.endswith(".png") for p in tile_server.requested)
    page.locator("#map .wg-label").first.wait_for()  # names from our own data
    me = page.evaluate(
        """() => import('/static/m/app.js').then(({ map }) => { const out = [];
        map.eachLayer((l) => { if (l instanceof L.CircleMarker && l.options.fillColor === '#1e88e5')
          out.push([l.getLatLng().lng, l.getLatLng().lat]); }); return out; })"""
    )
    gcj = tuple(float(v) for v in wgs84_to_gcj02(lon, lat))
    assert me and _metres(gcj, tuple(me[0])) < 1.0 and _metres((lon, lat), tuple(me[0])) > 100
    # tap the spot where the base map shows (lon2, lat2)
    page.click("#report-btn")
    page.click("#pick-on-map")
    page.wait_for_selector("#home:not([hidden])")
    glon2, glat2 = (float(v) for v in wgs84_to_gcj02(lon2, lat2))
    page.evaluate(
        """async ([lat, lon]) => {
            const { map } = await import("/static/m/app.js");
            for (let i = 0; i < 20; i++) {
                map.setView([lat, lon], 18, {animate: false});
                await new Promise((done) => setTimeout(done, 150));
                const c = map.getCenter();
                if (map.getZoom() === 18 && Math.abs(c.lat - lat) + Math.abs(c.lng - lon) < 1e-6) {
                    return;
                }
            }
        }""",
        [glat2, glon2],
    )
    point = page.evaluate(
        "([lat, lon]) => import('/static/m/app.js')"
        ".then((m) => m.map.latLngToContainerPoint([lat, lon]))",
        [glat2, glon2],
    )
    page.locator("#map").click(position={"x": point["x"], "y": point["y"]})
    page.wait_for_selector("#report:not([hidden])")
    page.fill("#category-search", "违章")
    page.click("#category-list li[data-code=illegal_construction]")
    description = f"GCJ-02 选点 {uuid.uuid4()}"
    page.fill("#description", description)
    page.click("#report-submit")
    mine = filed_reports(base, "illegal_construction", description)
    assert len(mine) == 1 and mine[0]["placed_by_hand"] is True
    # stored where the worker tapped, in WGS84 (within the pixel tapped at zoom 18)
    assert _metres(tuple(mine[0]["location"]["coordinates"]), (lon2, lat2)) < 2.0
    context.close()


def test_gcj02_base_map_on_the_grid_page(
    browser, gcj_server, tile_server, demo_db, owner_engine
) -> None:
    """/grids: tiles from the configured server, a known cell drawn at GCJ-02 (shifted on the
    server), never at its WGS84 place."""
    with owner_engine.connect() as conn:
        cell = conn.execute(
            text(
                "SELECT g.code, c.code AS community,"
                " ST_AsGeoJSON(ST_ExteriorRing(ST_GeometryN(g.geom, 1)))::json AS ring"
                " FROM grid_cell g JOIN community c ON c.id = g.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                " WHERE g.is_active ORDER BY g.code LIMIT 1"
            )
        ).one()
    wgs_ring = [tuple(p) for p in cell.ring["coordinates"]]
    gcj_ring = [tuple(float(v) for v in wgs84_to_gcj02(x, y)) for x, y in wgs_ring]
    context = _context(browser, gcj_server.url, demo_db.owner_url, "street1")
    page = context.new_page()
    asked_before = len(tile_server.requested)
    page.goto(f"{gcj_server.url}/grids?community={cell.community}")
    page.wait_for_selector("path.leaflet-interactive")
    page.wait_for_load_state("networkidle")
    assert len(tile_server.requested) > asked_before
    page.locator(".folium-map .wg-label").first.wait_for()  # names from our own data
    drawn = page.evaluate(
        """(code) => { const cfg = JSON.parse(document.getElementById('grid-config').textContent);
        const map = window[cfg.map]; let out = null;
        map.eachLayer((l) => { if (l.feature && l.feature.properties.code === code
            && l.feature.properties.households !== undefined)
          out = l.getLatLngs().flat(3).map((p) => [p.lng, p.lat]); });
        return out; }""",
        cell.code,
    )
    assert drawn, "the cell was not drawn"
    for vertex_gcj, vertex_wgs in zip(gcj_ring, wgs_ring, strict=True):
        assert min(_metres(vertex_gcj, d) for d in drawn) < 1.0
        assert min(_metres(vertex_wgs, d) for d in drawn) > 50
    context.close()


def test_gcj02_base_map_on_the_companies_page(browser, gcj_server, tile_server, demo_db) -> None:
    """/companies: the grade map asks the configured tile server and draws the 小区 shifted
    into GCJ-02 (the API's GeoJSON stays WGS84)."""
    context = _context(browser, gcj_server.url, demo_db.owner_url, "district")
    page = context.new_page()
    asked_before = len(tile_server.requested)
    page.goto(f"{gcj_server.url}/companies")
    vertex = page.evaluate(
        """async () => {
          const { ready } = await import('/static/records/companies.js');
          const { layer } = await ready;
          const data = await (await fetch('/api/map/company-grades')).json();
          // the first vertex of the first 小区, as the API gives it and as the map draws it
          const raw = L.geoJSON(data.features[0]).getLayers()[0].getLatLngs().flat(3)[0];
          const shown = layer.getLayers()[0].getLatLngs().flat(3)[0];
          return { raw: [raw.lng, raw.lat], shown: [shown.lng, shown.lat],
            n: data.features.length };
        }"""
    )
    page.wait_for_load_state("networkidle")
    assert vertex["n"] > 0
    assert len(tile_server.requested) > asked_before
    expected = tuple(float(v) for v in wgs84_to_gcj02(*vertex["raw"]))
    assert _metres(expected, tuple(vertex["shown"])) < 1.0
    assert _metres(tuple(vertex["raw"]), tuple(vertex["shown"])) > 100
    context.close()
