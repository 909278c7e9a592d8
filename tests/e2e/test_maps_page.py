"""/map in real headless Chromium: every layer toggled, legends, a popup, no request off-host.

Runs over our own small city (tests/maps_city.py) as its street office, logged in with a
browser session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select
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
    "committee": "未成立",
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


def session_cookie(test_db, username: str) -> str:
    engine = create_engine(test_db.owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == username)).one()
        token, _csrf = issue_token(session, user, kind="session", ttl_minutes=30)
    engine.dispose()
    return token


def test_street_office_uses_every_layer(
    browser, maps_server, maps_city, test_db, artifacts_dir
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": "wangge_session",
                "value": session_cookie(test_db, "m6-street1"),
                "url": maps_server.url,
            }
        ]
    )
    requested: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    response = page.goto(f"{maps_server.url}/map")
    assert response is not None and response.status == 200
    page.wait_for_function("window.wanggeMap && window.wanggeMap.layers")

    for key, sample_class in LAYERS.items():
        box = page.locator(f"#layer-{key}")
        legend = page.locator(f".wg-legend[data-layer={key}]")
        if box.is_checked():
            box.uncheck()
            assert legend.is_hidden()
        box.check()
        assert legend.is_visible(), (key, errors)
        assert legend.locator("[data-class=__nodata]").inner_text() == "无数据"
        assert sample_class in legend.inner_text(), key
    page.wait_for_timeout(500)
    for key in LAYERS:
        if key != "property":
            page.locator(f"#layer-{key}").uncheck()

    # zoom to the first 小区 and click it: the popup shows its facts and the hostile report
    page.evaluate(f"window.wanggeMap.map.setView([{Y0 + 0.004}, {X0 + 0.005}], 17)")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    point = page.evaluate(
        f"(() => {{ const p = window.wanggeMap.map.latLngToContainerPoint([{Y0 + 0.004}, "
        f"{X0 + 0.005}]); const r = document.querySelector('.folium-map')"
        ".getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; })()"
    )
    page.mouse.click(point[0], point[1])
    popup = page.locator(".wg-popup[data-kind=residential_area]")
    popup.wait_for(timeout=10_000)
    assert popup.locator("h3").inner_text() == "<b>加粗小区</b>"
    assert HOSTILE in popup.inner_text()
    assert popup.locator("img, script, b b").count() == 0
    assert page.evaluate("window.__pwned === undefined")

    # open reports near the 小区 are drawn (clustered), overdue ones in red
    page.locator("#layer-reports").check()
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-marker-pane > *, path.leaflet-interactive').length > 0"
    )

    # drill-down: the street office sees its one street, then its communities
    page.locator("#drill-community option").nth(2).wait_for(state="attached")
    assert page.locator("#drill-street option").count() == 2
    page.screenshot(path=str(artifacts_dir / "map-street1.png"), full_page=True)

    off_host = [u for u in requested if not u.startswith(maps_server.url)]
    assert off_host == []
    assert errors == []
    context.close()
