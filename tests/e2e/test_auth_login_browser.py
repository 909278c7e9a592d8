"""Login in real headless Chromium on a phone-sized viewport: redirect, cookies, logout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.e2e.conftest import LiveServer
from tests.fixtures_authz import PASSWORD, World

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world_server(world_settings: Settings, world: World) -> Iterator[LiveServer]:
    server = LiveServer(world_settings)
    server.start()
    yield server
    server.stop()


def test_login_flow_on_a_phone(browser, world_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{world_server.url}/account?from=test")
    assert page.url == f"{world_server.url}/login?next=%2Faccount%3Ffrom%3Dtest"
    assert page.locator("h1").inner_text() == "网格管理 登录"

    page.fill("#username", "mx_worker")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码错误"

    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{world_server.url}/account?from=test")
    assert "mx_worker" in page.content()
    page.screenshot(path=str(artifacts_dir / "auth_account_phone.png"))
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["wangge_session"]["httpOnly"] is True
    assert cookies["wangge_session"]["sameSite"] == "Lax"
    assert cookies["wangge_csrf"]["httpOnly"] is False
    # The page's JavaScript can read the CSRF cookie and use it on an API write.
    status = page.evaluate(
        """async () => {
            const csrf = document.cookie.split('; ').find(c => c.startsWith('wangge_csrf='))
              .split('=')[1];
            const r = await fetch('/api/me/password', {method: 'POST',
              headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
              body: JSON.stringify({old_password: 'nope', new_password: 'whatever-1234'})});
            return r.status;
        }"""
    )
    assert status == 422  # authenticated and CSRF-checked; the old password was wrong

    page.click("#wg-shell button:has-text('退出')")
    page.wait_for_url(f"{world_server.url}/login")
    assert "wangge_session" not in {c["name"] for c in context.cookies()}
    page.goto(f"{world_server.url}/account")
    assert "/login?next=" in page.url
    context.close()
    assert all(u.startswith(world_server.url) for u in requests)
