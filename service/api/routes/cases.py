"""Case handling: the workbench queues with live counts, one case's page data, bulk 受理/派遣,
and an assisting department's part (联合处置)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service.api.case_schemas import (
    AssistMove,
    AssistPublic,
    BulkMove,
    BulkResult,
    CaseCounts,
    CaseDetail,
    CaseItem,
    CasePage,
    CasePlaces,
    QueueCount,
)
from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.api.report_schemas import (
    HistoryEntry,
    PhotoRef,
    ReportDetail,
    ReportPublic,
    TransitionCreate,
    report_public,
)
from service.api.resident_views import resident_facts
from service.api.transitions import load_report, move_report, raced
from service.db.repositories import case_assists as assists
from service.db.repositories import case_queues as queues
from service.db.repositories import reports as reports_repo
from service.db.repositories.clock import database_now
from service.db.repositories.departments import department_code
from service.domain.case_queues import (
    QUEUES,
    decode_cursor,
    encode_cursor,
    queue_for,
    time_left_s,
)
from service.domain.principal import Principal
from service.domain.report_lifecycle import allowed_targets
from service.errors import Conflict, ValidationFailed, WanggeError

router = APIRouter(prefix="/api/cases", tags=["cases"])
Reader = Annotated[Principal, Depends(require("case:read"))]
Mover = Annotated[Principal, Depends(require("report:transition"))]
Assister = Annotated[Principal, Depends(require("case:assist"))]


def _counts(session: SessionDep, me: Principal, scope: str, settings: SettingsDep,
            now: datetime, since: datetime | None) -> dict[str, QueueCount]:  # fmt: skip
    found = queues.count_queues(
        session, me, scope, now=now, recent_days=settings.cases.finished_recent_days, since=since
    )
    return {n: QueueCount(label_zh=QUEUES[n].label_zh, **c) for n, c in found.items()}


@router.get("/counts", response_model=CaseCounts, summary="Live counts of each of my queues")
def case_counts(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    since: Annotated[datetime | None, Query(description="also count what changed since")] = None,
) -> CaseCounts:
    now = database_now(session)
    found = _counts(session, me, request.state.scope, settings, now, since)
    return CaseCounts(now=now, queues=found)


@router.get(
    "",
    response_model=CasePage,
    summary="One page of a queue (keyset: pass next_cursor back as cursor), sorted by deadline",
)
def list_cases(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    queue: Annotated[
        str,
        Query(
            description="accept, dispatch, handling, verify, close, "
            "overdue, escalated, finished, mine"
        ),
    ],  # fmt: skip
    category: Annotated[str | None, Query(max_length=60)] = None,
    department: Annotated[str | None, Query(max_length=60)] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    grid: Annotated[str | None, Query(pattern=r"^[0-9]{15}$")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the description")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    counts: bool = False,
) -> CasePage:
    chosen = queue_for(me.role, queue)
    after = decode_cursor(cursor) if cursor else None
    now = database_now(session)
    flt = queues.CaseFilter(category, department, community, grid, created_from, created_to, q)
    rows, nxt = queues.list_queue(
        session,
        me,
        request.state.scope,
        chosen,
        flt,
        after=after,
        limit=limit or settings.cases.page_size,
        now=now,
        recent_days=settings.cases.finished_recent_days,
    )
    items = [CaseItem(**r, time_left_s=time_left_s(r["deadline_at"], now)) for r in rows]
    return CasePage(
        queue=chosen.name,
        label_zh=chosen.label_zh,
        items=items,
        next_cursor=encode_cursor(nxt.key, nxt.id) if nxt else None,
        counts=_counts(session, me, request.state.scope, settings, now, None) if counts else None,
    )


@router.post(
    "/bulk",
    response_model=BulkResult,
    summary="受理 or 派遣 several reports at once: all of them, or none (the refusal says which)",
)
def bulk_move(request: Request, session: SessionDep, me: Mover, body: BulkMove) -> BulkResult:
    move = TransitionCreate(to=body.to, note=body.note, department=body.department)
    for index, rid in enumerate(dict.fromkeys(body.ids)):
        try:
            move_report(session, me, request.state.scope, rid, move)
        except WanggeError as refused:
            where = refused.where if isinstance(refused.where, dict) else {}
            refused.where = {**where, "index": index, "id": str(rid)}
            raise  # the request's transaction rolls back every move made so far
    audit_note(request, object_type="report", ids=[str(i) for i in body.ids], to=body.to)
    return BulkResult(moved=list(dict.fromkeys(body.ids)))


@router.get(
    "/places",
    response_model=CasePlaces,
    summary="The filters' pick-lists: my jurisdiction's communities and one community's cells",
)
def case_places(
    request: Request,
    session: SessionDep,
    me: Reader,
    community: Annotated[
        str | None, Query(pattern=r"^[0-9]{12}$", description="also list this community's cells")
    ] = None,
) -> CasePlaces:
    found = queues.jurisdiction_places(session, me, request.state.scope, community)
    return CasePlaces(**found)  # type: ignore[arg-type]


@router.get("/{report_id}", response_model=CaseDetail, summary="A case's page data")
def read_case(
    report_id: uuid.UUID, request: Request, session: SessionDep, me: Reader
) -> CaseDetail:
    scope = request.state.scope
    row = load_report(session, report_id, me, scope)
    found = queues.case_parts(session, report_id)
    detail = ReportDetail(
        **report_public(row).model_dump(),
        history=[HistoryEntry(**h) for h in found["history"]],
        photos=[PhotoRef(**p, url=f"/api/photos/{p['id']}") for p in found["photos"]],
        allowed_transitions=allowed_targets(row["status"], me.role),
    )
    parts = [AssistPublic(**a) for a in found["assists"]]
    mine = None
    if me.role == "department" and row["department_id"] != me.department_id:
        # an assisting department works its part, never the report's own status
        detail.allowed_transitions = []
        code = department_code(session, me)
        mine = next((p for p in parts if p.department == code), None)
    nearby = reports_repo.nearby_open(
        session, me, scope, category=row["category"], lon=row["lon"], lat=row["lat"], radius_m=250,
        limit=11,
    )  # fmt: skip
    duplicates = [report_public(r) for r in nearby if r["id"] != report_id][:10]
    return CaseDetail(
        **detail.model_dump(),
        time_left_s=time_left_s(row["deadline_at"], found["now"]),
        assists=parts,
        my_assist=mine,
        duplicates=[ReportPublic(**d.model_dump()) for d in duplicates],
        cell=found["cell"],
        residential_area=found["residential_area"],
        **resident_facts(session, me, row, found["visits"]),
    )


@router.post(
    "/{report_id}/assist",
    response_model=AssistPublic,
    summary="An assisting department moves its part: 开始处置 (in_progress), 处置完成 (handled)",
)
def move_assist(
    report_id: uuid.UUID, request: Request, session: SessionDep, me: Assister, body: AssistMove
) -> AssistPublic:
    row = load_report(session, report_id, me, request.state.scope, lock=True)
    part = assists.get_assist(session, report_id, me.department_id or 0, lock=True)
    if part is None or me.department_id is None:
        raise Conflict(
            "your department has no part in this report",
            message_zh="本部门不是此事件的协办部门",
            where={"id": str(report_id)},
        )
    step = {"in_progress": "dispatched", "handled": "in_progress"}[body.to]
    if part["status"] != step:
        raise raced(
            {**row, "status": part["status"]},
            f"your part is {part['status']!r}, it cannot move to {body.to!r}",
            "本部门承担部分的状态已变更",
            field="to",
        )
    if body.to == "handled" and not body.note.strip():
        raise ValidationFailed(
            "finishing a part needs a note", message_zh="须填写处置说明", where={"field": "note"}
        )
    assists.move_assist(
        session, report_id, me.department_id,  # type: ignore[arg-type]
        current=step, target=body.to, actor_id=me.id, note=body.note,
    )  # fmt: skip
    audit_note(request, object_type="report", object_id=report_id, assist=body.to)
    code = department_code(session, me)
    return next(AssistPublic(**a) for a in assists.list_assists(session, report_id)
                if a["department"] == code)  # fmt: skip
