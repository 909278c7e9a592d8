"""Satisfaction return visits (回访) and the reopening a 不满意 visit causes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.reports import visibility
from service.domain.principal import Principal
from service.domain.residents import RESIDENT_CHANNELS

_RESIDENT = "(" + ", ".join(f"'{c}'" for c in sorted(RESIDENT_CHANNELS)) + ")"


def last_visit_at(session: Session, report_id: uuid.UUID) -> datetime | None:
    found = session.scalar(
        text("SELECT max(created_at) FROM return_visit WHERE report_id = :id"), {"id": report_id}
    )
    return found  # type: ignore[no-any-return]


def list_visits(session: Session, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT v.id, v.result, v.note, v.reopened, u.username AS actor, v.created_at"
            " FROM return_visit v JOIN app_user u ON u.id = v.actor_id"
            " WHERE v.report_id = :id ORDER BY v.created_at, v.id"
        ),
        {"id": report_id},
    ).mappings()
    return [dict(r) for r in rows]


def record_visit(
    session: Session,
    report_id: uuid.UUID,
    me: Principal,
    *,
    result: str,
    note: str,
    reopened: bool,
) -> None:
    session.execute(
        text(
            "INSERT INTO return_visit (report_id, result, note, reopened, actor_id, district_id)"
            " SELECT id, :result, :note, :reopened, :me, district_id FROM report WHERE id = :id"
        ),
        {"id": report_id, "result": result, "note": note, "reopened": reopened, "me": me.id},
    )


def reopen(session: Session, report_id: uuid.UUID, me: Principal, note: str) -> None:
    """销号 undone: back to the lead department (已派遣) with a fresh deadline of the category's
    hours; the history keeps the closing and this reopening."""
    session.execute(
        text(
            """
            WITH up AS (
              UPDATE report r SET status = 'dispatched', closed_at = NULL, updated_at = now(),
                reopened_count = r.reopened_count + 1,
                deadline_at = now() + ec.deadline_hours * interval '1 hour'
              FROM event_category ec
              WHERE r.id = :id AND r.status = 'closed' AND ec.code = r.category_code
              RETURNING r.id, r.street_id, r.district_id)
            INSERT INTO report_event (report_id, from_status, to_status, actor_id, note,
                                      street_id, district_id)
            SELECT id, 'closed', 'dispatched', :me, :note, street_id, district_id FROM up
            """
        ),
        {"id": report_id, "me": me.id, "note": note},
    )


def pending(session: Session, me: Principal, scope: str, limit: int) -> list[dict[str, Any]]:
    """Closed cases residents brought, in the caller's reach, with no visit since 销号; oldest
    closing first."""
    cond, params = visibility(me, scope)
    rows = session.execute(
        text(
            "SELECT r.id, r.channel, ec.name_zh AS category_name_zh,"  # noqa: S608
            " left(r.description, 200) AS description, c.name AS community_name, r.closed_at,"
            " r.caller_masked FROM report r"
            " JOIN event_category ec ON ec.code = r.category_code"
            " LEFT JOIN community c ON c.id = r.community_id"
            f" WHERE r.status = 'closed' AND r.channel IN {_RESIDENT} AND ({cond})"
            " AND NOT EXISTS (SELECT 1 FROM return_visit v WHERE v.report_id = r.id"
            " AND v.created_at >= r.closed_at)"
            " ORDER BY r.closed_at, r.id LIMIT :lim"
        ),
        {**params, "lim": limit},
    ).mappings()
    return [dict(r) for r in rows]
