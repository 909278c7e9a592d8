"""What /public discloses, and nothing more: the seeds' public facts per street.

Only these columns ever leave here: names of places and companies, grades, lists, and each
小区's property officer with their work phone (which the seeds require to be public). No report,
resident or worker data is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def streets(session: Session) -> list[dict[str, Any]]:
    """Every street, with its district's name, for the index."""
    rows = session.execute(
        text(
            "SELECT s.code, s.name, d.name AS district FROM street s"
            " JOIN district d ON d.id = s.district_id ORDER BY s.code"
        )
    )
    return [dict(r) for r in rows.mappings()]


def street(session: Session, code: str) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT s.id, s.code, s.name, s.district_id, d.name AS district FROM street s"
                " JOIN district d ON d.id = s.district_id WHERE s.code = :c"
            ),
            {"c": code},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def areas_of_street(session: Session, street_id: int) -> list[dict[str, Any]]:
    """Each 小区 of the street: community, service mode, company and grade, property officer."""
    rows = session.execute(
        text(
            "SELECT r.code, r.name, c.name AS community, r.property_service_mode,"
            " co.name AS company, co.credit_grade AS grade, co.list_status,"
            " r.property_officer_name, r.property_officer_phone"
            " FROM residential_area r JOIN community c ON c.id = r.community_id"
            " LEFT JOIN property_company co ON co.id = r.property_company_id"
            " WHERE c.street_id = :s ORDER BY c.code, r.code"
        ),
        {"s": street_id},
    )
    return [dict(r) for r in rows.mappings()]


def read_as_public(session: Session, district_id: int) -> None:
    """Tell PostgreSQL the page reads as the public of one district: the row-level security
    policies then show the grades and list entries of that district's companies, and nothing
    of reports, history or score sheets (the pseudo-role `public` reaches none of them)."""
    session.execute(
        text(
            "SELECT set_config('wangge.role', 'public', true),"
            " set_config('wangge.district_id', :d, true),"
            " set_config('wangge.user_id', '', true),"
            " set_config('wangge.street_id', '', true),"
            " set_config('wangge.community_id', '', true),"
            " set_config('wangge.department_id', '', true)"
        ),
        {"d": str(district_id)},
    )


def data_version(session: Session) -> str:
    """Changes whenever a disclosed table changes (the page's ETag)."""
    return str(
        session.execute(
            text(
                "SELECT concat_ws('-',"
                " (SELECT sum(version) FROM wangge_data_version),"
                " (SELECT count(*) || ':' || coalesce(max(decided_at)::text, '')"
                "  FROM company_grade),"
                " (SELECT count(*) || ':' || count(ended_on) FROM company_list_entry),"
                " (SELECT sum(version) FROM residential_area),"
                " (SELECT count(*) FROM property_company))"
            )
        ).scalar_one()
    )
