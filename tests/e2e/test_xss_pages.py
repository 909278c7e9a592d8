"""Stored XSS, page by page: every field a user can fill is seeded with script and HTML payloads
(names of streets, communities and 小区 through a boundary import, a worker's display name,
a report's description, a transition note, a patrol note), then every page is loaded in
Chromium as the roles that see those fields, with tooltips hovered and popups opened. Any
dialog, any element a payload brought, or the flag a payload's script sets fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from service.db.models import AppUser
from service.db.repositories.users import issue_token
from service.domain.passwords import hash_password
from service.settings import Settings
from tests.api.grid_env import GridEnv, build_env
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e
PASSWORD = "grid-demo"
# A payload's element carries data-xss; its script sets window.__xss and opens a dialog.
RUN = "window.__xss=1;alert(1)"
# (at most 100 characters with the field prefix: the longest name a boundary may have)
PAYLOADS = {
    "img": f'<img src=x data-xss onerror="{RUN}">',
    "script": f"<script data-xss>{RUN}</script>",
    "attr": f'"><svg data-xss onload="{RUN}">',
    "close_script": f"</script><script data-xss>{RUN}</script>",
    "js_string": f"';{RUN};'\\\";{RUN};//",
    "iframe": f'<iframe data-xss srcdoc="<script>parent.{RUN}</script>">',
}


def payload(field_name: str, kind: str) -> str:
    """A payload that also says which field it sits in (to read the failures)."""
    return f"{field_name}:{PAYLOADS[kind]}"


@dataclass
class Site:
    server: LiveServer
    env: GridEnv
    owner_url: str
    users: dict[str, str] = field(default_factory=dict)  # key → username
    report_point: tuple[float, float] = (0.0, 0.0)
    seeded: dict[str, str] = field(default_factory=dict)  # field → payload stored


def _admin(owner_url: str) -> str:
    name = f"xssadmin{uuid.uuid4().hex[:6]}"
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO app_user (username, password_hash, role) VALUES (:u, :p, 'admin')"),
            {"u": name, "p": hash_password(PASSWORD)},
        )
    engine.dispose()
    return name


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _rename_by_import(site: Site, admin: dict[str, str], layer: str, kinds: list[str]) -> None:
    """Every feature of the territory in `layer` gets a payload name, through the import API."""
    client = site.env.client
    exported = client.get(f"/api/exports/{layer}.geojson", headers=admin)
    assert exported.status_code == 200, exported.text
    collection = exported.json()
    mine = [
        f
        for f in collection["features"]
        if f["properties"]["code"].startswith(site.env.territory.street_code)
    ]
    assert mine
    for i, f in enumerate(mine):
        f["properties"]["name"] = payload(layer, kinds[i % len(kinds)])
    body = {"type": "FeatureCollection", "features": mine}
    import json

    files = {"file": (f"{layer}.geojson", json.dumps(body).encode(), "application/geo+json")}
    r = client.post(f"/api/imports/{layer}?apply=true", headers=admin, files=files)
    assert r.status_code == 200 and r.json()["applied"], r.text
    site.seeded[layer] = mine[0]["properties"]["name"]


def _seed_people_and_reports(site: Site, admin: dict[str, str]) -> None:
    env, client = site.env, site.env.client
    worker = f"xssworker{uuid.uuid4().hex[:6]}"
    display = payload("display_name", "img")
    r = client.post(
        "/api/users",
        json={
            "username": worker,
            "password": PASSWORD,
            "role": "grid_worker",
            "community_code": env.territory.communities[0],
            "display_name": display,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    site.users["hostile_worker"] = worker
    site.seeded["display_name"] = display
    cell = client.get(
        f"/api/grids?community={env.territory.communities[0]}", headers=env.headers["street"]
    ).json()["features"][0]["properties"]["code"]
    r = client.post(
        f"/api/grids/{cell}/assignments",
        json={"worker": worker, "role": "primary", "replace": True},
        headers=env.headers["street"],
    )
    assert r.status_code == 201, r.text
    lon, lat = site.report_point
    worker_h = _bearer(client, worker)
    report = {
        "id": str(uuid.uuid4()),
        "category": "improper_waste",
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "crs": "wgs84",
        "accuracy_m": 5.0,
        "placed_by_hand": False,
        "description": payload("description", "script"),
    }
    r = client.post("/api/reports", json=report, headers=worker_h)
    assert r.status_code == 201, r.text
    site.seeded["description"] = report["description"]
    note = payload("transition_note", "attr")
    r = client.post(
        f"/api/reports/{report['id']}/transitions",
        json={"to": "accepted", "note": note},
        headers=env.headers["staff"],
    )
    assert r.status_code == 200, r.text
    site.seeded["transition_note"] = note
    _seed_patrol(site, worker_h)


def _seed_patrol(site: Site, worker_h: dict[str, str]) -> None:
    client = site.env.client
    lon, lat = site.report_point
    pid = str(uuid.uuid4())
    start = datetime.now(UTC) - timedelta(minutes=20)
    r = client.post(
        "/api/patrols", json={"id": pid, "started_at": start.isoformat()}, headers=worker_h
    )
    assert r.status_code == 201, r.text
    note = payload("patrol_note", "close_script")
    track = [[lon, lat], [lon + 0.0002, lat], [lon + 0.0002, lat + 0.0002]]
    r = client.post(
        f"/api/patrols/{pid}/finish",
        json={
            "ended_at": (start + timedelta(minutes=15)).isoformat(),
            "track": {"type": "LineString", "coordinates": track},
            "note": note,
        },
        headers=worker_h,
    )
    assert r.status_code == 200, r.text
    site.seeded["patrol_note"] = note


@pytest.fixture(scope="module")
def site(test_db, tmp_path_factory) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    from service.main import create_app

    settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=Path(tmp_path_factory.mktemp("xss-e2e")),
    )
    server = LiveServer(settings)
    server.start()
    with TestClient(create_app(settings)) as client:
        env = build_env(test_db.owner_url, client)
        for community in env.territory.communities:
            r = client.post(
                "/api/grids/generate",
                json={"community": community, "dry_run": False},
                headers=env.headers["street"],
            )
            assert r.status_code == 200, r.text
        the_site = Site(server, env, test_db.owner_url, users=dict(env.users))
        the_site.report_point = _inside_first_area(test_db.owner_url, env)
        admin_name = _admin(test_db.owner_url)
        the_site.users["admin"] = admin_name
        admin = _bearer(client, admin_name)
        _rename_by_import(the_site, admin, "streets", ["img"])
        _rename_by_import(the_site, admin, "communities", ["attr", "close_script"])
        _rename_by_import(the_site, admin, "residential_areas", list(PAYLOADS))
        _seed_people_and_reports(the_site, admin)
        yield the_site
    server.stop()


def _inside_first_area(owner_url: str, env: GridEnv) -> tuple[float, float]:
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(r.geom) p"
                " FROM residential_area r JOIN community c ON c.id = r.community_id"
                " WHERE c.code = :c ORDER BY r.code LIMIT 1) x"
            ),
            {"c": env.territory.communities[0]},
        ).one()
    engine.dispose()
    return float(row[0]), float(row[1])


def _session(owner_url: str, username: str) -> str:
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == username)).one()
        token, _ = issue_token(session, user, kind="session", ttl_minutes=30)
    engine.dispose()
    return token


class Watch:
    """A browser context for one user, recording every dialog."""

    def __init__(self, browser, site: Site, username: str | None, **options) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        if username:
            cookie = _session(site.owner_url, username)
            self.context.add_cookies(
                [{"name": "wangge_session", "value": cookie, "url": site.server.url}]
            )
        self.dialogs: list[str] = []
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(f"{self.page.url}: {dialog.message}")
        dialog.dismiss()

    def check(self, where: str) -> None:
        """No dialog so far, no payload element in the DOM, no payload script ran."""
        page = self.page
        page.wait_for_timeout(200)
        injected = page.evaluate("document.querySelectorAll('[data-xss]').length")
        ran = page.evaluate("window.__xss || 0")
        assert self.dialogs == [], f"{where}: dialog opened {self.dialogs}"
        assert injected == 0, f"{where}: {injected} element(s) injected by user text"
        assert ran == 0, f"{where}: a payload's script ran"

    def close(self) -> None:
        self.context.close()


def _visit(watch: Watch, url: str) -> None:
    response = watch.page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    watch.page.wait_for_load_state("networkidle")
    watch.check(url)


def test_login_pages_show_hostile_input_as_text(browser, site: Site) -> None:
    w = Watch(browser, site, None)
    base = site.server.url
    for kind, value in PAYLOADS.items():
        _visit(w, f"{base}/login?next={quote('/map' + value)}")
        w.page.fill("#username", value[:60])
        w.page.fill("#password", "wrong")
        w.page.click("button[type=submit]")
        w.page.wait_for_load_state("networkidle")
        w.check(f"/login failed with {kind}")
    w.close()


def test_grids_page_tooltips_and_panel(browser, site: Site, artifacts_dir) -> None:
    base = site.server.url
    for key in ("street", "staff", "admin"):
        w = Watch(browser, site, site.users[key])
        _visit(w, f"{base}/grids?street={site.env.territory.street_code}")
        # the cells (blue outline); the red finding markers sit on cells and would take the
        # pointer where a cell's centre lies under one, so they let it through while hovering
        cells = w.page.locator('path.leaflet-interactive[stroke="#1c7ed6"]')
        assert cells.count() > 0
        w.page.add_style_tag(
            content='path.leaflet-interactive[stroke="#e03131"] { pointer-events: none; }'
        )
        tips = []
        for i in range(cells.count()):
            cells.nth(i).hover(force=True)
            tip = w.page.locator(".leaflet-tooltip")
            if tip.count():
                tips.append(tip.last.inner_text())
        w.check(f"/grids as {key} after hovering {cells.count()} cells")
        shown = "\n".join(tips)
        # the payloads are displayed as the text they are
        assert site.seeded["display_name"] in shown, shown[:500]
        assert any(site.seeded["communities"][:20] in t or "communities:" in t for t in tips)
        panel = w.page.locator("#grid-panel").text_content() or ""
        assert "display_name:<img" in panel
        if key == "street":
            w.page.screenshot(path=str(artifacts_dir / "xss-grids.png"))
        w.close()


def test_map_page_popups(browser, site: Site, artifacts_dir) -> None:
    base = site.server.url
    lon, lat = site.report_point
    for key in ("street", "staff", "planner", "admin"):
        w = Watch(browser, site, site.users[key], locale="zh-CN")
        _visit(w, f"{base}/map")
        # the page's objects, from its module (docs/navigation.md)
        w.page.evaluate("import('/static/map.js').then((m) => m.ready).then(() => true)")
        for box in w.page.locator("input[id^=layer-]").all():
            box.check()  # every layer drawn once (the thematic ones are radio buttons)
        w.page.locator("input[type=radio][id^=layer-]").first.check()  # 小区 filled again
        w.page.evaluate(
            f"import('/static/map.js').then((m) => m.ready)"
            f".then((w) => w.map.setView(w.frame.toDisplay({lat}, {lon}), 17))"
        )
        w.page.wait_for_load_state("networkidle")
        w.page.wait_for_timeout(500)
        point = w.page.evaluate(
            f"import('/static/map.js').then((m) => m.ready).then((w) => {{"
            f" const p = w.map.latLngToContainerPoint(w.frame.toDisplay({lat}, {lon}));"
            " const r = document.querySelector('.folium-map').getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; })"
        )
        popup = w.page.locator(".leaflet-popup-content")
        for _ in range(3):  # a busy machine may not have drawn the tile under the point yet
            w.page.mouse.click(point[0], point[1])
            try:
                popup.first.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                w.page.wait_for_load_state("networkidle")
        popup.first.wait_for(timeout=5_000)
        w.page.wait_for_load_state("networkidle")
        w.check(f"/map popup as {key}")
        text_shown = popup.first.inner_text()
        assert "residential_areas:" in text_shown or "description:" in text_shown, text_shown
        # drill down one level at a time: the options are the hostile unit names
        for drill in w.page.locator("select[id^=drill-]").all():
            if drill.locator("option").count() > 1 and drill.is_enabled():
                drill.select_option(index=1)
                w.page.wait_for_load_state("networkidle")
                w.page.wait_for_timeout(300)
        w.check(f"/map drill-down as {key}")
        if key == "street":
            w.page.screenshot(path=str(artifacts_dir / "xss-map.png"))
        w.close()


def test_stats_account_and_ogc_pages(browser, site: Site) -> None:
    base = site.server.url
    for key in ("street", "planner", "admin"):
        w = Watch(browser, site, site.users[key])
        _visit(w, f"{base}/stats")
        _visit(w, f"{base}/account")
        # the other pages with the shared header (the hostile display name is in it)
        _visit(w, f"{base}/residential-areas")
        _visit(w, f"{base}/companies")
        if key != "planner":  # no workbench for planners
            _visit(w, f"{base}/work")
        w.close()
    w = Watch(browser, site, site.users["planner"])
    _visit(w, f"{base}/ogc?f=html")
    _visit(w, f"{base}/ogc/collections?f=html")
    listing = w.page.request.get(f"{base}/ogc/collections?f=json").json()
    ids = [c["id"] for c in listing["collections"]]
    assert {"streets", "communities", "residential_areas"} <= set(ids)
    for cid in ids:
        _visit(w, f"{base}/ogc/collections/{cid}?f=html")
        _visit(w, f"{base}/ogc/collections/{cid}/items?f=html&limit=1000")
    body = w.page.locator("body").inner_text()
    assert body  # the last items page rendered
    w.close()


def test_phone_page_for_workers(browser, site: Site) -> None:
    base = site.server.url
    lon, lat = site.report_point
    for key in ("worker1", "hostile_worker"):
        w = Watch(
            browser,
            site,
            site.users[key],
            geolocation={"longitude": lon, "latitude": lat, "accuracy": 5},
            permissions=["geolocation"],
            service_workers="block",
        )
        _visit(w, f"{base}/m")
        w.page.wait_for_timeout(1500)  # position, cells and nearby reports arrive
        markers = w.page.locator("path.leaflet-interactive")
        for i in range(markers.count()):
            markers.nth(i).hover(force=True)
        w.check(f"/m as {key}")
        _visit(w, f"{base}/account")
        w.close()


def test_every_seeded_field_was_stored(site: Site) -> None:
    """The seeding reached every field the pages show (so the checks above had something)."""
    assert set(site.seeded) == {
        "streets",
        "communities",
        "residential_areas",
        "display_name",
        "description",
        "transition_note",
        "patrol_note",
    }
