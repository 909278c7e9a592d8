"""The browser fixture works against the live server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_docs_page_renders_in_chromium(browser, live_server, artifacts_dir) -> None:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(f"{live_server.url}/health")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")
    page.close()
    assert all(u.startswith(live_server.url) for u in requests)
