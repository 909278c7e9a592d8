"""The grid page in headless Chromium: cells render, preview works, all requests stay local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from service.db.models import AppUser
from service.db.repositories.users import issue_token
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


def _session_cookie(owner_url: str, username: str) -> str:
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        assert user is not None
        token, _ = issue_token(session, user, kind="session", ttl_minutes=30)
    engine.dispose()
    return token


def test_street_office_sees_cells_and_previews_generation(
    browser, grid_site, test_db, artifacts_dir
) -> None:
    server, env = grid_site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    token = _session_cookie(test_db.owner_url, env.users["street"])
    context.add_cookies([{"name": "wangge_session", "value": token, "url": server.url}])
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(f"{server.url}/grids?street={env.territory.street_code}")
    assert response is not None and response.status == 200
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
