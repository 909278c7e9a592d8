"""Browser login: cookies, CSRF (login form and later writes), next= safety, page redirect."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.fixtures_authz import PASSWORD, World


def _browser(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), follow_redirects=False)


def _form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _login(b: TestClient, username: str, next_url: str = "/account"):  # type: ignore[no-untyped-def]
    page = b.get("/login", params={"next": next_url})
    assert page.status_code == 200
    data = {"username": username, "password": PASSWORD, "csrf": _form_csrf(page.text)}
    return b.post("/login", data={**data, "next": next_url})


def test_login_sets_session_and_csrf_cookies(world_settings: Settings, world: World) -> None:
    with _browser(world_settings) as b:
        r = _login(b, "mx_street", "/account?tab=1")
        assert r.status_code == 303
        assert r.headers["location"] == "/account?tab=1"
        cookies = r.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("wangge_session="))
        csrf = next(c for c in cookies if c.startswith("wangge_csrf="))
        assert "HttpOnly" in session and "samesite=lax" in session.lower() and "Path=/" in session
        assert "HttpOnly" not in csrf
        me = b.get("/api/me")
        assert me.status_code == 200 and me.json()["username"] == "mx_street"
        assert "mx_street" in b.get("/account").text


def test_login_form_without_matching_csrf_is_refused(
    world_settings: Settings, world: World
) -> None:
    with _browser(world_settings) as b:
        b.get("/login")
        r = b.post("/login", data={"username": "mx_street", "password": PASSWORD, "csrf": "forged"})
        assert r.status_code == 403
        assert "wangge_session" not in r.cookies
    with _browser(world_settings) as fresh:  # no login cookie at all (cross-site post)
        r = fresh.post("/login", data={"username": "mx_street", "password": PASSWORD, "csrf": "x"})
        assert r.status_code == 403


def test_cookie_writes_need_the_csrf_header(world_settings: Settings, world: World) -> None:
    with _browser(world_settings) as b:
        assert _login(b, "mx_planner").status_code == 303
        body = {"old_password": "wrong-password", "new_password": "whatever-123"}
        assert b.post("/api/me/password", json=body).status_code == 403
        token = b.cookies["wangge_csrf"]
        r = b.post("/api/me/password", json=body, headers={"X-CSRF-Token": token})
        assert r.status_code == 422  # past CSRF; the old password is wrong


def test_wrong_password_rerenders_the_form_escaped(world_settings: Settings, world: World) -> None:
    with _browser(world_settings) as b:
        page = b.get("/login")
        evil = '"><script>alert(1)</script>'
        r = b.post(
            "/login",
            data={"username": evil, "password": "x", "csrf": _form_csrf(page.text), "next": "/"},
        )
        assert r.status_code == 401
        assert "<script>alert(1)" not in r.text
        assert "&lt;script&gt;" in r.text
        assert "用户名或密码错误" in r.text


def test_next_is_restricted_to_local_paths(world_settings: Settings, world: World) -> None:
    with _browser(world_settings) as b:
        for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:1"):
            page = b.get("/login", params={"next": bad})
            assert 'name="next" value="/"' in page.text, bad
            r = b.post(
                "/login",
                data={
                    "username": "mx_worker",
                    "password": PASSWORD,
                    "csrf": _form_csrf(page.text),
                    "next": bad,
                },
            )
            assert r.headers["location"] == "/", bad
        page = b.get("/login", params={"next": '/m?x="<b>'})
        assert 'value="/m?x=&quot;&lt;b&gt;"' in page.text


def test_page_redirects_anonymous_browser_to_login(world_settings: Settings) -> None:
    with _browser(world_settings) as b:
        r = b.get("/account", params={"a": "1"})
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Faccount%3Fa%3D1"


def test_logout_form_revokes_and_clears(world_settings: Settings, world: World) -> None:
    with _browser(world_settings) as b:
        assert _login(b, "mx_community").status_code == 303
        token = b.cookies["wangge_session"]
        assert b.post("/logout", data={"csrf": "forged"}).status_code == 403
        r = b.post("/logout", data={"csrf": b.cookies["wangge_csrf"]})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        # The old cookie value no longer works even if a copy was kept.
        b.cookies.clear()
        b.cookies.set("wangge_session", token)
        again = b.get("/api/me")
        assert again.status_code == 401
