"""Party organisation coverage over owners' committees, per unit (over the per-小区 facts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause, compile_clause
from service.domain.principal import Principal
from service.domain.record_flags import COMMITTEES, PARTY_ORGS

_UNIT_TABLES = {"district": "district", "street": "street", "community": "community"}


def party_coverage_rows(
    session: Session, principal: Principal, scope: str, level: str
) -> list[dict[str, Any]]:
    """Per unit at `level`: 小区 with an owners' committee, and those with a party organisation."""
    unit = _UNIT_TABLES[level]  # allow-listed identifier
    clause = area_clause(
        principal,
        scope,
        district_col=column("district_id"),
        street_col=column("street_id"),
        community_col=column("community_id"),
    )
    where, params = compile_clause(clause)
    rows = session.execute(
        text(
            f"SELECT u.id, u.code, u.name,"  # noqa: S608 - unit from an allow-list, values bound
            " count(*) FILTER (WHERE f.owners_committee_status = ANY(:committees)) AS committees,"
            " count(*) FILTER (WHERE f.owners_committee_status = ANY(:committees)"
            "   AND f.party_org_status = ANY(:orgs)) AS with_party_org"
            f" FROM (SELECT * FROM residential_area_fact WHERE {where}) f"
            f" JOIN {unit} u ON u.id = f.{unit}_id GROUP BY u.id, u.code, u.name ORDER BY u.code"
        ),
        {**params, "committees": list(COMMITTEES), "orgs": list(PARTY_ORGS)},
    )
    return [dict(r) for r in rows.mappings()]
