"""Browser login: GET/POST /login (session cookie + CSRF cookie), POST /logout, GET /account."""

from __future__ import annotations

import secrets
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    PageUserDep,
    SessionDep,
    SettingsDep,
    _same,
)
from service.api.login_flow import check_password_login
from service.api.pages.html import (
    LEVEL_LABELS_ZH,
    ROLE_LABELS_ZH,
    login_form_html,
    page_html,
)
from service.api.pages.shell import load_shell, shell_page
from service.api.routes.shell_pages import home_for
from service.db.repositories.users import authenticate_token, issue_token, revoke_token
from service.errors import NotAuthenticated, TooManyRequests
from service.settings import Settings

router = APIRouter(tags=["pages"])

LOGIN_CSRF_COOKIE = "wangge_login_csrf"
DEFAULT_NEXT = "/"  # `/` sends each role to its home page


def safe_next(value: str | None) -> str:
    """Only a local absolute path (no scheme, no host, no `//evil`); anything else → default."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ch in value for ch in "\\\r\n\t") or ":" in value.split("?", 1)[0]:
        return DEFAULT_NEXT
    return value


def _login_page(
    settings: Settings, next_url: str, *, error: str = "", username: str = "", status: int = 200
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    html = login_form_html(next_url=next_url, csrf=csrf, error=error, username=username)
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="lax",
        secure=settings.auth.cookie_secure,
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse, summary="Login page (browser)")
def login_page(settings: SettingsDep, next: str | None = None) -> HTMLResponse:
    return _login_page(settings, safe_next(next))


@router.post("/login", summary="Login form: sets the session and CSRF cookies")
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_url = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf or not _same(cookie, csrf):
        return _login_page(
            settings, next_url, error="页面已过期，请重新登录", username=username, status=403
        )
    try:
        user = check_password_login(request, session, settings, username, password)
    except TooManyRequests as exc:
        page = _login_page(
            settings, next_url, error=exc.message_zh or exc.message, username=username, status=429
        )
        page.headers.update(exc.headers or {})
        return page
    except NotAuthenticated:
        return _login_page(
            settings, next_url, error="用户名或密码错误", username=username, status=401
        )
    token, csrf_token = issue_token(
        session, user, kind="session", ttl_minutes=settings.auth.session_ttl_minutes
    )
    response = RedirectResponse(next_url, status_code=303)
    _set_session_cookies(response, settings, token, csrf_token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _set_session_cookies(response: Response, settings: Settings, token: str, csrf: str) -> None:
    max_age = settings.auth.session_ttl_minutes * 60
    common = {
        "samesite": "lax",
        "secure": settings.auth.cookie_secure,
        "path": "/",
        "max_age": max_age,
    }
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)  # type: ignore[arg-type]
    # Readable by the page's JavaScript, which echoes it in the X-CSRF-Token header.
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, **common)  # type: ignore[arg-type]


@router.post("/logout", summary="Logout form: revokes the session and clears the cookies")
def logout_submit(
    request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = authenticate_token(session, token)
        if found is not None:
            stored = found[1] or ""
            if not csrf or not _same(csrf, stored):
                return HTMLResponse(
                    page_html("请求校验失败", "<p>请求校验失败，请刷新页面后重试。</p>"),
                    status_code=403,
                )
            revoke_token(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse, summary="Who am I (browser page)")
def account_page(request: Request, session: SessionDep, me: PageUserDep) -> HTMLResponse:
    shell = load_shell(request, session, me)
    body = (
        "<h1>我的账号</h1>"
        f"<p>当前用户：<strong>{escape(me.username)}</strong></p>"
        f"<p>角色：{escape(ROLE_LABELS_ZH.get(me.role, me.role))}"
        f"（辖区级别：{escape(LEVEL_LABELS_ZH.get(me.level, me.level))}）</p>"
        f"<p>辖区：{escape(shell.jurisdiction)}</p>"
        f'<p><a href="{escape(home_for(request, me))}">进入我的首页</a></p>'
    )
    return HTMLResponse(shell_page(shell, "我的账号", body))
