"""Dependencies shared by every route: the database session and who is asking.

`require(action)` is the one gate every API route passes: it authenticates, checks the policy
table, tells PostgreSQL who is asking (row-level security) and, for state-changing methods,
writes the audit row when the handler succeeds. `require_page(action)` is the same gate for
HTML pages: an anonymous browser is redirected to /login?next=<this page>.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.audit import record_write
from service.db.repositories.users import authenticate_token, token_digest
from service.domain.policy import POLICY, scope_for
from service.domain.principal import Caller, Principal
from service.errors import Forbidden, NotAuthenticated
from service.settings import Settings

SESSION_COOKIE = "wangge_session"
CSRF_COOKIE = "wangge_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_settings_dep(request: Request) -> Settings:
    # async: no I/O, so FastAPI calls it on the event loop instead of in a worker thread
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session
        # The audit row of a write goes into the same transaction, just before it commits.
        write_audit = getattr(request.state, "write_audit", None)
        if write_audit is not None:
            write_audit(session)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits when the handler returns, BEFORE the response is
# sent — with the default request scope a client could be told "saved" for a commit that then
# fails.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str:
    """The client address: the peer's, or from X-Forwarded-For of a trusted proxy only."""
    return request.client.host if request.client else "unknown"


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
    # one statement: the token's user and the row-level security settings (set only when the
    # token is valid; transaction-local, so a refusal below rolls them back with the request)
    found = authenticate_token(session, token)
    if found is None:
        raise NotAuthenticated.invalid_token()
    principal, csrf_token = found
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        if not csrf_token or not _same(sent, csrf_token):
            raise Forbidden.csrf()
    request.state.principal = principal
    return principal


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def set_rls_identity(session: Session, principal: Principal) -> None:
    """Transaction-local settings read by the row-level security policies (a request's own
    identity is set by `authenticate_token` in the same statement as the token lookup; this is
    for code that acts for a principal outside that path, e.g. streamed exports)."""
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


def audit_note(
    request: Request,
    *,
    object_type: str | None = None,
    object_id: object = None,
    **summary: Any,
) -> None:
    """Describe the object a write touched; `require` puts it in the audit row."""
    note = getattr(request.state, "audit", None) or {}
    if object_type is not None:
        note["object_type"] = object_type
    if object_id is not None:
        note["object_id"] = str(object_id)
    note.setdefault("summary", {}).update(summary)
    request.state.audit = note


def check_action(principal: Principal, action: str, request: Request) -> str:
    """The principal's scope for `action` (kept on request.state), or Forbidden."""
    return _check(principal, action, request)


def _check(principal: Principal, action: str, request: Request) -> str:
    scope = scope_for(principal, action)
    if scope is None:
        raise Forbidden.for_action(principal.role, action)
    request.state.scope = scope
    request.state.action = action
    return scope


def _audit(session: Session, principal: Principal, action: str, request: Request) -> None:
    note = getattr(request.state, "audit", None) or {}
    params = request.path_params
    default_id = next(iter(params.values()), None) if params else None
    record_write(
        session,
        principal,
        action=action,
        method=request.method,
        path=request.url.path,
        object_type=note.get("object_type") or action.split(":", 1)[0],
        object_id=note.get("object_id") or (str(default_id) if default_id is not None else None),
        client_addr=client_address(request),
        summary=note.get("summary", {}),
    )


def _schedule_audit(principal: Principal, action: str, request: Request) -> None:
    """Ask get_session to write the audit row of this write before it commits."""
    if request.method not in SAFE_METHODS:
        request.state.write_audit = lambda session: _audit(session, principal, action, request)


def require(action: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the current user, if the policy table lets their role do `action`.

    For POST/PUT/PATCH/DELETE the audit row is written after the handler returns, in the same
    transaction as the write and before the response is sent (so a rolled-back write leaves no
    audit row and vice versa).
    """
    scope_for_check(action)

    # async: the policy check does no I/O, so it runs on the event loop instead of costing a
    # hop to a worker thread (the database work is in get_current_user, which stays sync)
    async def dependency(principal: CurrentUserDep, request: Request) -> Principal:
        _check(principal, action, request)
        _schedule_audit(principal, action, request)
        return principal

    dependency.__wangge_action__ = action  # type: ignore[attr-defined]
    return dependency


def scope_for_check(action: str) -> None:
    """Fail at import time, not at request time, for an action missing from POLICY."""
    from service.domain.policy import POLICY

    if action not in POLICY:
        raise KeyError(f"no policy rule for action {action!r} (add it to service/domain/policy.py)")


def require_in_statement(action: str) -> Callable[..., Awaitable[Caller]]:
    """Like `require`, for a route that authenticates inside its own database statement (report
    filing, vector tiles): this only reads the credentials, with no I/O. The statement checks
    the token (wangge_authenticate) and, for a write, the CSRF echo, the roles POLICY allows
    and the audit row, all in the statement's own transaction."""
    scope_for_check(action)
    roles = sorted(POLICY[action])

    async def dependency(request: Request) -> Caller:
        token, from_cookie = _token_from(request)
        if not token:
            raise NotAuthenticated(
                "authentication required",
                message_zh="请先登录",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Caller(
            token=token,
            digest=token_digest(token),
            csrf=(request.headers.get(CSRF_HEADER) or "") if from_cookie else None,
            roles=roles,
            action=action,
            path=request.url.path,
            client_addr=client_address(request),
        )

    dependency.__wangge_action__ = action  # type: ignore[attr-defined]
    return dependency


def login_redirect_url(request: Request) -> str:
    """/login?next=<this page, path and query only>."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def require_page(action: str) -> Callable[..., Principal]:
    """Like `require`, for HTML pages: an anonymous or expired browser is sent to /login."""
    scope_for_check(action)

    def dependency(request: Request, session: SessionDep) -> Principal:
        try:
            principal = get_current_user(request, session)
        except NotAuthenticated:
            raise HTTPException(
                status_code=303, headers={"Location": login_redirect_url(request)}
            ) from None
        _check(principal, action, request)
        _schedule_audit(principal, action, request)
        return principal

    dependency.__wangge_action__ = action  # type: ignore[attr-defined]
    return dependency


PageUserDep = Annotated[Principal, Depends(require_page("me:read"))]
