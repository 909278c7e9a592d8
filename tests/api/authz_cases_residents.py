"""Matrix cases for residents' cases: complaints, hotline orders, return visits.

Imported by tests/api/authz_cases.py (which registers them through `case`).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text

from tests.api.authz_cases import Ctx, _map_fixture, case
from tests.fixtures_authz import insert_report

_CLOSED: dict[str, str] = {}


def _area_code(ctx: Ctx, target: str) -> str:
    area_id = _map_fixture(ctx, target)["area"]
    with ctx.owner.begin() as conn:
        return str(
            conn.execute(
                text("SELECT code FROM residential_area WHERE id = :id"), {"id": area_id}
            ).scalar_one()
        )


def _codes(r: httpx.Response) -> set[Any]:
    return {p["code"] for p in r.json()}


@case("GET", "/api/complaints/places", "list", target_id=_area_code, listed_ids=_codes)
def _places(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _area_code(ctx, target)
    params = {"q": "矩阵小区"}
    return ctx.client.get("/api/complaints/places", params=params, headers=ctx.headers(role))


@case("POST", "/api/complaints", "self")
def _complaint(ctx: Ctx, role: str, target: str) -> httpx.Response:
    x, y = ctx.world.areas[target].center
    body = {
        "id": str(uuid.uuid4()),
        "category": "fire_lane_blocked",
        "description": "矩阵投诉",
        "location": {"type": "Point", "coordinates": [x, y]},
    }
    return ctx.client.post("/api/complaints", json=body, headers=ctx.headers(role))


@case("POST", "/api/hotline/orders", "self")
def _hotline(ctx: Ctx, role: str, target: str) -> httpx.Response:
    csv = "工单编号,诉求内容,事件类别,经度,纬度\n".encode()
    files = {"file": ("orders.csv", csv, "text/csv")}
    return ctx.client.post("/api/hotline/orders", files=files, headers=ctx.headers(role))


def _closed_complaint(ctx: Ctx, target: str) -> str:
    """A closed complaint in `target`, awaiting its return visit."""
    if target not in _CLOSED:
        with ctx.owner.begin() as conn:
            rid = insert_report(conn, ctx.world.areas[target], ctx.world.users["mx_worker"])
            conn.execute(
                text(
                    "UPDATE report SET status = 'closed', closed_at = now(),"
                    " channel = 'complaint' WHERE id = :id"
                ),
                {"id": rid},
            )
        _CLOSED[target] = str(rid)
    return _CLOSED[target]


@case(
    "GET",
    "/api/return-visits/pending",
    "list",
    target_id=_closed_complaint,
    listed_ids=lambda r: {str(i["id"]) for i in r.json()},
)
def _pending(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _closed_complaint(ctx, target)
    params = {"limit": 500}
    return ctx.client.get("/api/return-visits/pending", params=params, headers=ctx.headers(role))


@case("POST", "/api/cases/{report_id}/return-visits", "object")
def _visit(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # a patrol report is no resident's case: 422 where visible, 404 elsewhere (nothing stored)
    rid = ctx.world.reports[target]
    body = {"result": "satisfied"}
    return ctx.client.post(f"/api/cases/{rid}/return-visits", json=body, headers=ctx.headers(role))


# The assessment lists units (streets, communities, departments), not objects of a target:
# the role gate here; what each role sees is tests/api/test_performance.py.
@case("GET", "/api/performance", "self")
def _performance(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"period": "2030-01"}
    return ctx.client.get("/api/performance", params=params, headers=ctx.headers(role))


@case("GET", "/api/performance/assessment.xlsx", "self")
def _performance_xlsx(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"period": "2030-02", "by": "community"}
    return ctx.client.get(
        "/api/performance/assessment.xlsx", params=params, headers=ctx.headers(role)
    )


@case("GET", "/api/performance/assessment.csv", "self")
def _performance_csv(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"period": "2030Q1", "by": "department"}
    return ctx.client.get(
        "/api/performance/assessment.csv", params=params, headers=ctx.headers(role)
    )


@case("GET", "/api/performance/trend", "self")
def _performance_trend(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"period": "2030Q3", "by": "street", "count": 2}
    return ctx.client.get("/api/performance/trend", params=params, headers=ctx.headers(role))
