"""Coverage statistics over the precomputed per-小区 facts (no spatial join at query time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    and_,
    case,
    column,
    func,
    not_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.domain.coverage import COVERED, INDICATORS, LEVELS
from service.domain.principal import Principal
from service.domain.vocabulary import CLOSED_STATUSES, sql_list

fact = table(
    "residential_area_fact",
    column("residential_area_id", Integer),
    column("district_id", Integer),
    column("street_id", Integer),
    column("community_id", Integer),
    column("households", Integer),
    column("build_year", Integer),
    column("property_service_mode", Text),
    column("party_org_status", Text),
    column("owners_committee_status", Text),
    column("renovation_status", Text),
)
change = table(
    "residential_area_change",
    column("residential_area_id", Integer),
    column("attribute", Text),
    column("old_value", Text),
    column("new_value", Text),
    column("changed_at"),
)
district_t = table("district", column("id", Integer), column("code", Text), column("name", Text))
street_t = table(
    "street",
    column("id", Integer),
    column("code", Text),
    column("name", Text),
    column("district_id", Integer),
)
community_t = table(
    "community",
    column("id", Integer),
    column("code", Text),
    column("name", Text),
    column("street_id", Integer),
)
UNIT_TABLES = {"district": district_t, "street": street_t, "community": community_t}


def fact_clause(principal: Principal, scope: str) -> ColumnElement[bool]:
    """The jurisdiction filter on the fact table."""
    return area_clause(
        principal,
        scope,
        district_col=fact.c.district_id,
        street_col=fact.c.street_id,
        community_col=fact.c.community_id,
    )


def covered(indicator: str, cutoff: int, *, status: Any = None) -> ColumnElement[bool]:
    """Whether a fact row (or a status expression from the history) counts as covered."""
    rule = COVERED[indicator]
    value = status if status is not None else fact.c[rule.column]
    cond = value.not_in(rule.values) if rule.negate else value.in_(rule.values)
    return and_(eligible(cutoff), cond) if indicator == "renovation" else cond


def eligible(cutoff: int) -> ColumnElement[bool]:
    """Old 小区 eligible for renovation: built before the cut-off year."""
    return fact.c.build_year < cutoff


def _counts(cutoff: int) -> list[Any]:
    hh = fact.c.households
    cols: list[Any] = [
        func.count(fact.c.residential_area_id).label("areas"),
        func.coalesce(func.sum(hh), 0).label("households"),
    ]
    for name in INDICATORS:
        cond = covered(name, cutoff)
        cols.append(func.count().filter(cond).label(f"{name}_areas"))
        cols.append(func.coalesce(func.sum(hh).filter(cond), 0).label(f"{name}_households"))
    old = eligible(cutoff)
    cols += [
        func.count().filter(old).label("eligible_areas"),
        func.coalesce(func.sum(hh).filter(old), 0).label("eligible_households"),
        func.count().filter(and_(old, fact.c.renovation_status == "planned")).label("planned"),
        func.count()
        .filter(and_(old, fact.c.renovation_status == "in_progress"))
        .label("in_progress"),
    ]
    return cols


def _units_in_scope(level: str, principal: Principal, scope: str) -> Any:
    """Ids of the units at `level` that hold any community inside the jurisdiction."""
    c, s = community_t, street_t
    unit_id = {"district": s.c.district_id, "street": c.c.street_id, "community": c.c.id}[level]
    clause = area_clause(
        principal,
        scope,
        district_col=s.c.district_id,
        street_col=c.c.street_id,
        community_col=c.c.id,
    )
    return select(unit_id).select_from(c.join(s, s.c.id == c.c.street_id)).where(clause)


def coverage_by_unit(
    session: Session, principal: Principal, scope: str, level: str, cutoff: int
) -> list[dict[str, Any]]:
    """Per district, street or community: counts of 小区/households covered per indicator."""
    if level not in LEVELS:
        raise ValueError(level)
    unit = UNIT_TABLES[level]
    key = fact.c[f"{level}_id"]
    on = and_(key == unit.c.id, fact_clause(principal, scope))
    query = (
        select(unit.c.id, unit.c.code, unit.c.name, *_counts(cutoff))
        .select_from(unit.outerjoin(fact, on))
        .where(unit.c.id.in_(_units_in_scope(level, principal, scope)))
        .group_by(unit.c.id, unit.c.code, unit.c.name)
        .order_by(unit.c.code)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def coverage_changes_by_month(
    session: Session, principal: Principal, scope: str, cutoff: int, since: datetime
) -> list[dict[str, Any]]:
    """Net change of covered 小区/households per indicator and month, from the history.

    A change from old to new moves the covered count by covered(new) - covered(old); summing
    the changes after a month's end and subtracting them from today's count gives that month.
    """
    month = func.date_trunc("month", change.c.changed_at).label("month")
    cols: list[Any] = [month]
    for name in INDICATORS:
        attr = {
            "property_service": "property_service_mode",
            "party_org": "party_org_status",
            "owners_committee": "owners_committee_status",
            "renovation": "renovation_status",
        }[name]
        delta = case((covered(name, cutoff, status=change.c.new_value), 1), else_=0) - case(
            (covered(name, cutoff, status=change.c.old_value), 1), else_=0
        )
        delta = case((change.c.attribute == attr, delta), else_=0)
        cols.append(func.sum(delta).label(f"{name}_areas"))
        cols.append(func.sum(delta * fact.c.households).label(f"{name}_households"))
    query = (
        select(*cols)
        .select_from(change.join(fact, fact.c.residential_area_id == change.c.residential_area_id))
        .where(fact_clause(principal, scope), change.c.changed_at >= since)
        .group_by(month)
        .order_by(month)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def scope_totals(session: Session, principal: Principal, scope: str, cutoff: int) -> dict[str, Any]:
    """Today's counts over the whole jurisdiction."""
    query = select(*_counts(cutoff)).where(fact_clause(principal, scope))
    return dict(session.execute(query).one()._mapping)


def reports_by_department(
    session: Session, principal: Principal, scope: str, now: datetime
) -> list[dict[str, Any]]:
    """Open and overdue reports per department inside the jurisdiction."""
    report = table(
        "report",
        column("district_id", Integer),
        column("street_id", Integer),
        column("community_id", Integer),
        column("department_id", Integer),
        column("status", Text),
        column("deadline_at"),
    )
    dept = table(
        "department",
        column("id", Integer),
        column("code", Text),
        column("name_zh", Text),
    )
    is_open = not_(report.c.status.in_(CLOSED_STATUSES))
    clause = area_clause(
        principal,
        scope,
        district_col=report.c.district_id,
        street_col=report.c.street_id,
        community_col=report.c.community_id,
        department_col=report.c.department_id,
    )
    query = (
        select(
            dept.c.id,
            dept.c.code,
            dept.c.name_zh,
            func.count().label("open"),
            func.count().filter(report.c.deadline_at < now).label("overdue"),
        )
        .select_from(report.join(dept, dept.c.id == report.c.department_id))
        .where(clause, is_open)
        .group_by(dept.c.id, dept.c.code, dept.c.name_zh)
        .order_by(func.count().desc(), dept.c.code)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def data_version(session: Session, tables: tuple[str, ...]) -> tuple[int, ...]:
    """The change counters of `tables` (bumped by triggers on every write)."""
    rows = session.execute(
        text("SELECT table_name, version FROM wangge_data_version WHERE table_name = ANY(:names)"),
        {"names": list(tables)},
    ).all()
    found: dict[str, int] = {str(name): int(v) for name, v in rows}
    return tuple(int(found.get(name, 0)) for name in tables)


def _covered_counts() -> str:
    """COVERED as SQL over residential_area r, for the indicators without a cut-off."""
    parts = []
    for name in ("property_service", "party_org", "owners_committee"):
        rule = COVERED[name]
        op = "NOT IN" if rule.negate else "IN"
        test = f"r.{rule.column} {op} ({sql_list(rule.values)})"
        parts.append(f"count(*) FILTER (WHERE {test}) AS {name}_areas")
    return ", ".join(parts)


def coverage_by_spatial_join(session: Session, level: str, district_id: int) -> list[Any]:
    """Baseline for the benchmark: the same counts, assigning 小区 to units by geometry."""
    if level not in LEVELS:
        raise ValueError(level)
    unit = {"district": "district", "street": "street", "community": "community"}[level]
    parent = {
        "district": "u.id = :d",
        "street": "u.district_id = :d",
        "community": "u.street_id IN (SELECT id FROM street WHERE district_id = :d)",
    }[level]
    sql = text(
        "SELECT u.id, count(r.id) AS areas, coalesce(sum(r.households), 0) AS households,"  # noqa: S608 - unit from an allow-list
        f" {_covered_counts()}"
        f" FROM {unit} u LEFT JOIN residential_area r"
        "   ON ST_Contains(u.geom, ST_PointOnSurface(r.geom))"
        f" WHERE {parent} GROUP BY u.id ORDER BY u.id"
    )
    return list(session.execute(sql, {"d": district_id}).all())
