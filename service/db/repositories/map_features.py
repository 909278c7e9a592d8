"""What the map page asks for besides tiles: extent, drill-down lists, popups, report points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause, compile_clause
from service.db.plans import execute_planned_for_values
from service.domain.principal import Principal
from service.domain.vocabulary import OPEN_STATUSES, sql_list

# Written into the SQL, not bound: a partial index over the open reports (report_map_open_idx,
# report_open_geom_idx) serves a statement only when its list is visible to the planner, and a
# prepared statement's generic plan does not see bound values.
OPEN_SQL = sql_list(OPEN_STATUSES)


def _where(
    principal: Principal, scope: str, d: str, s: str | None, c: str | None, dep: str | None = None
) -> tuple[str, dict[str, Any]]:
    clause = area_clause(
        principal,
        scope,
        district_col=literal_column(d),
        street_col=literal_column(s) if s else None,
        community_col=literal_column(c) if c else None,
        department_col=literal_column(dep) if dep else None,
    )
    return compile_clause(clause)


UNIT_SQL = {
    "street": (
        "SELECT s.id, s.code, s.name, ST_AsGeoJSON(ST_Envelope(s.geom))::json AS bbox"
        " FROM street s WHERE (CAST(:parent AS int) IS NULL OR s.district_id = :parent)",
        ("s.district_id", "s.id", None),
    ),
    "community": (
        "SELECT c.id, c.code, c.name, ST_AsGeoJSON(ST_Envelope(c.geom))::json AS bbox"
        " FROM community c JOIN street s ON s.id = c.street_id"
        " WHERE (CAST(:parent AS int) IS NULL OR c.street_id = :parent)",
        ("s.district_id", "c.street_id", "c.id"),
    ),
    "residential_area": (
        "SELECT r.id, r.code, r.name, ST_AsGeoJSON(ST_Envelope(r.geom))::json AS bbox"
        " FROM residential_area r JOIN residential_area_fact f ON f.residential_area_id = r.id"
        " WHERE (CAST(:parent AS int) IS NULL OR r.community_id = :parent)",
        ("f.district_id", "f.street_id", "f.community_id"),
    ),
    "grid_cell": (
        "SELECT g.id, g.code, g.code AS name, ST_AsGeoJSON(ST_Envelope(g.geom))::json AS bbox"
        " FROM grid_cell g JOIN community c ON c.id = g.community_id"
        " JOIN street s ON s.id = c.street_id"
        " WHERE g.is_active AND (CAST(:parent AS int) IS NULL OR EXISTS ("
        "   SELECT 1 FROM residential_area r WHERE r.id = :parent"
        # interiors meet: more than ~1 m² in common, by the snap-rounded overlay (GEOS 3.11's
        # ST_Intersects/ST_Touches can throw on nearly coincident corners; see grid_checks)
        "   AND r.community_id = g.community_id AND r.geom && g.geom"
        "   AND ST_Area(ST_Intersection(r.geom, g.geom, 1e-9)) > 1e-10))",
        ("s.district_id", "c.street_id", "c.id"),
    ),
}


def list_units(
    session: Session, principal: Principal, scope: str, level: str, parent: int | None
) -> list[dict[str, Any]]:
    """Drill-down: the units at `level` under `parent`, inside the jurisdiction, with bboxes."""
    sql, cols = UNIT_SQL[level]
    where, params = _where(principal, scope, *cols)
    rows = session.execute(
        text(f"{sql} AND ({where}) ORDER BY 2 LIMIT 2000"), {**params, "parent": parent}
    )
    return [dict(r._mapping) for r in rows]


def jurisdiction_extent(session: Session, principal: Principal, scope: str) -> list[float] | None:
    """[west, south, east, north] of what the user may see."""
    where, params = _where(principal, scope, "s.district_id", "c.street_id", "c.id")
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT"  # noqa: S608 - compiled clause, values bound
            " ST_Extent(c.geom) AS e FROM community c JOIN street s ON s.id = c.street_id"
            f" WHERE {where}) x"
        ),
        params,
    ).one()
    return None if row[0] is None else [float(v) for v in row]


def residential_area_detail(
    session: Session, principal: Principal, scope: str, area_id: int, now: datetime, cutoff: int
) -> dict[str, Any] | None:
    """One 小区's facts and its five most recent reports (None when outside the jurisdiction)."""
    where, params = _where(principal, scope, "f.district_id", "f.street_id", "f.community_id")
    row = session.execute(
        text(
            "SELECT r.id, r.code, r.name, r.households, r.buildings, r.build_year,"  # noqa: S608 - compiled clause, values bound
            " r.property_service_mode, pc.name AS property_company, pc.credit_grade,"
            " r.party_org_status, r.owners_committee_status, r.renovation_status,"
            " r.renovation_planned_year, (r.build_year < :cutoff) AS renovation_eligible,"
            " r.has_property_office, r.maintenance_fund_ratio::float AS maintenance_fund_ratio,"
            " c.name AS community, s.name AS street"
            " FROM residential_area r JOIN residential_area_fact f ON f.residential_area_id = r.id"
            " JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id"
            " LEFT JOIN property_company pc ON pc.id = r.property_company_id"
            f" WHERE r.id = :id AND ({where})"
        ),
        {**params, "id": area_id, "cutoff": cutoff},
    ).first()
    if row is None:
        return None
    detail = dict(row._mapping)
    rwhere, rparams = _where(
        principal, scope, "p.district_id", "p.street_id", "p.community_id", "p.department_id"
    )
    reports = session.execute(
        text(
            "SELECT p.id::text, p.status, p.description, e.name_zh AS category,"  # noqa: S608 - compiled clause, values bound
            f" p.created_at, (p.deadline_at < :now AND p.status IN ({OPEN_SQL})) AS overdue"
            " FROM report p JOIN event_category e ON e.code = p.category_code"
            f" WHERE p.residential_area_id = :id AND ({rwhere})"
            " ORDER BY p.created_at DESC LIMIT 5"
        ),
        {**rparams, "id": area_id, "now": now},
    )
    detail["recent_reports"] = [dict(r._mapping) for r in reports]
    return detail


def grid_cell_detail(
    session: Session, principal: Principal, scope: str, cell_id: int, now: datetime
) -> dict[str, Any] | None:
    """A cell's community, primary worker, last patrol and open/overdue report counts."""
    where, params = _where(principal, scope, "s.district_id", "c.street_id", "c.id")
    row = session.execute(
        text(
            "SELECT g.id, g.code, g.households, c.name AS community, w.display_name AS"  # noqa: S608 - compiled clause, values bound
            " primary_worker, (SELECT max(started_at) FROM patrol p WHERE p.grid_cell_id = g.id)"
            " AS last_patrol_at,"
            " (SELECT count(*) FROM report p WHERE p.grid_cell_id = g.id"
            f"   AND p.status IN ({OPEN_SQL})) AS open_reports,"
            " (SELECT count(*) FROM report p WHERE p.grid_cell_id = g.id"
            f"   AND p.status IN ({OPEN_SQL})"
            "   AND p.deadline_at < :now) AS overdue_reports"
            " FROM grid_cell g JOIN community c ON c.id = g.community_id"
            " JOIN street s ON s.id = c.street_id"
            " LEFT JOIN grid_assignment a ON a.cell_id = g.id AND a.is_primary"
            "   AND a.valid_to IS NULL LEFT JOIN app_user w ON w.id = a.worker_id"
            f" WHERE g.id = :id AND ({where})"
        ),
        {**params, "id": cell_id, "now": now},
    ).first()
    return None if row is None else dict(row._mapping)


def open_reports_in_bbox(
    session: Session,
    principal: Principal,
    scope: str,
    bbox: tuple[float, float, float, float],
    now: datetime,
    *,
    bucket_deg: float | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Open reports in a bbox: one row per report, or per grid bucket when `bucket_deg` is set."""
    where, params = _where(
        principal, scope, "p.district_id", "p.street_id", "p.community_id", "p.department_id"
    )
    join = "" if bucket_deg else " JOIN event_category e ON e.code = p.category_code"
    base = (
        f" FROM report p{join} WHERE p.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
        f" AND p.status IN ({OPEN_SQL}) AND ({where})"
    )
    if bucket_deg:
        # buckets are integer grid squares; their mean point is the centroid of the reports
        # (cheaper than collecting geometries; index-only over report_map_open_idx)
        sql = (
            "SELECT count(*) AS count, count(*) FILTER (WHERE p.deadline_at < :now) AS overdue,"
            " avg(ST_X(p.geom)) AS lon, avg(ST_Y(p.geom)) AS lat"
            f"{base} GROUP BY floor(ST_X(p.geom) / :size), floor(ST_Y(p.geom) / :size)"
            " LIMIT :limit"
        )
    else:
        sql = (
            "SELECT p.id::text AS id, p.status, p.description, e.name_zh AS category,"
            " p.created_at, p.deadline_at < :now AS overdue, ST_X(p.geom) AS lon,"
            " ST_Y(p.geom) AS lat"
            f"{base}"
            " ORDER BY p.created_at DESC LIMIT :limit"
        )
    w, s, e, n = bbox
    values = {**params, "w": w, "s": s, "e": e, "n": n, "now": now}
    values.update({"limit": limit, "size": bucket_deg} if bucket_deg else {"limit": limit})
    statement = text(sql)
    if bucket_deg:  # a low zoom's box may hold the whole district: plan for the box at hand
        return execute_planned_for_values(session, statement, values)
    return [dict(r._mapping) for r in session.execute(statement, values)]
