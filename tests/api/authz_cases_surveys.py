"""Matrix cases for resident satisfaction surveys: the 小区's public link, staff-entered
sheets and the quarter's summary, against one 小区 per target (with a link made as the owner).

Imported by tests/api/authz_cases.py (which registers them through `case`).
"""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy import text

from tests.api.authz_cases import Ctx, case
from tests.api.authz_cases_residents import _area_code

_LINKED: set[str] = set()
ANSWERS = {"overall": "satisfied", "property_service": "satisfied", "environment": "basically",
           "safety": "dissatisfied"}  # fmt: skip


def _linked_area(ctx: Ctx, target: str) -> str:
    """The target's 小区 code, with a survey link (so reading the link is not a 404)."""
    code = _area_code(ctx, target)
    if target not in _LINKED:
        with ctx.owner.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO survey_link (residential_area_id, code, created_by)"
                    " SELECT id, :link, :me FROM residential_area WHERE code = :code"
                    " ON CONFLICT (residential_area_id) DO NOTHING"
                ),
                {
                    "link": secrets.token_urlsafe(18),
                    "me": ctx.world.users["mx_admin"],
                    "code": code,
                },  # fmt: skip
            )
        _LINKED.add(target)
    return code


def _summary_codes(r: httpx.Response) -> set[str]:
    return {a["code"] for a in r.json()["areas"]}


@case("GET", "/api/residential-areas/{code}/survey-link", "object")
def _read_link(ctx: Ctx, role: str, target: str) -> httpx.Response:
    code = _linked_area(ctx, target)
    return ctx.client.get(f"/api/residential-areas/{code}/survey-link", headers=ctx.headers(role))


@case("POST", "/api/residential-areas/{code}/survey-link", "object")
def _make_link(ctx: Ctx, role: str, target: str) -> httpx.Response:
    code = _linked_area(ctx, target)
    return ctx.client.post(f"/api/residential-areas/{code}/survey-link", headers=ctx.headers(role))


@case("POST", "/api/surveys", "object")
def _enter(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"residential_area": _area_code(ctx, target), **ANSWERS}
    return ctx.client.post("/api/surveys", json=body, headers=ctx.headers(role))


@case("GET", "/api/surveys/summary", "list", target_id=_area_code, listed_ids=_summary_codes)
def _summary(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _area_code(ctx, target)
    return ctx.client.get("/api/surveys/summary", headers=ctx.headers(role))
