"""Quarterly score sheets, the district's grades, rankings and the grade statistics."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause, compile_clause
from service.domain.assessment import Item
from service.domain.principal import Principal
from service.domain.surveys import Settled


def items(session: Session, district_id: int | None) -> list[Item]:
    """The active items of the score sheet a district's 小区 are assessed on, in order.

    A district that has saved a sheet of its own gets it; any other (and None) the default.
    """
    rows = session.execute(
        text(
            "SELECT code, name_zh, weight FROM assessment_item"
            " WHERE is_active AND district_id IS NOT DISTINCT FROM ("
            "   SELECT CASE WHEN EXISTS (SELECT 1 FROM assessment_item"
            "     WHERE district_id = CAST(:d AS integer)) THEN CAST(:d AS integer) END)"
            " ORDER BY position, code"
        ),
        {"d": district_id},
    )
    return [Item(code, name, Decimal(weight)) for code, name, weight in rows]


def replace_items(session: Session, district_id: int | None, new: list[dict[str, Any]]) -> None:
    """A district's new score sheet (None: the default one): listed items active in the given
    order, its other items retired. Other districts' sheets are not touched."""
    session.execute(
        text(
            "UPDATE assessment_item SET is_active = false"
            " WHERE district_id IS NOT DISTINCT FROM CAST(:d AS integer)"
        ),
        {"d": district_id},
    )
    for position, item in enumerate(new):
        session.execute(
            text(
                "INSERT INTO assessment_item (district_id, code, name_zh, weight, position,"
                " is_active) VALUES (:d, :code, :name_zh, :weight, :p, true)"
                " ON CONFLICT (district_id, code) DO UPDATE"
                " SET name_zh = EXCLUDED.name_zh, weight = EXCLUDED.weight,"
                " position = EXCLUDED.position, is_active = true"
            ),
            {**item, "p": position, "d": district_id},
        )


def district_of_area(session: Session, area_id: int) -> int:
    """The district a 小区 lies in (its sheet is that district's)."""
    return int(
        session.execute(
            text(
                "SELECT s.district_id FROM residential_area r"
                " JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id"
                " WHERE r.id = :a"
            ),
            {"a": area_id},
        ).scalar_one()
    )


def save_sheet(
    session: Session,
    *,
    company_id: int,
    area_id: int,
    quarter: str,
    scores: dict[str, Any],
    total: Decimal,
    evidence: str,
    by: int,
    satisfaction: Settled | None = None,
) -> int:
    """One 小区's sheet for a quarter (a later sheet for the same 小区 replaces the earlier),
    with where its owner-satisfaction score came from (None: the item is not on the sheet)."""
    return int(
        session.execute(
            text(
                "INSERT INTO property_assessment (company_id, residential_area_id, quarter,"
                " scores, total, evidence, assessed_by, satisfaction_basis, survey_responses,"
                " survey_score, satisfaction_reason) VALUES (:c, :a, :q, CAST(:s AS jsonb),"
                " :t, :e, :by, :basis, :responses, :survey_score, :reason)"
                " ON CONFLICT (company_id, residential_area_id, quarter) DO UPDATE"
                " SET scores = EXCLUDED.scores, total = EXCLUDED.total,"
                " evidence = EXCLUDED.evidence, assessed_by = EXCLUDED.assessed_by,"
                " satisfaction_basis = EXCLUDED.satisfaction_basis,"
                " survey_responses = EXCLUDED.survey_responses,"
                " survey_score = EXCLUDED.survey_score,"
                " satisfaction_reason = EXCLUDED.satisfaction_reason,"
                " assessed_at = now() RETURNING id"
            ),
            {
                "c": company_id,
                "a": area_id,
                "q": quarter,
                "s": json.dumps({k: float(v) for k, v in scores.items()}),
                "t": total,
                "e": evidence,
                "by": by,
                "basis": satisfaction.basis if satisfaction else None,
                "responses": satisfaction.responses if satisfaction else None,
                "survey_score": satisfaction.survey_score if satisfaction else None,
                "reason": satisfaction.reason if satisfaction else "",
            },
        ).scalar_one()
    )


def grade_class_sql(company: str = "co", mode: str = "r.property_service_mode") -> str:
    """A 小区's class on the grade layer (GRADE_CLASS_ZH) as SQL over the company alias
    `company` (left-joined) and the 小区's service-mode column `mode` (fixed text only)."""
    return (
        f"coalesce({company}.credit_grade, CASE WHEN {mode} = 'none' THEN 'none'"
        " ELSE 'no_company' END)"
    )


def _scope_sql(principal: Principal, scope: str) -> tuple[str, dict[str, Any]]:
    from sqlalchemy import column

    clause = area_clause(
        principal,
        scope,
        district_col=column("district_id"),
        street_col=column("street_id"),
        community_col=column("community_id"),
    )
    return compile_clause(clause)


_SHEETS = """
SELECT * FROM (
  SELECT p.id, p.company_id, co.name AS company, r.code AS residential_area,
         r.name AS residential_area_name, p.quarter, p.scores, p.total, p.evidence,
         p.assessed_at, p.satisfaction_basis, p.survey_responses, p.survey_score,
         p.satisfaction_reason, p.residential_area_id,
         s.district_id, c.street_id, c.id AS community_id,
         coalesce(nullif(u.display_name, ''), u.username) AS assessed_by
  FROM property_assessment p
  JOIN property_company co ON co.id = p.company_id
  JOIN residential_area r ON r.id = p.residential_area_id
  JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id
  LEFT JOIN app_user u ON u.id = p.assessed_by
  WHERE p.quarter = :quarter) x
"""


def sheets(
    session: Session, principal: Principal, scope: str, quarter: str
) -> list[dict[str, Any]]:
    """The quarter's score sheets of 小区 in the jurisdiction."""
    where, params = _scope_sql(principal, scope)
    rows = session.execute(
        text(_SHEETS + f" WHERE {where} ORDER BY company, residential_area"),
        {**params, "quarter": quarter},
    )
    return [dict(r) for r in rows.mappings()]


def save_grades(session: Session, quarter: str, graded: list[dict[str, Any]], by: int) -> None:
    """The quarter's grades (replacing a previous decision) and each company's current grade."""
    for row in graded:
        session.execute(
            text(
                "INSERT INTO company_grade (company_id, quarter, score, assessments, grade,"
                " rank, decided_by) VALUES (:company_id, :q, :score, :assessments, :grade,"
                " :rank, :by) ON CONFLICT (company_id, quarter) DO UPDATE SET"
                " score = EXCLUDED.score, assessments = EXCLUDED.assessments,"
                " grade = EXCLUDED.grade, rank = EXCLUDED.rank,"
                " decided_by = EXCLUDED.decided_by, decided_at = now()"
            ),
            {**row, "q": quarter, "by": by},
        )
        session.execute(
            text(
                "UPDATE property_company SET credit_grade = :g WHERE id = :c AND NOT EXISTS ("
                " SELECT 1 FROM company_grade WHERE company_id = :c AND quarter > :q)"
            ),
            {"g": row["grade"], "c": row["company_id"], "q": quarter},
        )


def grades(session: Session, quarter: str) -> list[dict[str, Any]]:
    """The quarter's decided grades, best first."""
    rows = session.execute(
        text(
            "SELECT g.company_id, co.name AS company, g.score, g.assessments, g.grade, g.rank,"
            " g.decided_at FROM company_grade g JOIN property_company co ON co.id = g.company_id"
            " WHERE g.quarter = :q ORDER BY g.rank, co.name"
        ),
        {"q": quarter},
    )
    return [dict(r) for r in rows.mappings()]


def latest_quarter(session: Session) -> str | None:
    """The most recent quarter with decided grades."""
    return session.execute(text("SELECT max(quarter) FROM company_grade")).scalar()


def grade_statistics(session: Session, principal: Principal, scope: str) -> list[dict[str, Any]]:
    """小区 and households per company grade (none = no company) in the jurisdiction."""
    where, params = _scope_sql(principal, scope)
    rows = session.execute(
        text(
            "SELECT grade, count(*) AS areas, coalesce(sum(households), 0) AS households FROM ("  # noqa: S608 - compiled clause, values bound
            f" SELECT {grade_class_sql()} AS grade, r.households, s.district_id,"
            " c.street_id, c.id AS community_id FROM residential_area r"
            " JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id"
            " LEFT JOIN property_company co ON co.id = r.property_company_id) x"
            f" WHERE {where} GROUP BY grade ORDER BY grade"
        ),
        params,
    )
    return [dict(r) for r in rows.mappings()]


def grade_features(session: Session, principal: Principal, scope: str) -> str:
    """A GeoJSON FeatureCollection (text, assembled by PostGIS) of 小区 by company grade."""
    where, params = _scope_sql(principal, scope)
    return str(
        session.execute(
            text(
                "SELECT json_build_object('type', 'FeatureCollection', 'features',"  # noqa: S608 - compiled clause, values bound
                " coalesce(json_agg(json_build_object('type', 'Feature', 'id', code,"
                " 'geometry', ST_AsGeoJSON(geom, 6)::json, 'properties', json_build_object("
                "'code', code, 'name', name, 'company', company, 'grade', grade))), '[]'))::text"
                " FROM (SELECT r.code, r.name, r.geom, co.name AS company,"
                f" {grade_class_sql()} AS grade, s.district_id, c.street_id,"
                " c.id AS community_id FROM residential_area r"
                " JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id"
                " LEFT JOIN property_company co ON co.id = r.property_company_id) x"
                f" WHERE {where}"
            ),
            params,
        ).scalar_one()
    )
