"""The grid page in headless Chromium: cells render, preview works, all requests stay local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from tests.api.grid_env import GridEnv, build_env
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def grid_site(test_db, tmp_path_factory) -> Iterator[tuple[LiveServer, GridEnv]]:
    from service.main import create_app

    settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=Path(tmp_path_factory.mktemp("grid-e2e")),
    )
    server = LiveServer(settings)
    server.start()
    with TestClient(create_app(settings)) as client:
        env = build_env(test_db.owner_url, client)
        r = client.post(
            "/api/grids/generate",
            json={"community": env.territory.communities[0], "dry_run": False},
            headers=env.headers["street"],
        )
        assert r.status_code == 200, r.text
        yield server, env
    server.stop()


def _log_in(page, base: str, username: str, next_path: str) -> None:
    """Through the real login form; the page sends anonymous browsers there first."""
    page.goto(f"{base}{next_path}")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "grid-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def test_street_office_sees_cells_and_previews_generation(
    browser, grid_site, test_db, artifacts_dir
) -> None:
    server, env = grid_site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, server.url, env.users["street"], f"/grids?street={env.territory.street_code}")
    cells = int(page.locator("#cell-count").inner_text())
    assert cells > 0
    page.wait_for_function(
        "n => document.querySelectorAll('path.leaflet-interactive').length >= n", arg=cells
    )
    assert page.locator("#finding-list li").count() > 0  # at least: cells without a primary
    # dry-run preview for the community that has no cells yet: drawn, nothing saved
    page.select_option("#form-generate select[name=community]", env.territory.communities[1])
    page.click("#form-generate button[name=preview]")
    page.wait_for_function("document.getElementById('grid-message').textContent.includes('预览')")
    assert page.locator("#generate-apply").is_enabled()
    page.wait_for_function(
        "n => document.querySelectorAll('path.leaflet-interactive').length > n", arg=cells
    )
    page.screenshot(path=str(artifacts_dir / "grids_page.png"))
    context.close()
    assert errors == []
    assert requests and all(u.startswith(server.url) for u in requests), [
        u for u in requests if not u.startswith(server.url)
    ]


# visible words that are not Chinese: only codes and numbers may remain (no English word)
ENGLISH_WORD = r"[A-Za-z]{2,}"


def test_grid_page_is_chinese_and_cells_are_picked_by_clicking(
    browser, grid_site, artifacts_dir
) -> None:
    import re

    server, env = grid_site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, server.url, env.users["street"], f"/grids?street={env.territory.street_code}")
    page.wait_for_selector("path.leaflet-interactive")
    visible = page.evaluate("document.body.innerText")
    for username in env.users.values():  # people's account names are theirs, like codes
        visible = visible.replace(username, "")
    assert re.findall(ENGLISH_WORD, visible) == [], re.findall(ENGLISH_WORD, visible)
    # the household legend names the limits; findings are grouped with counts
    legend = page.inner_text("#legend")
    assert "户数少于" in legend and "户数多于" in legend
    assert page.locator("#finding-list .finding-group .count").count() >= 1
    # the worker is picked from the community's list, not typed
    options = page.locator("#form-assign select[name=worker] option").all_inner_texts()
    assert any(env.users["worker1"] in o for o in options), options
    # a merge with nothing picked is refused with a sentence, before any request
    page.click("#form-merge button[type=submit]")
    assert "请先在地图上点击选择" in page.inner_text("#grid-message")
    # click a cell on the map: it is picked and the forms use its code
    # (a real click on the first cell's outline; dispatched on it, as parts may sit under the panel)
    page.locator("path.leaflet-interactive").first.dispatch_event("click")
    picked = page.locator("#picked-list li[data-code]")
    assert picked.count() == 1
    code = picked.first.inner_text()
    assert re.fullmatch(r"[0-9]{15}", code)
    assert page.input_value("#form-split input[name=code]") == code
    # the server's refusal reads as a sentence, not JSON: assign a worker of another community
    page.evaluate(
        "(u) => { const s = document.querySelector('#form-assign select[name=worker]');"
        " s.add(new Option(u, u)); s.value = u; }",
        env.users["worker_c2"],
    )
    page.click("#form-assign button[type=submit]")
    page.wait_for_function("document.getElementById('grid-message').textContent.includes('社区')")
    text = page.inner_text("#grid-message")
    assert "{" not in text and "不属于该网格所在社区" in text, text
    assert re.findall(ENGLISH_WORD, text.replace(env.users["worker_c2"], "")) == [], text
    page.screenshot(path=str(artifacts_dir / "grids_page_chinese.png"))
    context.close()
    assert errors == []
