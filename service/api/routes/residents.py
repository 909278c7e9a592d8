"""Residents' cases: complaints registered from the workbench (a point on the map, or a 小区
found by address search in the jurisdiction), and satisfaction return visits (回访) after 销号."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service.api.deps import SessionDep, audit_note, require
from service.api.report_schemas import ReportPublic, report_public
from service.api.resident_schemas import (
    ComplaintCreate,
    PendingVisit,
    PlacePublic,
    VisitCreate,
    VisitPublic,
)
from service.api.resident_views import caller_view
from service.api.transitions import load_report
from service.db.repositories import intake
from service.db.repositories import return_visits as visits
from service.domain.principal import Principal
from service.domain.residents import (
    CHANNELS,
    VISIT_RESULTS,
    VisitRefused,
    VisitRequest,
    check_return_visit,
)
from service.errors import StateConflict, ValidationFailed
from service.services.residents import Draft, register_case

router = APIRouter(prefix="/api", tags=["residents"])
Registrar = Annotated[Principal, Depends(require("complaint:create"))]
Visitor = Annotated[Principal, Depends(require("case:revisit"))]


@router.get(
    "/complaints/places",
    response_model=list[PlacePublic],
    summary="Address search: 小区 in my jurisdiction whose name (or community's) contains q",
)
def search_places(
    session: SessionDep, me: Registrar, q: Annotated[str, Query(min_length=1, max_length=50)]
) -> list[PlacePublic]:
    return [PlacePublic(**p) for p in intake.search_places(session, me, q.strip())]


@router.post(
    "/complaints",
    response_model=ReportPublic,
    status_code=201,
    summary="Register a resident's complaint in my jurisdiction: it enters the case loop",
)
def create_complaint(
    body: ComplaintCreate, request: Request, session: SessionDep, me: Registrar
) -> ReportPublic:
    if (body.location is None) == (body.residential_area is None):
        raise ValidationFailed(
            "give either a location or a residential_area",
            message_zh="请在地图上选点，或通过地址搜索选择小区（二选一）",
            where={"field": "location"},
        )
    if body.location is not None:
        lon, lat = body.location.coordinates
        crs = body.crs
    else:
        found = intake.place_of_area(session, me, body.residential_area or "")
        if found is None:
            raise ValidationFailed(
                "no such 小区 in your jurisdiction",
                message_zh="本辖区内没有这个小区",
                where={"field": "residential_area", "value": body.residential_area},
            )
        (lon, lat), crs = found, "wgs84"
    draft = Draft(
        id=body.id, lon=lon, lat=lat, crs=crs, category=body.category,
        description=body.description, channel=body.channel, caller_name=body.caller_name,
        caller_phone=body.caller_phone, external_ref=body.external_ref,
    )  # fmt: skip
    rid = register_case(session, me, draft)
    audit_note(request, object_type="report", object_id=rid, channel=body.channel)
    return report_public(load_report(session, rid, me, request.state.scope))


@router.get(
    "/return-visits/pending",
    response_model=list[PendingVisit],
    summary="Closed cases residents brought, awaiting their return visit (oldest first)",
)
def pending_visits(
    request: Request,
    session: SessionDep,
    me: Visitor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[PendingVisit]:
    rows = visits.pending(session, me, request.state.scope, limit)
    out = []
    for r in rows:
        seen = caller_view(session, me, r)
        out.append(
            PendingVisit(
                **{k: v for k, v in r.items() if k != "caller_masked"},
                channel_zh=CHANNELS[r["channel"]],
                caller=seen.display if seen else None,
            )
        )
    return out


@router.post(
    "/cases/{report_id}/return-visits",
    response_model=VisitPublic,
    status_code=201,
    summary="Record the return visit of a closed case: 满意 / 基本满意 / 不满意 (may reopen)",
)
def record_visit(
    report_id: uuid.UUID, body: VisitCreate, request: Request, session: SessionDep, me: Visitor
) -> VisitPublic:
    row = load_report(session, report_id, me, request.state.scope, lock=True)
    req = VisitRequest(
        channel=row["channel"], status=row["status"], closed_at=row["closed_at"],
        last_visit_at=visits.last_visit_at(session, report_id), result=body.result,
        note=body.note, reopen=body.reopen,
    )  # fmt: skip
    try:
        check_return_visit(req)
    except VisitRefused as refused:
        where = {"field": refused.field}
        if refused.field in ("status", "report"):
            raise StateConflict(
                refused.message,
                message_zh=refused.message_zh,
                where=where,
                current_status=row["status"],
            ) from None
        raise ValidationFailed(
            refused.message, message_zh=refused.message_zh, where=where
        ) from None
    visits.record_visit(
        session, report_id, me, result=body.result, note=body.note, reopened=body.reopen
    )
    if body.reopen:
        visits.reopen(session, report_id, me, f"回访不满意，重新办理：{body.note}".strip())
    audit_note(request, object_type="report", object_id=report_id, visit=body.result,
               reopen=body.reopen)  # fmt: skip
    last = visits.list_visits(session, report_id)[-1]
    return VisitPublic(**last, result_zh=VISIT_RESULTS[last["result"]])
