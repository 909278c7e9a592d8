"""The 小区 that keep a unit below each coverage target (the /stats page's to-do lists)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.map_features import _where
from service.domain.principal import Principal

# indicator → the condition a 小区 misses it by (the same rules as stats.covered)
MISSES = {
    "property_service": "f.property_service_mode = 'none'",
    "party_org": "f.party_org_status = 'none'",
    "owners_committee": "f.owners_committee_status NOT IN ('established', 'interim_committee')",
    "renovation": "f.build_year < :cutoff AND f.renovation_status NOT IN ('completed', 'accepted')",
}
LISTED = 50  # per indicator on the page; the count says how many in all


def shortfalls(
    session: Session, principal: Principal, scope: str, cutoff: int
) -> dict[str, dict[str, Any]]:
    """Per indicator: how many 小区 miss it and the first LISTED (name, community, a point)."""
    where, params = _where(principal, scope, "f.district_id", "f.street_id", "f.community_id")
    out: dict[str, dict[str, Any]] = {}
    for name, miss in MISSES.items():
        rows = session.execute(
            text(
                "SELECT r.id, r.code, r.name, c.name AS community, r.households,"  # noqa: S608 - constants; values bound
                " ST_Y(ST_PointOnSurface(r.geom)) AS lat, ST_X(ST_PointOnSurface(r.geom)) AS lon,"
                " count(*) OVER () AS total"
                " FROM residential_area_fact f"
                " JOIN residential_area r ON r.id = f.residential_area_id"
                " JOIN community c ON c.id = r.community_id"
                f" WHERE {miss} AND ({where}) ORDER BY r.households DESC, r.code LIMIT {LISTED}"
            ),
            {**params, "cutoff": cutoff},
        ).mappings()
        items = [dict(r) for r in rows]
        out[name] = {"total": int(items[0]["total"]) if items else 0, "areas": items}
    return out
