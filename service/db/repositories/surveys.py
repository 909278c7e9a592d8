"""Satisfaction surveys: the public link per 小区, answer sheets, and the quarter's tallies.

Reads and staff writes are filtered to the caller's area here (`_area`), with the row-level
security of migration 023 as the second line; a resident's sheet comes through a link code.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal
from service.domain.surveys import Tally, tally

_AREA_FROM = """
  FROM residential_area a JOIN community c ON c.id = a.community_id
  JOIN street s ON s.id = c.street_id
"""


def _area(me: Principal) -> tuple[str, dict[str, Any]]:
    """SQL over a/c/s for the 小区 in `me`'s area (staff roles)."""
    if me.role == "admin" and me.district_id is None:
        return "true", {}
    if me.role == "community_staff" and me.community_id is not None:
        return "a.community_id = :a_comm", {"a_comm": me.community_id}
    if me.role == "street_office" and me.street_id is not None:
        return "c.street_id = :a_street", {"a_street": me.street_id}
    if me.role in ("admin", "district_bureau") and me.district_id is not None:
        return "s.district_id = :a_dist", {"a_dist": me.district_id}
    return "false", {}


def area_in_reach(session: Session, me: Principal, code: str) -> dict[str, Any] | None:
    cond, params = _area(me)
    row = session.execute(
        text(
            "SELECT a.id, a.code, a.name, a.community_id, c.street_id, s.district_id"  # noqa: S608
            f" {_AREA_FROM} WHERE a.code = :code AND {cond}"
        ),
        {**params, "code": code},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def link_of(session: Session, area_id: int) -> dict[str, Any] | None:
    row = session.execute(
        text("SELECT code, created_at FROM survey_link WHERE residential_area_id = :id"),
        {"id": area_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def new_link(session: Session, me: Principal, area_id: int) -> dict[str, Any]:
    """A fresh link code for the 小区 (the old one, if any, stops working)."""
    code = secrets.token_urlsafe(18)  # 24 characters
    row = session.execute(
        text(
            "INSERT INTO survey_link (residential_area_id, code, created_by)"
            " VALUES (:id, :code, :me) ON CONFLICT (residential_area_id) DO UPDATE"
            " SET code = EXCLUDED.code, created_by = EXCLUDED.created_by, created_at = now()"
            " RETURNING code, created_at"
        ),
        {"id": area_id, "code": code, "me": me.id},
    ).mappings().one()  # fmt: skip
    return dict(row)


def area_of_link(session: Session, code: str) -> dict[str, Any] | None:
    """The 小区 a public link code opens (name and community for the form), or None."""
    row = session.execute(
        text(
            "SELECT a.id, a.code, a.name, c.name AS community_name, s.name AS street_name,"
            " a.community_id, c.street_id, s.district_id"
            " FROM survey_link l JOIN residential_area a ON a.id = l.residential_area_id"
            " JOIN community c ON c.id = a.community_id JOIN street s ON s.id = c.street_id"
            " WHERE l.code = :code"
        ),
        {"code": code},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def answers_today(session: Session, area_id: int, client_digest: str) -> int:
    """Resident sheets from one client for one 小区 in the last 24 hours."""
    found = session.scalar(
        text(
            "SELECT count(*) FROM survey_client_log WHERE client_digest = :digest"
            " AND residential_area_id = :id AND created_at > now() - interval '24 hours'"
        ),
        {"digest": client_digest, "id": area_id},
    )
    return int(found or 0)


def log_client(session: Session, area_id: int, client_digest: str) -> None:
    session.execute(
        text(
            "INSERT INTO survey_client_log (client_digest, residential_area_id)"
            " VALUES (:digest, :id)"
        ),
        {"digest": client_digest, "id": area_id},
    )


def add_sheet(
    session: Session,
    area: dict[str, Any],
    *,
    quarter: str,
    source: str,
    answers: dict[str, str],
    comment: str,
    created_by: int | None,
) -> int | None:
    """The sheet's id; None for a resident's sheet, which the anonymous request may write but
    not read back (RETURNING would need the read policy)."""
    statement = (
        "INSERT INTO satisfaction_survey (residential_area_id, district_id, street_id,"
        " community_id, quarter, source, overall, property_service, environment, safety,"
        " comment, created_by) VALUES (:area, :district, :street, :community, :quarter,"
        " :source, :overall, :property_service, :environment, :safety, :comment, :created_by)"
    )
    params = {
        "area": area["id"], "district": area["district_id"], "street": area["street_id"],
        "community": area["community_id"], "quarter": quarter, "source": source, **answers,
        "comment": comment, "created_by": created_by,
    }  # fmt: skip
    if created_by is None:
        session.execute(text(statement), params)
        return None
    return int(session.scalar(text(statement + " RETURNING id"), params))  # type: ignore[arg-type]


def quarter_tallies(
    session: Session, me: Principal, quarter: str, street: str | None, area: str | None = None
) -> list[dict[str, Any]]:
    """Per 小区 in `me`'s area (optionally one street): its company, and the quarter's counts
    of overall answers (0 when nobody answered)."""
    cond, params = _area(me)
    rows = session.execute(
        text(
            "SELECT a.code, a.name, c.name AS community_name, s.name AS street_name,"  # noqa: S608
            " pc.name AS company_name,"
            " count(v.id) AS responses,"
            " count(v.id) FILTER (WHERE v.overall = 'satisfied') AS satisfied,"
            " count(v.id) FILTER (WHERE v.overall = 'basically') AS basically,"
            " count(v.id) FILTER (WHERE v.overall = 'dissatisfied') AS dissatisfied,"
            " count(v.id) FILTER (WHERE v.source = 'resident') AS from_residents"
            f" {_AREA_FROM}"
            " LEFT JOIN property_company pc ON pc.id = a.property_company_id"
            " LEFT JOIN satisfaction_survey v ON v.residential_area_id = a.id"
            "   AND v.quarter = :quarter"
            f" WHERE {cond} AND (CAST(:street AS text) IS NULL OR s.code = :street)"
            " AND (CAST(:area AS text) IS NULL OR a.code = :area)"
            " GROUP BY a.id, a.code, a.name, c.name, s.name, pc.name"
            " ORDER BY count(v.id) DESC, a.code LIMIT 5000"
        ),
        {**params, "quarter": quarter, "street": street, "area": area},
    ).mappings()
    return [dict(r) for r in rows]


def area_tallies(session: Session, area_ids: list[int], quarter: str) -> dict[int, Tally]:
    """The quarter's overall answers per 小区 (by id) that the caller may read: row-level
    security leaves out what the caller's area does not cover, as everywhere else."""
    rows = session.execute(
        text(
            "SELECT residential_area_id, overall, count(*) FROM satisfaction_survey"
            " WHERE residential_area_id = ANY(:ids) AND quarter = :quarter"
            " GROUP BY residential_area_id, overall"
        ),
        {"ids": area_ids, "quarter": quarter},
    )
    answers: dict[int, list[str]] = {i: [] for i in area_ids}
    for area_id, overall, n in rows:
        answers[int(area_id)].extend([overall] * int(n))
    return {i: tally(a) for i, a in answers.items()}


def current_quarter(session: Session) -> str:
    found = session.scalar(
        text(
            "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY')"
            " || 'Q' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'Q')"
        )
    )
    return str(found)
