"""Property companies: the registry, what they serve, their grades and list entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import Conflict, NotFound

_CURRENT_LISTS = """
  (SELECT coalesce(json_agg(json_build_object('kind', e.list_kind, 'reason', e.reason,
     'listed_on', e.listed_on) ORDER BY e.listed_on), '[]'::json)
   FROM company_list_entry e WHERE e.company_id = co.id AND e.ended_on IS NULL) AS lists
"""
_COMPANY_COLUMNS = (
    """
  co.id, co.name, co.credit_code, co.contact_name, co.contact_phone, co.has_party_org,
  co.credit_grade, co.list_status,
  (SELECT count(*) FROM residential_area r WHERE r.property_company_id = co.id) AS areas_served,
  (SELECT g.quarter FROM company_grade g WHERE g.company_id = co.id
    ORDER BY g.quarter DESC LIMIT 1) AS graded_quarter,"""  # noqa: S608 - constant text
    + _CURRENT_LISTS
)


# A reader bound to a district sees the companies registered in it or serving a 小区 in it.
_IN_DISTRICT = """
  (CAST(:district AS integer) IS NULL OR co.district_id = :district OR EXISTS (
     SELECT 1 FROM residential_area r JOIN community c ON c.id = r.community_id
     JOIN street s ON s.id = c.street_id
     WHERE r.property_company_id = co.id AND s.district_id = :district))
"""


def list_companies(session: Session, district_id: int | None) -> list[dict[str, Any]]:
    """The registered companies within reach (`district_id` None: all), with current grade,
    lists and the number of 小区 served."""
    rows = session.execute(
        text(
            f"SELECT {_COMPANY_COLUMNS} FROM property_company co"  # noqa: S608 - constant text
            f" WHERE {_IN_DISTRICT} ORDER BY co.name"
        ),
        {"district": district_id},
    )
    return [dict(r) for r in rows.mappings()]


def get_company(session: Session, company_id: int, district_id: int | None) -> dict[str, Any]:
    """One company within reach, the 小区 it serves (from the records) and its grade history."""
    row = (
        session.execute(
            text(
                f"SELECT {_COMPANY_COLUMNS} FROM property_company co"  # noqa: S608 - constant text
                f" WHERE co.id = :id AND {_IN_DISTRICT}"
            ),
            {"id": company_id, "district": district_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(
            f"property company {company_id} not found",
            message_zh="未找到该物业服务企业",
            where={"company_id": company_id},
        )
    company = dict(row)
    company["areas"] = [
        dict(r)
        for r in session.execute(
            text(
                "SELECT r.code, r.name, c.name AS community_name FROM residential_area r"
                " JOIN community c ON c.id = r.community_id"
                " WHERE r.property_company_id = :id ORDER BY r.code"
            ),
            {"id": company_id},
        ).mappings()
    ]
    company["grades"] = [
        dict(r)
        for r in session.execute(
            text(
                "SELECT quarter, score, assessments, grade, rank FROM company_grade"
                " WHERE company_id = :id ORDER BY quarter DESC"
            ),
            {"id": company_id},
        ).mappings()
    ]
    return company


def create_company(session: Session, values: dict[str, Any], district_id: int | None) -> int:
    """Register a company; a duplicate name or credit code is a 409."""
    try:
        with session.begin_nested():
            return int(
                session.execute(
                    text(
                        "INSERT INTO property_company (name, credit_code, contact_name,"
                        " contact_phone, has_party_org, district_id) VALUES (:name, :credit_code,"
                        " :contact_name, :contact_phone, :has_party_org, :district_id) RETURNING id"
                    ),
                    {**values, "district_id": district_id},
                ).scalar_one()
            )
    except IntegrityError:
        raise Conflict(
            "a company with this name or credit code is already registered",
            message_zh="同名或同一统一社会信用代码的企业已登记",
            where={"name": values["name"], "credit_code": values.get("credit_code")},
        ) from None


def update_company(
    session: Session, company_id: int, values: dict[str, Any], district_id: int | None
) -> None:
    """Change registry details of a company registered in `district_id` (None: any).

    Keys come from the request model, never from input.
    """
    # an empty change still checks the company exists in the district
    sets = ", ".join(f"{k} = :{k}" for k in values) or "name = name"
    try:
        with session.begin_nested():
            found = session.execute(
                text(
                    f"UPDATE property_company SET {sets} WHERE id = :id"  # noqa: S608 - model keys
                    " AND (CAST(:d AS integer) IS NULL OR district_id = :d) RETURNING id"
                ),
                {**values, "id": company_id, "d": district_id},
            ).scalar()
    except IntegrityError:
        raise Conflict(
            "a company with this name or credit code is already registered",
            message_zh="同名或同一统一社会信用代码的企业已登记",
            where={"company_id": company_id},
        ) from None
    if found is None:
        raise NotFound(
            f"property company {company_id} not found",
            message_zh="未找到该物业服务企业",
            where={"company_id": company_id},
        )


def list_entries(session: Session, *, current_only: bool = False) -> list[dict[str, Any]]:
    """Red / black / grey list entries, newest first (ended ones kept as history)."""
    where = "WHERE e.ended_on IS NULL" if current_only else ""
    rows = session.execute(
        text(
            "SELECT e.id, e.company_id, co.name AS company, e.list_kind, e.reason, e.quarter,"  # noqa: S608 - constant clause
            " e.listed_on, e.ended_on FROM company_list_entry e"
            f" JOIN property_company co ON co.id = e.company_id {where}"
            " ORDER BY e.listed_on DESC, e.id DESC"
        )
    )
    return [dict(r) for r in rows.mappings()]


def add_entry(
    session: Session,
    company_id: int,
    kind: str,
    reason: str,
    quarter: str | None,
    by: int | None,
) -> int:
    """Put a company on a list (ending its other open entries: one list at a time)."""
    session.execute(
        text(
            "UPDATE company_list_entry SET ended_on = current_date"
            " WHERE company_id = :c AND ended_on IS NULL"
        ),
        {"c": company_id},
    )
    entry = session.execute(
        text(
            "INSERT INTO company_list_entry (company_id, list_kind, reason, quarter, created_by)"
            " VALUES (:c, :k, :r, :q, :by) RETURNING id"
        ),
        {"c": company_id, "k": kind, "r": reason, "q": quarter, "by": by},
    ).scalar_one()
    session.execute(
        text("UPDATE property_company SET list_status = :k WHERE id = :c"),
        {"c": company_id, "k": kind},
    )
    return int(entry)


def end_grade_entries(session: Session, company_id: int) -> None:
    """End the open entries a past quarter's grade put the company on (manual ones stay)."""
    session.execute(
        text(
            "UPDATE company_list_entry SET ended_on = current_date"
            " WHERE company_id = :c AND ended_on IS NULL AND quarter IS NOT NULL"
        ),
        {"c": company_id},
    )
    session.execute(
        text(
            "UPDATE property_company SET list_status = coalesce((SELECT e.list_kind"
            " FROM company_list_entry e WHERE e.company_id = :c AND e.ended_on IS NULL"
            " ORDER BY e.listed_on DESC, e.id DESC LIMIT 1), 'none') WHERE id = :c"
        ),
        {"c": company_id},
    )


def end_entry(session: Session, entry_id: int) -> None:
    """Take a company off a list today (the entry stays as history)."""
    company = session.execute(
        text(
            "UPDATE company_list_entry SET ended_on = current_date"
            " WHERE id = :id AND ended_on IS NULL RETURNING company_id"
        ),
        {"id": entry_id},
    ).scalar()
    if company is None:
        raise NotFound(
            f"no open list entry {entry_id}",
            message_zh="该榜单记录不存在或已结束",
            where={"entry_id": entry_id},
        )
    session.execute(
        text("UPDATE property_company SET list_status = 'none' WHERE id = :c"), {"c": company}
    )
