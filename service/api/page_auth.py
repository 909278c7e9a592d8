"""Authentication for HTML pages: a logged-out browser is sent to the login page, then back."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import HTTPException, Request

from service.api.deps import SessionDep, get_current_user
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.errors import Forbidden, NotAuthenticated

LOGIN_PATH = "/login"  # the accounts issue's login page; ?next= brings the user back


def page_user(action: str) -> Callable[..., Principal]:
    """Like require(action), but answers a missing login with a redirect to the login page."""

    def dependency(request: Request, session: SessionDep) -> Principal:
        try:
            principal = get_current_user(request, session)
        except NotAuthenticated:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            headers = {"Location": f"{LOGIN_PATH}?next={quote(target, safe='/')}"}
            raise HTTPException(303, headers=headers) from None
        scope = scope_for(principal, action)
        if scope is None:
            raise Forbidden(f"role {principal.role} may not {action}", message_zh="无权查看此页面")
        request.state.scope = scope
        return principal

    dependency.__wangge_action__ = action  # type: ignore[attr-defined]
    return dependency
