"""Joint handling (联合处置): the assisting departments of a report, each with its own part."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def department_ids(session: Session, codes: list[str]) -> dict[str, int]:
    """{code: id} for the department codes that exist."""
    rows = session.execute(
        text("SELECT code, id FROM department WHERE code = ANY(:codes)"), {"codes": codes}
    )
    return {r.code: r.id for r in rows}


def set_assists(session: Session, report_id: uuid.UUID, parts: list[tuple[int, str]]) -> None:
    """Ask these departments to assist, each with its part (a re-dispatch restates the part and
    restarts it); the area columns are copied from the report for the row-level policies."""
    for department_id, part in parts:
        session.execute(
            text(
                """
                INSERT INTO report_assist (report_id, department_id, part, district_id,
                                           street_id, community_id)
                SELECT id, :dep, :part, district_id, street_id, community_id
                FROM report WHERE id = :id
                ON CONFLICT (report_id, department_id) DO UPDATE
                  SET part = excluded.part, status = 'dispatched', note = '', updated_at = now()
                """
            ),
            {"id": report_id, "dep": department_id, "part": part},
        )


def list_assists(session: Session, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT d.code AS department, d.name_zh AS department_name_zh, a.part, a.status,"
            " a.note, a.updated_at FROM report_assist a JOIN department d ON d.id = a.department_id"
            " WHERE a.report_id = :id ORDER BY d.code"
        ),
        {"id": report_id},
    ).mappings()
    return [dict(r) for r in rows]


def get_assist(
    session: Session, report_id: uuid.UUID, department_id: int, *, lock: bool = False
) -> dict[str, Any] | None:
    sql = "SELECT status, part FROM report_assist WHERE report_id = :id AND department_id = :dep"
    if lock:
        sql += " FOR UPDATE"
    row = session.execute(text(sql), {"id": report_id, "dep": department_id}).mappings().first()
    return dict(row) if row else None


def unfinished_assists(session: Session, report_id: uuid.UUID) -> list[str]:
    """Names of the assisting departments whose part is not handled yet."""
    rows = session.execute(
        text(
            "SELECT d.name_zh FROM report_assist a JOIN department d ON d.id = a.department_id"
            " WHERE a.report_id = :id AND a.status <> 'handled' ORDER BY d.code"
        ),
        {"id": report_id},
    )
    return [r.name_zh for r in rows]


def move_assist(
    session: Session,
    report_id: uuid.UUID,
    department_id: int,
    *,
    current: str,
    target: str,
    actor_id: int,
    note: str,
) -> None:
    """Move one department's part and record it in the report's history (status unchanged)."""
    session.execute(
        text(
            """
            WITH up AS (
              UPDATE report_assist SET status = :to, note = :note, updated_at = now()
              WHERE report_id = :id AND department_id = :dep AND status = :from
              RETURNING report_id)
            INSERT INTO report_event (report_id, from_status, to_status, actor_id, note,
                                      street_id, district_id)
            SELECT r.id, r.status, r.status, :actor, :history_note, r.street_id, r.district_id
            FROM report r JOIN up ON up.report_id = r.id
            """
        ),
        {
            "id": report_id,
            "dep": department_id,
            "from": current,
            "to": target,
            "note": note,
            "actor": actor_id,
            "history_note": f"[协办 {target}] {note}".strip(),
        },
    )
