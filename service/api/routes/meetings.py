"""Joint meetings (联席会议, 吹哨报到): the register of a street's and its communities' meetings
with the departments, the agenda items (often an open or escalated case), decisions, owners and
follow-up deadlines; overdue decisions and meetings due by the cadence; a street's record as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.api.meeting_schemas import (
    CadencePublic,
    ItemCreate,
    ItemDone,
    ItemPublic,
    MeetingBoard,
    MeetingCreate,
    MeetingPublic,
    MeetingSummary,
    OverdueItem,
)
from service.api.transitions import load_report
from service.db.repositories import meetings as repo
from service.db.repositories.clock import beijing_today
from service.db.repositories.departments import department_code
from service.domain.export_formats import formula_guarded
from service.domain.meetings import (
    KINDS,
    MeetingRefused,
    cadence,
    check_dates,
    check_due,
    check_kind,
    decision_overdue,
)
from service.domain.principal import Principal
from service.errors import Conflict, Forbidden, OutsideJurisdiction, ValidationFailed

router = APIRouter(prefix="/api/meetings", tags=["residents"])
Reader = Annotated[Principal, Depends(require("meeting:read"))]
Writer = Annotated[Principal, Depends(require("meeting:write"))]
FollowUp = Annotated[Principal, Depends(require("meeting:follow_up"))]
StreetQuery = Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="a street code")]


def _refused(refused: MeetingRefused) -> ValidationFailed:
    return ValidationFailed(
        refused.message, message_zh=refused.message_zh, where={"field": refused.field}
    )


def _not_found(meeting_id: int) -> OutsideJurisdiction:
    return OutsideJurisdiction(
        "meeting not found", message_zh="会议不存在", where={"id": meeting_id}
    )


def _item(row: dict[str, Any], today: date, may_mark: bool = False) -> ItemPublic:
    fields = {k: row[k] for k in ItemPublic.model_fields if k in row}
    fields["overdue"] = decision_overdue(row["due_on"], row["done_at"] is not None, today)
    fields["can_mark_done"] = may_mark and row["done_at"] is None
    return ItemPublic(**fields)


def _may_mark(
    me: Principal, meeting: dict[str, Any], owner: str | None, my_dept: str | None
) -> bool:
    """The meeting's own staff, or the department (code `my_dept`) that owns the decision."""
    if repo.writes(me, meeting):
        return True
    return me.role == "department" and owner is not None and owner == my_dept


def _meeting(session: Any, me: Principal, meeting_id: int, today: date) -> MeetingPublic:
    row = repo.get_meeting(session, me, meeting_id)
    if row is None:
        raise _not_found(meeting_id)
    my_dept = department_code(session, me)
    items = [
        _item(i, today, _may_mark(me, row, i["owner_department"], my_dept))
        for i in repo.items_of(session, meeting_id)
    ]
    summary = {k: row[k] for k in MeetingSummary.model_fields if k in row}
    return MeetingPublic(
        **summary,
        writable=repo.writes(me, row),
        kind_zh=KINDS[row["kind"]],
        items=len(items),
        open_items=sum(1 for i in items if i.done_at is None),
        overdue_items=sum(1 for i in items if i.overdue),
        agenda=items,
    )


def _check_departments(session: Any, codes: list[str], field: str) -> None:
    unknown = sorted(set(codes) - repo.known_departments(session, codes))
    if unknown:
        raise ValidationFailed(
            f"unknown departments {unknown}",
            message_zh="部门不存在：" + "、".join(unknown),
            where={"field": field, "codes": unknown},
        )


@router.get("", response_model=list[MeetingSummary], summary="Meetings I may read, newest first")
def list_meetings(
    session: SessionDep,
    me: Reader,
    street: StreetQuery = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MeetingSummary]:
    rows = repo.list_meetings(
        session, me, street=street, start=start, end=end, today=beijing_today(session), limit=limit
    )
    return [MeetingSummary(**r, kind_zh=KINDS[r["kind"]]) for r in rows]


@router.get(
    "/board",
    response_model=MeetingBoard,
    summary="Meetings due by the cadence and decisions past their follow-up day",
)
def board(session: SessionDep, settings: SettingsDep, me: Reader) -> MeetingBoard:
    today = beijing_today(session)
    months = settings.residents.meeting_cadence_months
    units = repo.last_held(session, me, communities=months.get("community", 0) > 0)
    due = []
    for u in units:
        c = cadence(u["kind"], months.get(u["kind"], 0), u["last_held"], today)
        due.append(
            CadencePublic(
                **{
                    k: u[k]
                    for k in (
                        "street_code",
                        "street_name",
                        "community_code",
                        "community_name",
                        "kind",
                        "last_held",
                    )
                },
                kind_zh=KINDS[u["kind"]],
                months=c.months,
                next_due=c.next_due,
                overdue=c.overdue,
            )  # fmt: skip
        )
    my_dept = department_code(session, me)
    overdue = [
        OverdueItem(
            **_item(r, today, _may_mark(me, r, r["owner_department"], my_dept)).model_dump(),
            meeting_title=r["meeting_title"],
            held_on=r["held_on"],
            street_name=r["street_name"],
            community_name=r["community_name"],
        )  # fmt: skip
        for r in repo.overdue_items(session, me, today, limit=200)
    ]
    return MeetingBoard(
        today=today,
        cadence=due,
        overdue=overdue,
        can_write=me.role != "department",
        departments=repo.departments(session),
    )


@router.post("", response_model=MeetingPublic, status_code=201, summary="Record a meeting held")
def create_meeting(
    body: MeetingCreate, request: Request, session: SessionDep, me: Writer
) -> MeetingPublic:
    where = repo.unit(session, me, body.street, body.community)
    if where is None:
        raise OutsideJurisdiction(
            "no such street or community in your jurisdiction",
            message_zh="本辖区内没有这个街道或社区",
            where={"field": "community" if body.community else "street"},
        )
    today = beijing_today(session)
    try:
        check_kind(body.kind, where["community_id"] is not None)
        check_dates(body.held_on, today)
    except MeetingRefused as refused:
        raise _refused(refused) from None
    participants = sorted(set(body.participants))
    _check_departments(session, participants, "participants")
    meeting_id = repo.create_meeting(
        session, me, where, kind=body.kind, held_on=body.held_on, title=body.title,
        participants=participants, note=body.note,
    )  # fmt: skip
    audit_note(request, object_type="meeting", object_id=meeting_id, kind=body.kind)
    return _meeting(session, me, meeting_id, today)


CSV_HEADER = ["会议日期", "会议类型", "街道", "社区", "会议名称", "参会部门", "议题", "关联事件",
              "决定事项", "责任单位", "办理期限", "办结时间", "状态"]  # fmt: skip


@router.get("/export.csv", summary="The meetings and their decisions as CSV (UTF-8 with BOM)")
def export_meetings(
    session: SessionDep,
    me: Reader,
    street: StreetQuery = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    today = beijing_today(session)
    rows = repo.list_meetings(
        session, me, street=street, start=start, end=end, today=today, limit=5000
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    agendas = repo.items_of_meetings(session, [m["id"] for m in rows])
    for m in sorted(rows, key=lambda r: (r["held_on"], r["id"])):
        base = [m["held_on"].isoformat(), KINDS[m["kind"]], formula_guarded(m["street_name"]),
                formula_guarded(m["community_name"] or ""),
                formula_guarded(m["title"]), "、".join(m["participants"])]  # fmt: skip
        items = agendas.get(m["id"], [])
        if not items:
            writer.writerow([*base, "", "", "", "", "", "", ""])
        for i in items:
            state = "已办结" if i["done_at"] else (
                "已超期" if decision_overdue(i["due_on"], False, today) else "办理中")  # fmt: skip
            writer.writerow([
                *base, formula_guarded(i["topic"]), str(i["report_id"] or ""),
                formula_guarded(i["decision"]),
                formula_guarded(i["owner_department_zh"] or i["owner_text"]),
                i["due_on"].isoformat() if i["due_on"] else "",
                i["done_at"].isoformat(timespec="minutes") if i["done_at"] else "", state,
            ])  # fmt: skip
    name = f"meetings-{street or 'all'}.csv"
    return Response(
        ("\ufeff" + buf.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{meeting_id}", response_model=MeetingPublic, summary="A meeting and its agenda")
def read_meeting(meeting_id: int, session: SessionDep, me: Reader) -> MeetingPublic:
    return _meeting(session, me, meeting_id, beijing_today(session))


@router.post(
    "/{meeting_id}/items",
    response_model=ItemPublic,
    status_code=201,
    summary="Add an agenda item: the matter, the decision, its owner and follow-up deadline",
)
def add_item(
    meeting_id: int, body: ItemCreate, request: Request, session: SessionDep, me: Writer
) -> ItemPublic:
    meeting = repo.get_meeting(session, me, meeting_id)
    if meeting is None:
        raise _not_found(meeting_id)
    if not repo.writes(me, meeting):
        raise Forbidden(
            "this meeting is recorded by another level",
            message_zh="只能为本级会议登记议题",
            where={"id": meeting_id},
        )
    if body.report_id is not None:
        load_report(session, body.report_id, me, request.state.scope)  # 404 outside my reach
    try:
        check_due(body.due_on, meeting["held_on"])
    except MeetingRefused as refused:
        raise _refused(refused) from None
    if body.owner_department:
        _check_departments(session, [body.owner_department], "owner_department")
    item_id = repo.add_item(
        session, me, meeting_id, report_id=body.report_id, topic=body.topic,
        decision=body.decision, owner_department=body.owner_department,
        owner_text=body.owner_text, due_on=body.due_on,
    )  # fmt: skip
    audit_note(request, object_type="meeting_item", object_id=item_id, meeting=meeting_id)
    found = next(i for i in repo.items_of(session, meeting_id) if i["id"] == item_id)
    return _item(found, beijing_today(session), may_mark=True)


@router.post(
    "/items/{item_id}/done",
    response_model=ItemPublic,
    summary="Mark a decision carried out (the meeting's staff, or its owner department)",
)
def mark_done(
    item_id: int, body: ItemDone, request: Request, session: SessionDep, me: FollowUp
) -> ItemPublic:
    row = repo.get_item(session, me, item_id)
    if row is None:
        raise OutsideJurisdiction(
            "agenda item not found", message_zh="议题不存在", where={"id": item_id}
        )
    if not _may_mark(me, row, row["owner_department"], department_code(session, me)):
        raise Forbidden(
            "only the meeting's staff or the owner department mark this done",
            message_zh="只有会议主办单位或责任部门可以办结此事项",
            where={"id": item_id},
        )
    if row["done_at"] is not None or not repo.mark_done(session, me, item_id, body.note):
        raise Conflict("already marked done", message_zh="此事项已办结", where={"id": item_id})
    audit_note(request, object_type="meeting_item", object_id=item_id, done=True)
    found = next(i for i in repo.items_of(session, row["meeting_id"]) if i["id"] == item_id)
    return _item(found, beijing_today(session), may_mark=True)
