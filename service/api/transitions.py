"""One life-cycle move of one report, shared by the transition route and the bulk actions.

The report row is locked first, so two people acting on it at once are serialised: the second
sees the first one's status and is answered 409 with the status it now has.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from service.api.report_schemas import TransitionCreate
from service.db.repositories import case_assists as assists
from service.db.repositories import reports as repo
from service.domain.principal import Principal
from service.domain.report_lifecycle import TransitionRequest, check_transition
from service.errors import Forbidden, OutsideJurisdiction, StateConflict, ValidationFailed


def load_report(
    session: Session, rid: uuid.UUID, me: Principal, scope: str, *, lock: bool = False
) -> dict[str, Any]:
    row = repo.get_report(session, rid, me, scope, lock=lock)
    if row is None:
        raise OutsideJurisdiction(
            "report not found", message_zh="事件不存在", where={"id": str(rid)}
        )
    return row


def raced(
    row: dict[str, Any], message: str, message_zh: str, field: str = "expected"
) -> StateConflict:
    """409 carrying the report's status as it is now."""
    return StateConflict(
        message,
        message_zh=message_zh,
        where={"field": field},
        current_status=row["status"],
    )


def move_report(
    session: Session, me: Principal, scope: str, report_id: uuid.UUID, body: TransitionCreate
) -> None:
    """Check and apply one transition (raises a WanggeError saying why it was refused)."""
    row = load_report(session, report_id, me, scope, lock=True)
    if body.expected is not None and body.expected != row["status"]:
        raise raced(
            row,
            f"the report is now {row['status']!r}, not {body.expected!r}: someone acted first",
            "该事件已被他人处理，状态已变更",
        )
    if me.role == "department" and row["department_id"] != me.department_id:
        raise Forbidden(
            "only the lead department moves the report; assisting departments move their part",
            message_zh="只有牵头部门可以变更事件状态，协办部门请更新本部门承担的部分",
        )
    _check_duplicate(session, me, scope, report_id, body)
    department_id, parts = _routing(session, body, row["department_id"])
    req = TransitionRequest(
        current=row["status"],
        target=body.to,
        role=me.role,
        note=body.note,
        reason=body.reason,
        duplicate_of=str(body.duplicate_of) if body.duplicate_of else None,
        has_evidence_photo=body.to == "handled" and repo.has_evidence_photo(session, report_id),
    )
    check_transition(req)
    if body.to == "handled":
        waiting = assists.unfinished_assists(session, report_id)
        if waiting:
            raise raced(
                row,
                "assisting departments have not finished their parts: " + ", ".join(waiting),
                "协办部门尚未完成：" + "、".join(waiting),
                field="to",
            )
    note = body.note if body.reason is None else f"[{body.reason}] {body.note}".strip()
    repo.apply_transition(
        session,
        report_id,
        current=row["status"],
        target=body.to,
        actor=me,
        note=note,
        duplicate_of=body.duplicate_of if body.reason == "duplicate" else None,
        department_id=department_id,
    )
    if parts:
        assists.set_assists(session, report_id, parts)


def _check_duplicate(
    session: Session, me: Principal, scope: str, report_id: uuid.UUID, body: TransitionCreate
) -> None:
    if body.reason != "duplicate" or body.duplicate_of is None:
        return
    if body.duplicate_of == report_id:
        raise ValidationFailed("a report cannot duplicate itself", where={"field": "duplicate_of"})
    if repo.get_report(session, body.duplicate_of, me, scope) is None:
        raise ValidationFailed(
            "duplicate_of is not a report you can see",
            message_zh="原事件不存在",
            where={"field": "duplicate_of"},
        )


def _routing(
    session: Session, body: TransitionCreate, current_department: int
) -> tuple[int | None, list[tuple[int, str]]]:
    """The lead department and assisting parts a 派遣 names (validated; only for dispatch)."""
    if body.department is None and not body.assist:
        return None, []
    if body.to != "dispatched":
        raise ValidationFailed(
            "department and assist are only for dispatching",
            message_zh="只有派遣时可以指定部门",
            where={"field": "department" if body.department else "assist"},
        )
    codes = [body.department] if body.department else []
    codes += [a.department for a in body.assist]
    known = assists.department_ids(session, codes)
    for i, code in enumerate(codes):
        if code not in known:
            field = "department" if body.department and i == 0 else "assist"
            raise ValidationFailed(
                f"unknown department {code!r}", message_zh="部门不存在", where={"field": field}
            )
    lead = known[body.department] if body.department else None
    parts = [(known[a.department], a.part) for a in body.assist]
    if any(dep == (lead or current_department) for dep, _ in parts):
        raise ValidationFailed(
            "the lead department cannot also assist",
            message_zh="牵头部门不能同时作为协办部门",
            where={"field": "assist"},
        )
    if len({dep for dep, _ in parts}) != len(parts):
        raise ValidationFailed(
            "a department is named twice", message_zh="协办部门重复", where={"field": "assist"}
        )
    return lead, parts
