"""Password login shared by the token endpoint and the browser login form."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from service.api.deps import client_address
from service.db.models import AppUser
from service.db.repositories import login_attempts
from service.db.repositories.users import authenticate
from service.errors import NotAuthenticated, TooManyRequests
from service.settings import Settings


def check_password_login(
    request: Request, session: Session, settings: Settings, username: str, password: str
) -> AppUser:
    """The user, or NotAuthenticated (failure recorded) / TooManyRequests (with Retry-After)."""
    addr = client_address(request)
    wait = login_attempts.seconds_until_allowed(
        session,
        username=username,
        client_addr=addr,
        limits=login_attempts.LoginLimits(
            max_per_account=settings.auth.login_max_failures_per_account,
            max_per_address=settings.auth.login_max_failures_per_address,
            window_s=settings.auth.login_failure_window_s,
            delay_base_s=settings.auth.login_delay_base_s,
            delay_max_s=settings.auth.login_delay_max_s,
        ),
    )
    if wait:
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} s",
            message_zh=f"登录失败次数过多，请 {_minutes(wait)} 后再试",
            where={"retry_after_s": wait},
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(session, username, password)
    if user is None:
        _record_failure_now(request, username, addr)
        raise NotAuthenticated(
            "wrong username or password",
            message_zh="用户名或密码错误",
            headers={"WWW-Authenticate": "Bearer"},
        )
    login_attempts.clear_account_failures(session, username)
    return user


def _record_failure_now(request: Request, username: str, addr: str) -> None:
    # Its own transaction: the request's transaction rolls back with the 401.
    factory = request.app.state.session_factory
    with factory() as own, own.begin():
        login_attempts.record_failure(own, username=username, client_addr=addr)


def _minutes(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{(seconds + 59) // 60} 分钟"
