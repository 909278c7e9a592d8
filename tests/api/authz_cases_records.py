"""Matrix cases for 小区 records, property companies, assessment and grades.

Imported by tests/api/authz_cases.py (which registers them through `case`).
"""

from __future__ import annotations

import io
import itertools
import uuid
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import text

from tests.api.authz_cases import Ctx, _map_fixture, case

QUARTER = "2030Q2"
_COMPANY: dict[str, int] = {}
_SHEETS: set[str] = set()
_entries = itertools.count()


def _company(ctx: Ctx) -> int:
    """One registered company for the matrix (made once)."""
    if "id" not in _COMPANY:
        with ctx.owner.begin() as conn:
            _COMPANY["id"] = conn.execute(
                text("INSERT INTO property_company (name) VALUES (:n) RETURNING id"),
                {"n": f"矩阵物业-{uuid.uuid4().hex[:8]}"},
            ).scalar_one()
    return _COMPANY["id"]


_REGISTERED: dict[str, int] = {}


def _registered_company(ctx: Ctx, target: str) -> int:
    """A company registered in the target's district and serving nothing: a district-bound
    reader reaches it from its own district only."""
    if target not in _REGISTERED:
        with ctx.owner.begin() as conn:
            _REGISTERED[target] = conn.execute(
                text(
                    "INSERT INTO property_company (name, district_id) VALUES (:n, :d) RETURNING id"
                ),
                {"n": f"矩阵登记-{uuid.uuid4().hex[:8]}", "d": ctx.world.areas[target].district_id},
            ).scalar_one()
    return _REGISTERED[target]


def _record(ctx: Ctx, target: str) -> dict[str, Any]:
    """The target's matrix 小区, served by the matrix company, with a score sheet."""
    area_id = _map_fixture(ctx, target)["area"]
    company = _company(ctx)
    with ctx.owner.begin() as conn:
        if target not in _SHEETS:
            conn.execute(
                text(
                    "UPDATE residential_area SET property_service_mode = 'professional',"
                    " property_company_id = :c WHERE id = :id"
                ),
                {"c": company, "id": area_id},
            )
            conn.execute(
                text(
                    "INSERT INTO property_assessment (company_id, residential_area_id, quarter,"
                    " scores, total) VALUES (:c, :a, :q, '{}', 80)"
                ),
                {"c": company, "a": area_id, "q": QUARTER},
            )
            _SHEETS.add(target)
        row = conn.execute(
            text("SELECT code, version FROM residential_area WHERE id = :id"), {"id": area_id}
        ).one()
    return {"code": row[0], "version": row[1]}


def _code(ctx: Ctx, target: str) -> str:
    return str(_record(ctx, target)["code"])


def _codes(r: httpx.Response) -> set[Any]:
    return {row["code"] for row in r.json()}


@case("GET", "/api/residential-areas", "list", target_id=_code, listed_ids=_codes)
def _list_records(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _record(ctx, target)
    return ctx.client.get("/api/residential-areas", headers=ctx.headers(role))


@case("GET", "/api/residential-areas/{code}", "object")
def _read_record(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get(f"/api/residential-areas/{_code(ctx, target)}", headers=ctx.headers(role))


@case("GET", "/api/residential-areas/{code}/history", "object")
def _record_history(ctx: Ctx, role: str, target: str) -> httpx.Response:
    code = _code(ctx, target)
    return ctx.client.get(f"/api/residential-areas/{code}/history", headers=ctx.headers(role))


@case("PATCH", "/api/residential-areas/{code}", "object")
def _edit_record(ctx: Ctx, role: str, target: str) -> httpx.Response:
    found = _record(ctx, target)
    headers = {**ctx.headers(role), "If-Match": f'"v{found["version"]}"'}
    body = {"note": f"矩阵 {role}"}
    return ctx.client.patch(f"/api/residential-areas/{found['code']}", json=body, headers=headers)


def _sheet_codes(r: httpx.Response) -> set[Any]:
    ws = load_workbook(io.BytesIO(r.content))["小区"]
    return {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}


@case("GET", "/api/residential-areas/sheet.xlsx", "list", target_id=_code, listed_ids=_sheet_codes)
def _download_sheet(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _record(ctx, target)
    return ctx.client.get("/api/residential-areas/sheet.xlsx", headers=ctx.headers(role))


def _one_row_sheet(code: str, version: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "小区"
    ws.append(["小区编码", "版本", "备注"])
    ws.append([code, version, f"矩阵表格 {uuid.uuid4().hex[:6]}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@case(
    "POST",
    "/api/residential-areas/sheet.xlsx",
    "list",
    target_id=_code,
    listed_ids=lambda r: {c["code"] for c in r.json()["changes"]},
)
def _upload_sheet(ctx: Ctx, role: str, target: str) -> httpx.Response:
    found = _record(ctx, target)
    files = {
        "file": (
            "m.xlsx",
            _one_row_sheet(found["code"], found["version"]),
            "application/octet-stream",
        )
    }
    return ctx.client.post(
        "/api/residential-areas/sheet.xlsx", files=files, headers=ctx.headers(role)
    )


@case(
    "GET",
    "/api/property-companies",
    "list",
    target_id=_registered_company,
    listed_ids=lambda r: {c["id"] for c in r.json()},
)
def _list_companies(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _registered_company(ctx, target)
    return ctx.client.get("/api/property-companies", headers=ctx.headers(role))


@case("POST", "/api/property-companies", "self")
def _create_company(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"name": f"矩阵新企业-{uuid.uuid4().hex[:10]}"}
    return ctx.client.post("/api/property-companies", json=body, headers=ctx.headers(role))


@case("GET", "/api/property-companies/{company_id}", "object")
def _read_company(ctx: Ctx, role: str, target: str) -> httpx.Response:
    company = _registered_company(ctx, target)
    return ctx.client.get(f"/api/property-companies/{company}", headers=ctx.headers(role))


@case("GET", "/api/assessment-items", "self")
def _items(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/assessment-items", headers=ctx.headers(role))


@case("PUT", "/api/assessment-items", "self")
def _replace_items(ctx: Ctx, role: str, target: str) -> httpx.Response:
    current = ctx.client.get("/api/assessment-items", headers=ctx.headers("admin")).json()
    return ctx.client.put(
        "/api/assessment-items", json={"items": current}, headers=ctx.headers(role)
    )


@case("POST", "/api/assessments", "object")
def _score(ctx: Ctx, role: str, target: str) -> httpx.Response:
    items = ctx.client.get("/api/assessment-items", headers=ctx.headers("admin")).json()
    body = {
        "residential_area": _code(ctx, target),
        "quarter": QUARTER,
        "scores": {i["code"]: 85 for i in items},
    }
    return ctx.client.post("/api/assessments", json=body, headers=ctx.headers(role))


@case(
    "GET",
    "/api/assessments",
    "list",
    target_id=_code,
    listed_ids=lambda r: {s["residential_area"] for s in r.json()},
)
def _list_sheets(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _record(ctx, target)
    return ctx.client.get(f"/api/assessments?quarter={QUARTER}", headers=ctx.headers(role))


@case("POST", "/api/company-grades/{quarter}", "self")
def _decide(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.post(f"/api/company-grades/{QUARTER}", headers=ctx.headers(role))


@case("GET", "/api/company-grades/{quarter}", "self")
def _grades(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get(f"/api/company-grades/{QUARTER}", headers=ctx.headers(role))


@case("GET", "/api/company-lists", "self")
def _lists(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/company-lists", headers=ctx.headers(role))


@case("POST", "/api/company-lists", "self")
def _add_entry(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"company_id": _company(ctx), "list_kind": "grey", "reason": "矩阵测试"}
    return ctx.client.post("/api/company-lists", json=body, headers=ctx.headers(role))


@case("POST", "/api/company-lists/{entry_id}/end", "self")
def _end_entry(ctx: Ctx, role: str, target: str) -> httpx.Response:
    with ctx.owner.begin() as conn:
        entry = conn.execute(
            text(
                "INSERT INTO company_list_entry (company_id, list_kind, reason)"
                " VALUES (:c, 'grey', :r) RETURNING id"
            ),
            {"c": _company(ctx), "r": f"矩阵 {next(_entries)}"},
        ).scalar_one()
    return ctx.client.post(f"/api/company-lists/{entry}/end", headers=ctx.headers(role))


@case("GET", "/api/stats/company-grades", "self")
def _grade_stats(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/company-grades", headers=ctx.headers(role))


@case(
    "GET",
    "/api/map/company-grades",
    "list",
    target_id=_code,
    listed_ids=lambda r: {f["id"] for f in r.json()["features"]},
)
def _grade_map(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _record(ctx, target)
    return ctx.client.get("/api/map/company-grades", headers=ctx.headers(role))


@case("GET", "/residential-areas/{code}", "object")
def _record_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get(f"/residential-areas/{_code(ctx, target)}", headers=ctx.headers(role))


def _unit_ids(r: httpx.Response) -> set[Any]:
    return {str(u["id"]) for u in r.json()["units"]}


@case(
    "GET",
    "/api/stats/party-coverage",
    "list",
    target_id=lambda ctx, t: str(ctx.world.areas[t].community_id),
    listed_ids=_unit_ids,
)
def _party_coverage(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _record(ctx, target)
    return ctx.client.get("/api/stats/party-coverage?level=community", headers=ctx.headers(role))


@case("GET", "/residential-areas", "self")
def _records_index(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/residential-areas", headers=ctx.headers(role))


@case("GET", "/companies", "self")
def _companies_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/companies", headers=ctx.headers(role))


@case("PATCH", "/api/property-companies/{company_id}", "object")
def _update_company(ctx: Ctx, role: str, target: str) -> httpx.Response:
    """A company registered in the target's district."""
    with ctx.owner.begin() as conn:
        company = conn.execute(
            text("INSERT INTO property_company (name, district_id) VALUES (:n, :d) RETURNING id"),
            {"n": f"矩阵辖区物业-{uuid.uuid4().hex[:8]}", "d": ctx.world.areas[target].district_id},
        ).scalar_one()
    body = {"contact_phone": "0371-12345678"}
    return ctx.client.patch(
        f"/api/property-companies/{company}", json=body, headers=ctx.headers(role)
    )


@case("GET", "/api/assessments/satisfaction", "object")
def _satisfaction(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"residential_area": _code(ctx, target), "quarter": QUARTER}
    return ctx.client.get("/api/assessments/satisfaction", params=params, headers=ctx.headers(role))
