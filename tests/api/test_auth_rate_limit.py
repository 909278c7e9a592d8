"""Failed logins are limited per account and per client address, across workers (in the DB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.main import create_app
from service.settings import Settings
from tests.fixtures_authz import PASSWORD, World


@pytest.fixture
def strict_settings(world_settings: Settings) -> Settings:
    return world_settings.replace(
        login_max_failures_per_account=3, login_max_failures_per_address=6
    )


@pytest.fixture
def clean_attempts(owner_engine: Engine) -> Iterator[None]:
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM login_attempt WHERE client_addr LIKE '198.51.100.%'"))


def _client(settings: Settings, addr: str) -> TestClient:
    return TestClient(create_app(settings), client=(addr, 40000))


def _token(c: TestClient, user: str, password: str):  # type: ignore[no-untyped-def]
    return c.post("/api/auth/token", data={"username": user, "password": password})


@pytest.mark.usefixtures("clean_attempts")
def test_account_is_locked_after_failures_even_from_another_worker(
    strict_settings: Settings, world: World
) -> None:
    with (
        _client(strict_settings, "198.51.100.1") as a,
        _client(strict_settings, "198.51.100.2") as b,
    ):
        assert [_token(a, "mx_district", "bad").status_code for _ in range(3)] == [401] * 3
        # A second app instance (another worker) sees the same count, from another address.
        r = _token(b, "mx_district", PASSWORD)
        assert r.status_code == 429
        retry = int(r.headers["Retry-After"])
        assert 0 < retry <= strict_settings.auth.login_failure_window_s
        assert r.json()["detail"]["code"] == "too_many_requests"
        assert "登录失败次数过多" in r.json()["detail"]["message_zh"]
        # Other accounts are unaffected from an address that has not failed much.
        assert _token(b, "mx_planner", PASSWORD).status_code == 200


@pytest.mark.usefixtures("clean_attempts")
def test_address_is_limited_across_accounts(strict_settings: Settings, world: World) -> None:
    with _client(strict_settings, "198.51.100.3") as c:
        names = ["nobody-a", "nobody-b", "nobody-c"]
        codes = [_token(c, names[i % 3], "bad").status_code for i in range(6)]
        assert codes == [401] * 6
        r = _token(c, "mx_worker", PASSWORD)
        assert r.status_code == 429 and "Retry-After" in r.headers


@pytest.mark.usefixtures("clean_attempts")
def test_success_resets_the_account_counter(strict_settings: Settings, world: World) -> None:
    with _client(strict_settings, "198.51.100.4") as c:
        for _ in range(2):
            assert _token(c, "mx_community", "bad").status_code == 401
        assert _token(c, "mx_community", PASSWORD).status_code == 200
        for _ in range(2):
            assert _token(c, "mx_community", "bad").status_code == 401
        assert _token(c, "mx_community", PASSWORD).status_code == 200


@pytest.mark.usefixtures("clean_attempts")
def test_login_page_shows_the_limit(strict_settings: Settings, world: World) -> None:
    import re

    with _client(strict_settings, "198.51.100.5") as c:
        for _ in range(3):
            _token(c, "mx_street2", "bad")
        page = c.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = c.post(
            "/login",
            data={"username": "mx_street2", "password": PASSWORD, "csrf": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert "登录失败次数过多" in r.text
