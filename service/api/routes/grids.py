"""Grid cells: list, generate, split, merge, redraw, assign, check (thin handlers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from service.api.deps import SessionDep, SettingsDep, require
from service.api.schemas import StrictModel
from service.db.repositories import grid_views as views
from service.db.repositories import grids as repo
from service.db.repositories.grid_checks import check_grids
from service.domain.grid_findings import findings_geojson
from service.domain.principal import Principal
from service.errors import ValidationFailed
from service.services import grid_assignments, grid_edits

router = APIRouter(prefix="/api/grids", tags=["grids"])
Reader = Annotated[Principal, Depends(require("grid:read"))]
Editor = Annotated[Principal, Depends(require("grid:edit"))]
Assigner = Annotated[Principal, Depends(require("grid:assign"))]
Checker = Annotated[Principal, Depends(require("grid:check"))]
CODE = r"^[0-9]{15}$"


class GenerateRequest(StrictModel):
    community: str = Field(pattern=r"^[0-9]{12}$")
    dry_run: bool = True
    replace: bool = False


class SplitRequest(StrictModel):
    line: dict[str, Any] | None = Field(None, description="GeoJSON LineString across the cell")
    parts: int | None = Field(None, ge=2, le=20, description="or: equal-area parts")
    note: str = Field("", max_length=4000)


class MergeRequest(StrictModel):
    codes: list[Annotated[str, Field(pattern=CODE)]] = Field(min_length=2, max_length=20)
    note: str = Field("", max_length=4000)


class RedrawRequest(StrictModel):
    geometry: dict[str, Any]
    note: str = Field("", max_length=4000)


class AssignRequest(StrictModel):
    worker: str = Field(min_length=2, max_length=64)
    role: Literal["primary", "backup"] = "primary"
    valid_from: date | None = None
    replace: bool = Field(False, description="end the current primary first")


def _scope(request: Request) -> str:
    return str(request.state.scope)


@router.get("", summary="Active grid cells with their workers (GeoJSON)")
def list_cells(
    request: Request,
    session: SessionDep,
    me: Reader,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
    without_primary: bool = False,
) -> dict[str, Any]:
    ids = repo.community_ids_in_scope(
        session, me, _scope(request), community=community, street=street
    )
    return views.cells_geojson(session, ids, without_primary=without_primary)


@router.get("/check", summary="Integrity findings for the cells in your jurisdiction")
def check(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Checker,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
) -> dict[str, Any]:
    ids = repo.community_ids_in_scope(
        session, me, _scope(request), community=community, street=street
    )
    findings = check_grids(
        session,
        ids,
        households_min=settings.policy.grid_households_min,
        households_max=settings.policy.grid_households_max,
    )
    return {
        "communities": len(ids),
        "count": len(findings),
        "findings": [f.as_dict() for f in findings],
        "geojson": findings_geojson(findings),
    }


@router.post("/generate", summary="Propose (dry run) or write a community's cells")
def generate_cells(
    body: GenerateRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Editor,
) -> dict[str, Any]:
    return grid_edits.generate_in(
        session,
        me,
        _scope(request),
        body.community,
        hmin=settings.policy.grid_households_min,
        hmax=settings.policy.grid_households_max,
        dry_run=body.dry_run,
        replace=body.replace,
    ).as_dict()


@router.get("/edits", summary="Grid edit history (latest first)")
def edits(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> list[dict[str, Any]]:
    ids = repo.community_ids_in_scope(
        session, me, _scope(request), community=community, street=street
    )
    return views.edit_history(session, ids, min(limit, settings.limits.max_page_size))


@router.get("/workers/{username}", summary="The cells a grid worker serves")
def worker_cells(
    username: str, request: Request, session: SessionDep, me: Reader
) -> list[dict[str, Any]]:
    ids = repo.community_ids_in_scope(session, me, _scope(request))
    return views.worker_cells(session, ids, username)


@router.post("/merge", summary="Merge adjacent cells into one new cell")
def merge(body: MergeRequest, request: Request, session: SessionDep, me: Editor) -> dict[str, Any]:
    return grid_edits.merge(session, me, _scope(request), body.codes, note=body.note).as_dict()


@router.get("/{code}", summary="A cell (active or retired) with lineage and assignments")
def read_cell(code: str, request: Request, session: SessionDep, me: Reader) -> dict[str, Any]:
    ids = repo.community_ids_in_scope(session, me, _scope(request))
    return views.cell_history(session, ids, code)


@router.post("/{code}/split", summary="Split a cell by a line or into equal parts")
def split(
    code: str,
    body: SplitRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Editor,
) -> dict[str, Any]:
    if (body.line is None) == (body.parts is None):
        raise ValidationFailed(
            "give either line or parts",
            message_zh="请提供分割线或份数（二选一）",
            where={"field": "line/parts"},
        )
    return grid_edits.split(
        session,
        me,
        _scope(request),
        code,
        line=body.line,
        parts=body.parts,
        max_vertices=settings.limits.max_geometry_vertices,
        note=body.note,
    ).as_dict()


@router.put("/{code}/geometry", summary="Redraw a cell's boundary (neighbours adjust)")
def redraw(
    code: str,
    body: RedrawRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Editor,
) -> dict[str, Any]:
    return grid_edits.redraw(
        session,
        me,
        _scope(request),
        code,
        body.geometry,
        max_vertices=settings.limits.max_geometry_vertices,
        note=body.note,
    ).as_dict()


@router.post("/{code}/assignments", status_code=201, summary="Assign a primary or backup worker")
def assign(
    code: str, body: AssignRequest, request: Request, session: SessionDep, me: Assigner
) -> dict[str, Any]:
    new_id = grid_assignments.assign(
        session,
        me,
        _scope(request),
        code,
        body.worker,
        primary=body.role == "primary",
        valid_from=body.valid_from,
        replace=body.replace,
    )
    return {"id": new_id, "code": code, "worker": body.worker, "role": body.role}


@router.delete(
    "/{code}/assignments/{assignment_id}", status_code=204, summary="End an assignment today"
)
def unassign(
    code: str, assignment_id: int, request: Request, session: SessionDep, me: Assigner
) -> None:
    grid_assignments.unassign(session, me, _scope(request), code, assignment_id)
