"""Dependencies shared by every route: the database session and who is asking."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.users import principal_of, user_for_token
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.errors import Forbidden, NotAuthenticated
from service.settings import Settings

SESSION_COOKIE = "wangge_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def _token_from(request: Request) -> tuple[str | None, bool]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie, cookie is not None


def get_current_user(request: Request, session: SessionDep) -> Principal:
    """The authenticated principal; also tells PostgreSQL who it is (row-level security)."""
    token, from_cookie = _token_from(request)
    if not token:
        raise NotAuthenticated(
            "authentication required", message_zh="请先登录", headers={"WWW-Authenticate": "Bearer"}
        )
    found = user_for_token(session, token)
    if found is None:
        raise NotAuthenticated(
            "invalid or expired token",
            message_zh="登录已失效，请重新登录",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user, stored = found
    if from_cookie and request.method not in SAFE_METHODS:
        if request.headers.get(CSRF_HEADER) != stored.csrf_token:
            raise Forbidden("missing or wrong CSRF token", message_zh="请求校验失败，请刷新页面")
    principal = principal_of(user)
    set_rls_identity(session, principal)
    request.state.principal = principal
    return principal


def set_rls_identity(session: Session, principal: Principal) -> None:
    """Transaction-local settings read by the row-level security policies."""
    session.execute(
        text(
            "SELECT set_config('wangge.user_id', :uid, true),"
            " set_config('wangge.role', :role, true),"
            " set_config('wangge.district_id', :d, true),"
            " set_config('wangge.street_id', :s, true),"
            " set_config('wangge.community_id', :c, true),"
            " set_config('wangge.department_id', :dep, true)"
        ),
        {
            "uid": str(principal.id),
            "role": principal.role,
            "d": str(principal.district_id or ""),
            "s": str(principal.street_id or ""),
            "c": str(principal.community_id or ""),
            "dep": str(principal.department_id or ""),
        },
    )


CurrentUserDep = Annotated[Principal, Depends(get_current_user)]


def require(action: str) -> Callable[..., Principal]:
    """Dependency factory: the current user, if the policy table lets their role do `action`."""
    scope_for_check = action

    def dependency(principal: CurrentUserDep, request: Request) -> Principal:
        scope = scope_for(principal, scope_for_check)
        if scope is None:
            raise Forbidden(f"role {principal.role} may not {action}", message_zh="无权执行此操作")
        request.state.scope = scope
        return principal

    dependency.__wangge_action__ = action  # type: ignore[attr-defined]
    return dependency
