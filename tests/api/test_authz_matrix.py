"""The authorisation matrix, generated from POLICY and the app's routes.

(a) every route outside the public allow-list declares an action with require()/require_page()
    that has a row in POLICY, every request body forbids unknown fields, and every route has a
    matrix case (tests/api/authz_cases.py);
(b) every role (and an admin bound to one district) × every route × {own area, sibling
    street, other district} gets the outcome POLICY implies: 403 when the role is absent from
    the row; inside the scope a 2xx (or a 4xx that is neither 403 nor 404); outside it 404 for
    one object and absence from lists.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.routing import Mount

from service.api.deps import require
from service.domain.policy import ALL_ROLES, POLICY
from service.main import create_app
from service.settings import Settings
from tests.api.authz_cases import CASES, Ctx
from tests.fixtures_authz import DB_ROLE, World

# Every role, plus an administrator bound to a district (whose "all" is its district).
MATRIX_ROLES = (*ALL_ROLES, "district_admin")

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),  # readiness for a load balancer: no data, only ready or not and why
    ("GET", "/metrics"),  # Prometheus; answered only to metrics_allowed_from addresses
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),  # revokes only the session it is sent with (form CSRF-checked)
    ("POST", "/api/auth/token"),
    # the mobile page's shell (no data; every datum comes from the API), cached offline
    ("GET", "/m"),
    ("GET", "/m/manifest.webmanifest"),
    ("GET", "/m/sw.js"),
    # the disclosure the seeds require: companies, grades, lists, property officers' contact
    ("GET", "/public"),
    # a 小区's satisfaction survey: residents answer through the link code, without login
    ("GET", "/survey/{code}"),
    ("POST", "/survey/{code}"),
    # the front door only redirects (to /login, or to the caller's home); the icon is static
    ("GET", "/"),
    ("GET", "/favicon.ico"),
    # an external hotline or app files with an Open311 API key, not a user's token: the key is
    # bound to a district (tests/api/test_open311_filing.py)
    ("POST", "/open311/v2/requests.{fmt}"),
}
# Routes whose level is the caller's own community, street or district (for scope "area").
LEVEL_OF_ROLE = {
    "grid_worker": "community",
    "community_staff": "community",
    "street_office": "street",
}


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) for every FastAPI route, through included routers."""
    found: list[tuple[str, str, APIRoute]] = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        items = [(c.path, c.original_route) for c in contexts()] if contexts else []
        if not contexts and isinstance(route, APIRoute):
            items = [(route.path, route)]
        for path, original in items:
            if isinstance(original, APIRoute):
                found += [(m, path, original) for m in sorted(original.methods)]
    return found


def _actions(dependant: Any) -> list[str]:
    actions = []
    for dep in dependant.dependencies:
        action = getattr(dep.call, "__wangge_action__", None)
        if action:
            actions.append(action)
        actions += _actions(dep)
    return actions


def unprotected_routes(app: FastAPI) -> list[str]:
    """Routes outside PUBLIC with no require(action) that POLICY knows."""
    bad = []
    for method, path, route in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        actions = _actions(route.dependant)
        if not actions or any(a not in POLICY for a in actions):
            bad.append(f"{method} {path}")
    return bad


def _app() -> FastAPI:
    return create_app(Settings())


APP_ROUTES = [(m, p) for m, p, _ in api_routes(_app()) if (m, p) not in PUBLIC]


def test_every_route_declares_an_action_with_a_policy_row() -> None:
    assert unprotected_routes(_app()) == []
    mounts = [r.path for r in _app().routes if isinstance(r, Mount)]
    assert set(mounts) <= {"/vendor", "/static"}


def test_the_check_catches_a_route_without_a_rule() -> None:
    router = APIRouter()

    @router.get("/api/naked")
    def naked() -> dict[str, str]:
        return {}

    @router.get("/api/guarded", dependencies=[Depends(require("report:read"))])
    def guarded() -> dict[str, str]:
        return {}

    app = _app()
    app.include_router(router)
    assert unprotected_routes(app) == ["GET /api/naked"]
    with pytest.raises(KeyError, match="no policy rule"):
        require("report:teleport")


def test_every_json_body_forbids_unknown_fields() -> None:
    loose = []
    for method, path, route in api_routes(_app()):
        body = route.body_field
        model = getattr(body, "type_", None) if body else None
        if isinstance(model, type) and issubclass(model, BaseModel):
            if model.model_config.get("extra") != "forbid":
                loose.append(f"{method} {path}: {model.__name__}")
    assert loose == []


def test_every_protected_route_has_a_matrix_case() -> None:
    missing = [f"{m} {p}" for m, p in APP_ROUTES if (m, p) not in CASES]
    assert missing == [], "add a case in tests/api/authz_cases.py"


def _action_of(method: str, path: str) -> str:
    for m, p, route in api_routes(_app()):
        if (m, p) == (method, path):
            return _actions(route.dependant)[-1]
    raise AssertionError(f"{method} {path} not found")


def matrix_scope(role: str, action: str) -> str | None:
    """The scope POLICY gives the matrix user of `role` (as in `scope_for`, "all" for a user
    bound to a district is that district: only the matrix admin has none)."""
    scope = POLICY[action].get(DB_ROLE.get(role, role))
    if role != "admin" and scope == "all":
        return "district"
    return scope


def in_reach(role: str, scope: str, target: str) -> bool:
    """Whether an object in `target` lies within `scope` for the matrix user of `role`."""
    if scope == "all" or (role == "admin" and scope != "self"):
        return True  # the matrix admin has no district: everything
    if scope == "district":
        return target in ("own", "sibling")
    if scope == "area":
        level = LEVEL_OF_ROLE.get(role, "district")
        return target == "own" if level != "district" else target in ("own", "sibling")
    return target == "own"  # "self"


def _matrix_params() -> list[Any]:
    params = []
    for method, path in APP_ROUTES:
        entry = CASES.get((method, path))
        for role in MATRIX_ROLES:
            for target in entry.targets if entry else ("own",):
                params.append(
                    pytest.param(method, path, role, target, id=f"{method} {path} {role} {target}")
                )
    return params


@pytest.fixture(scope="module")
def ctx(world_client, world: World, owner_engine: Engine) -> Ctx:  # type: ignore[no-untyped-def]
    return Ctx(world_client, world, owner_engine)


@pytest.mark.parametrize(("method", "path", "role", "target"), _matrix_params())
def test_matrix(ctx: Ctx, method: str, path: str, role: str, target: str) -> None:
    entry = CASES.get((method, path))
    assert entry is not None, f"no matrix case for {method} {path}"
    scope = matrix_scope(role, _action_of(method, path))
    r = entry.call(ctx, role, target)
    where = f"{role} → {method} {path} [{target}]: {r.status_code} {r.text[:200]}"
    if scope is None:
        assert r.status_code == 403, where
        return
    assert r.status_code < 500 and r.status_code != 403, where
    if entry.kind == "self":
        return
    visible = in_reach(role, scope, target)
    if entry.kind == "object":
        if visible:
            assert r.status_code != 404 and r.status_code not in (401, 403), where
        else:
            assert r.status_code == 404, where
        return
    assert r.status_code == 200, where
    assert entry.listed_ids and entry.target_id
    listed = entry.listed_ids(r)
    assert (entry.target_id(ctx, target) in listed) is visible, where
