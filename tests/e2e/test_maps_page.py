"""/map in real headless Chromium: every layer toggled, legends, a popup, no request off-host.

Twice: as the demo city's `street1` (the shared live server), and as the street office of our
own small city (tests/maps_city.py), whose first 小区 carries a report with hostile HTML.
street1 logs in through the login page (/login?next=/map); the other with a session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from service.db.models import AppUser
from service.db.repositories.users import issue_token
from tests.e2e.conftest import LiveServer
from tests.maps_city import HOSTILE, X0, Y0

pytest_plugins = ["tests.maps_fixtures"]
pytestmark = pytest.mark.e2e
LAYERS = {
    "property": "无物业",
    "party": "无党组织",
    "committee": "居委会代行",
    "partyCoverage": "业委会未建党组织（应建）",
    "grade": "D级（重点监管）",
    "renovation": "已验收",
    "cells": "已配置专职网格员",
    "freshness": "超过 30 天",
    "reports": "已超期",
}


@pytest.fixture(scope="module")
def maps_server(maps_settings) -> Iterator[LiveServer]:
    server = LiveServer(maps_settings)
    server.start()
    yield server
    server.stop()


def session_cookie(owner_url: str, username: str) -> str:
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == username)).one()
        token, _csrf = issue_token(session, user, kind="session", ttl_minutes=30)
    engine.dispose()
    return token


def open_map(browser, server_url: str, owner_url: str, username: str, *, via_form: bool):
    """/map for `username`: through the login page (/login?next=/map) or with a session cookie."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    if not via_form:
        cookie = session_cookie(owner_url, username)
        context.add_cookies([{"name": "wangge_session", "value": cookie, "url": server_url}])
    page = context.new_page()
    page.requested, page.errors = [], []
    page.on("request", lambda r: page.requested.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    response = page.goto(f"{server_url}/map")
    if via_form:
        assert page.url.startswith(f"{server_url}/login?next=")
        page.fill("#username", username)
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/map")
    else:
        assert response is not None and response.status == 200
    page.evaluate("import('/static/map.js').then((m) => m.ready).then(() => true)")
    return context, page


OVERLAYS = {"reports"}  # checkboxes; the thematic layers are radio buttons, one at a time


def toggle_every_layer(page) -> None:
    for key, sample_class in LAYERS.items():
        box = page.locator(f"#layer-{key}")
        legend = page.locator(f".wg-legend[data-layer={key}]")
        if key in OVERLAYS and box.is_checked():
            box.uncheck()
            assert legend.is_hidden()
        box.check()
        assert legend.is_visible(), (key, page.errors)
        assert legend.locator("[data-class=__nodata]").inner_text() == "无数据"
        assert sample_class in legend.inner_text(), key
        if key not in OVERLAYS:  # choosing a theme hides every other theme's legend
            others = [k for k in LAYERS if k != key and k not in OVERLAYS]
            assert all(page.locator(f".wg-legend[data-layer={k}]").is_hidden() for k in others)
            assert box.get_attribute("type") == "radio"
            shown = page.evaluate(  # and only that theme is on the map
                "import('/static/map.js').then((m) => m.ready).then((w) =>"
                " Object.entries(w.layers).filter(([, o]) => !o.overlay"
                " && w.map.hasLayer(o.layer)).map(([k]) => k))"
            )
            assert shown == [key], shown
    page.wait_for_timeout(300)
    page.locator("#layer-property").check()
    for key in OVERLAYS:
        page.locator(f"#layer-{key}").uncheck()


def click_area(page, lat: float, lon: float):
    """Zoom onto a 小区 and click it, again until its tile is drawn and a popup opens (a tile
    still loading takes no click); returns the popup."""
    page.evaluate(
        "import('/static/map.js').then((m) => m.ready)"
        f".then((r) => r.map.setView([{lat}, {lon}], 17))"
    )
    popup = page.locator(".wg-popup[data-kind=residential_area]")
    for _ in range(12):
        page.wait_for_timeout(300)
        point = page.evaluate(
            f"import('/static/map.js').then((m) => m.ready).then((w) => {{"
            f" const p = w.map.latLngToContainerPoint([{lat}, {lon}]);"
            " const r = document.querySelector('.folium-map').getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; })"
        )
        page.mouse.click(point[0], point[1])
        try:
            popup.wait_for(timeout=1500)
            return popup
        except PlaywrightTimeout:
            continue
    popup.wait_for(timeout=5_000)
    return popup


def area_fills(page) -> set[str]:
    """The fill colours drawn in the 小区 pane."""
    return set(
        page.eval_on_selector_all(
            ".leaflet-areas-pane path", "ps => ps.map((p) => p.getAttribute('fill'))"
        )
    )


def finish(page, context, server_url: str, screenshot) -> None:
    # one scale bar, metric only
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and scale[0].endswith(("m", "km")), scale
    page.locator("#layer-reports").check()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot))
    assert [u for u in page.requested if not u.startswith(server_url)] == []
    assert page.errors == []
    context.close()


def test_demo_street1_uses_every_layer(browser, live_server, demo_db, artifacts_dir) -> None:
    engine = create_engine(demo_db.owner_url)
    with engine.connect() as conn:
        area = conn.execute(
            text(
                "SELECT r.name, ST_Y(ST_PointOnSurface(r.geom)) AS lat,"
                " ST_X(ST_PointOnSurface(r.geom)) AS lon FROM residential_area r"
                " JOIN community c ON c.id = r.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                " ORDER BY r.code LIMIT 1"
            )
        ).one()
        foreign_street = conn.execute(
            text(
                "SELECT count(*) FROM street s JOIN app_user u ON u.username = 'street1'"
                " WHERE s.id <> u.street_id AND s.district_id = u.district_id"
            )
        ).scalar_one()
    engine.dispose()
    context, page = open_map(browser, live_server.url, demo_db.owner_url, "street1", via_form=True)
    toggle_every_layer(page)
    popup = click_area(page, area.lat, area.lon)
    assert popup.locator("h3").inner_text() == area.name
    assert "最近事件" in popup.inner_text()
    # drill-down offers street1's own street only, although the district has others
    assert foreign_street > 0
    page.locator("#drill-street option").nth(1).wait_for(state="attached")
    assert page.locator("#drill-street option").count() == 2
    finish(page, context, live_server.url, artifacts_dir / "map-demo-street1.png")


def test_hostile_text_is_shown_as_text(
    browser, maps_server, maps_city, test_db, artifacts_dir
) -> None:
    context, page = open_map(
        browser, maps_server.url, test_db.owner_url, "m6-street1", via_form=False
    )
    toggle_every_layer(page)
    popup = click_area(page, Y0 + 0.004, X0 + 0.005)
    assert popup.locator("h3").inner_text() == "<b>加粗小区</b>"
    assert HOSTILE in popup.inner_text()
    assert popup.locator("img, script, h3 b").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    page.locator("#drill-community option").nth(2).wait_for(state="attached")
    finish(page, context, maps_server.url, artifacts_dir / "map-hostile-text.png")
