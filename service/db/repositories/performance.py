"""The assessment's counts per street, community or department for a period: one grouped pass
over the period's reports in the caller's reach, joined to every unit of that kind in it (so a
unit with no case is listed too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal

# by → (report column, unit table, unit filter on `u` for the caller); never from input
UNITS: Final = {
    "street": (
        "street_id",
        "street",
        "u.district_id = :d AND (CAST(:s AS integer) IS NULL OR u.id = :s)"
        " AND (CAST(:c AS integer) IS NULL OR u.id = (SELECT street_id FROM community"
        " WHERE id = :c))",
    ),
    "community": (
        "community_id",
        "community",
        "u.street_id IN (SELECT id FROM street WHERE district_id = :d)"
        " AND (CAST(:s AS integer) IS NULL OR u.street_id = :s)"
        " AND (CAST(:c AS integer) IS NULL OR u.id = :c)",
    ),
    "department": (
        "department_id",
        "department",
        "(CAST(:dep AS integer) IS NULL OR u.id = :dep)",
    ),
}
NAME: Final = {"street": "u.name", "community": "u.name", "department": "u.name_zh"}


def unit_counts(
    session: Session,
    me: Principal,
    scope: str,
    by: str,
    *,
    district_id: int,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Per unit: received, rejected, closed, on_time, handling_hours, reopened, visited,
    satisfied, overdue, escalated (see service.domain.performance for the definitions)."""
    _, table, unit_filter = UNITS[by]
    # the figures come from wangge_assessment_counts (service/db/sql/functions/), which applies
    # the caller's reach as row-level security would (`scope` is the same rule, kept for callers)
    sql = f"""
      SELECT u.code, {NAME[by]} AS name, coalesce(f.received, 0) AS received,
        coalesce(f.rejected, 0) AS rejected, coalesce(f.closed, 0) AS closed,
        coalesce(f.on_time, 0) AS on_time, f.handling_hours,
        coalesce(f.reopened, 0) AS reopened, coalesce(f.visited, 0) AS visited,
        coalesce(f.satisfied, 0) AS satisfied, coalesce(f.overdue, 0) AS overdue,
        coalesce(f.escalated, 0) AS escalated
      FROM {table} u
      LEFT JOIN wangge_assessment_counts(:by, :d, :start, :end, :as_of) f ON f.unit_id = u.id
      WHERE {unit_filter}
      ORDER BY u.code
    """  # noqa: S608 (fragments from the allow-list above and bound parameters only)
    params: dict[str, Any] = {"by": by}
    params.update(
        {
            "d": district_id,
            "start": start,
            "end": end,
            "as_of": as_of,
            "s": me.street_id,
            "c": me.community_id,
            "dep": me.department_id,
        }  # fmt: skip
    )
    rows = session.execute(text(sql), params).mappings()
    return [
        {**r, "handling_hours": None if r["handling_hours"] is None else float(r["handling_hours"])}
        for r in rows
    ]


def district_id_of(session: Session, code: str) -> int | None:
    found = session.scalar(text("SELECT id FROM district WHERE code = :c"), {"c": code})
    return int(found) if found is not None else None
