"""Reports: file, list, read with history, nearby open reports, life-cycle transitions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from service.api.deps import SessionDep, SettingsDep, audit_note, require, require_in_statement
from service.api.report_schemas import (
    HistoryEntry,
    PhotoRef,
    ReportCreate,
    ReportDetail,
    ReportPublic,
    TransitionCreate,
    report_public,
)
from service.api.transitions import move_report
from service.db.repositories import reports as repo
from service.domain.bbox import parse_bbox
from service.domain.principal import Caller, Principal
from service.domain.report_lifecycle import allowed_targets
from service.errors import OutsideJurisdiction
from service.services.reporting import file_report

router = APIRouter(prefix="/api", tags=["reports"])


def _load(session: SessionDep, rid: uuid.UUID, me: Principal, scope: str, lock: bool = False):  # type: ignore[no-untyped-def]
    row = repo.get_report(session, rid, me, scope, lock=lock)
    if row is None:
        raise OutsideJurisdiction(
            "report not found", message_zh="事件不存在", where={"id": str(rid)}
        )
    return row


@router.post(
    "/reports",
    response_model=ReportPublic,
    status_code=201,
    summary="File a report (201); a retry with the same id and body answers 200, same report",
)
async def create_report(
    body: ReportCreate,
    request: Request,
    caller: Annotated[Caller, Depends(require_in_statement("report:create"))],
) -> Response:
    # The hot path of the field workers: one statement on the asynchronous pool authenticates,
    # resolves, inserts the report, its history and audit rows and commits
    # (service.services.reporting).
    app = request.app.state
    row, created = await file_report(app.async_pool, app.session_factory, body.draft(), caller)
    if created:
        row = {
            **row,
            "deadline": row["deadline_at"],
            "category_code": row["category"],
            "reporter_id": row["actor_id"],
        }
        return _json(report_public(row), 201)
    # a retry of the same filing: the original report, as it is now
    return _json(report_public(row), 200, {"Idempotent-Replay": "true"})


def _json(model: ReportPublic, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        model.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


@router.get(
    "/reports",
    response_model=list[ReportPublic],
    summary="Reports in my jurisdiction, newest first (total count in X-Total-Count)",
)
def list_reports(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("report:read"))],
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    status: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReportPublic]:
    flt = repo.ReportFilter(
        bbox=parse_bbox(bbox, max_area=settings.limits.max_bbox_degrees2) if bbox else None,
        status=status,
        category=category,
        since=since,
        limit=min(limit, settings.limits.max_page_size),
        offset=offset,
    )
    rows, total = repo.list_reports(session, me, request.state.scope, flt)
    response.headers["X-Total-Count"] = str(total)
    return [report_public(r) for r in rows]


@router.get(
    "/reports/nearby", response_model=list[ReportPublic], summary="Open reports near a point"
)
def nearby_reports(
    request: Request,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("report:read"))],
    lon: Annotated[float, Query(ge=73.4, le=135.1)],
    lat: Annotated[float, Query(ge=3.8, le=53.6)],
    category: str | None = None,
    radius: Annotated[float, Query(gt=0, le=2000)] = 250,
) -> list[ReportPublic]:
    rows = repo.nearby_open(
        session, me, request.state.scope, category=category, lon=lon, lat=lat, radius_m=radius
    )
    return [report_public(r) for r in rows]


@router.get("/reports/{report_id}", response_model=ReportDetail, summary="One report with history")
def read_report(
    report_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("report:read"))],
) -> ReportDetail:
    row = _load(session, report_id, me, request.state.scope)
    return _detail(session, row, me)


def _detail(session: SessionDep, row: dict, me: Principal) -> ReportDetail:  # type: ignore[type-arg]
    photos = [
        PhotoRef(**p, url=f"/api/photos/{p['id']}") for p in repo.photo_ids(session, row["id"])
    ]
    return ReportDetail(
        **report_public(row).model_dump(),
        history=[HistoryEntry(**h) for h in repo.history(session, row["id"])],
        photos=photos,
        allowed_transitions=allowed_targets(row["status"], me.role),
    )


@router.post(
    "/reports/{report_id}/transitions",
    response_model=ReportDetail,
    summary="Move a report along its life cycle (409 with current_status if it moved on)",
)
def transition_report(
    report_id: uuid.UUID,
    body: TransitionCreate,
    request: Request,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("report:transition"))],
) -> ReportDetail:
    move_report(session, me, request.state.scope, report_id, body)
    audit_note(request, object_type="report", object_id=report_id, to=body.to)
    return _detail(session, _load(session, report_id, me, request.state.scope), me)
