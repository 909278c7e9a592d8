"""Per-endpoint cases for the authorisation matrix (tests/api/test_authz_matrix.py).

Every route that is not public needs one entry here, keyed by (METHOD, path template). A case
says how to call the route for a role against a target object in one of three places —
"own" (the caller's community/street/district), "sibling" (another street of the same district)
and "other" (another district) — and what kind of answer it gives:

- "object": one object (or a write on one): visible → 2xx or a 4xx other than 403/404;
  outside the caller's reach → 404.
- "list":   a list: 200 always; the target object's id is listed iff it is within reach.
- "self":   the caller's own account; only the role gate (403 or not) applies.

Which outcome is expected is computed from POLICY by the matrix itself, never written here.
Add your endpoint with `@case(...)` next to the ones below; `ctx.world` has the areas, users,
reports (fire-routed, one per target) and `ctx.owner` (an Engine) to build more fixtures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.fixtures_authz import _AREAS, ROLE_USERS, World, bearer, create_world_user


@dataclass
class Ctx:
    client: TestClient
    world: World
    owner: Engine

    def headers(self, role: str) -> dict[str, str]:
        return self.world.headers[role]

    def fresh_headers(self, role: str) -> dict[str, str]:
        """A new token, for cases that revoke the one they use."""
        return bearer(self.client, ROLE_USERS[role][0])


Call = Callable[[Ctx, str, str], httpx.Response]


@dataclass(frozen=True)
class Case:
    kind: str
    call: Call
    target_id: Callable[[Ctx, str], Any] | None = None
    listed_ids: Callable[[httpx.Response], set[Any]] | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return ("own",) if self.kind == "self" else ("own", "sibling", "other")


CASES: dict[tuple[str, str], Case] = {}


def case(
    method: str,
    path: str,
    kind: str,
    *,
    target_id: Callable[[Ctx, str], Any] | None = None,
    listed_ids: Callable[[httpx.Response], set[Any]] | None = None,
) -> Callable[[Call], Call]:
    """Register the matrix case for one route."""
    assert kind in ("object", "list", "self")

    def register(call: Call) -> Call:
        CASES[(method, path)] = Case(kind, call, target_id, listed_ids)
        return call

    return register


def _ids(key: str = "id") -> Callable[[httpx.Response], set[Any]]:
    return lambda r: {str(item[key]) for item in r.json()}


# --- issue 3: accounts and report reads


@case("GET", "/api/me", "self")
def _me(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/me", headers=ctx.headers(role))


@case("GET", "/account", "self")
def _account_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/account", headers=ctx.headers(role))


@case("POST", "/api/auth/logout", "self")
def _logout(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.post("/api/auth/logout", headers=ctx.fresh_headers(role))


@case("POST", "/api/me/password", "self")
def _password(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"old_password": "not-the-password", "new_password": "never-set-123"}
    return ctx.client.post("/api/me/password", json=body, headers=ctx.headers(role))


@case(
    "GET",
    "/api/users",
    "list",
    target_id=lambda ctx, t: str(ctx.world.users[ctx.world.reporters[t]]),
    listed_ids=_ids(),
)
def _list_users(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/users", headers=ctx.headers(role))


@case("POST", "/api/users", "object")
def _create_user(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {
        "username": f"mxnew-{uuid.uuid4().hex[:10]}",
        "password": "a-long-password",
        "role": "grid_worker",
        "community_code": _AREAS[target][2],
    }
    return ctx.client.post("/api/users", json=body, headers=ctx.headers(role))


@case("POST", "/api/users/{user_id}/deactivate", "object")
def _deactivate(ctx: Ctx, role: str, target: str) -> httpx.Response:
    name = f"mxthrow-{uuid.uuid4().hex[:10]}"
    with ctx.owner.begin() as conn:
        uid = create_world_user(conn, name, "grid_worker", ctx.world.areas, {"community": target})
    return ctx.client.post(f"/api/users/{uid}/deactivate", headers=ctx.headers(role))


@case("GET", "/api/reports/{report_id}", "object")
def _read_report(ctx: Ctx, role: str, target: str) -> httpx.Response:
    rid = ctx.world.reports[target]
    return ctx.client.get(f"/api/reports/{rid}", headers=ctx.headers(role))


@case(
    "GET",
    "/api/reports",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=_ids(),
)
def _list_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    x1, y1, x2, y2 = ctx.world.areas[target].box
    bbox = f"{x1},{y1},{x2},{y2}"
    return ctx.client.get("/api/reports", params={"bbox": bbox}, headers=ctx.headers(role))


# --- issue 8: reliability


@case("POST", "/api/geometry/validate", "self")
def _validate_geometry(ctx: Ctx, role: str, target: str) -> httpx.Response:
    ring = [[113.66, 34.76], [113.67, 34.76], [113.67, 34.77], [113.66, 34.77], [113.66, 34.76]]
    body = {"geometry": {"type": "Polygon", "coordinates": [ring]}}
    return ctx.client.post("/api/geometry/validate", json=body, headers=ctx.headers(role))
