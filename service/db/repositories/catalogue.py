"""The event-category catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def active_categories(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT c.code, c.name_zh, c.name_en, c.gb_class, d.code AS department,"
            " d.name_zh AS department_name_zh, c.deadline_hours"
            " FROM event_category c JOIN department d ON d.id = c.department_id"
            " WHERE c.is_active ORDER BY c.gb_class, c.code"
        )
    ).mappings()
    return [dict(r) for r in rows]
