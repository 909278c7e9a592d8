"""Reports: reading with the jurisdiction filter, nearby open reports, life-cycle updates, and
the checks that explain a refused filing (the filing itself is service.db.repositories.filing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import Report
from service.db.plans import execute_planned_for_values
from service.domain.principal import Principal
from service.domain.vocabulary import CLOSED_STATUSES, UNRESOLVED_STATUSES, sql_list

REPORT_VIEW = """
    SELECT r.id, r.category_code AS category, ec.name_zh AS category_name_zh,
      ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat, r.coordinate_system AS crs, r.accuracy_m,
      r.placed_by_hand, r.description, r.status, r.patrol_id, r.duplicate_of,
      gc.code AS grid_code, ra.code AS residential_area_code, c.code AS community_code,
      s.code AS street_code, d.code AS district_code, dep.code AS department,
      dep.name_zh AS department_name_zh, r.deadline_at AS deadline, r.escalation_level,
      u.username AS reporter, r.created_at, r.updated_at, r.closed_at, r.content_hash,
      r.category_code, r.deadline_at, r.district_id, r.street_id, r.community_id,
      r.grid_cell_id, r.department_id, r.reporter_id, r.channel, r.external_ref,
      r.caller_masked, r.reopened_count
    FROM report r
    JOIN event_category ec ON ec.code = r.category_code
    JOIN department dep ON dep.id = r.department_id
    JOIN district d ON d.id = r.district_id
    JOIN app_user u ON u.id = r.reporter_id
    LEFT JOIN grid_cell gc ON gc.id = r.grid_cell_id
    LEFT JOIN residential_area ra ON ra.id = r.residential_area_id
    LEFT JOIN community c ON c.id = r.community_id
    LEFT JOIN street s ON s.id = r.street_id
"""


# REPORT_VIEW over the rows of a CTE `near` (already read from report under its row-level
# security): the names and codes joined to them without reading report again
NEAR_VIEW = REPORT_VIEW.replace("FROM report r", "FROM near r")
assert NEAR_VIEW != REPORT_VIEW


def category_exists(session: Session, code: str) -> bool:
    found = session.scalar(
        text("SELECT 1 FROM event_category WHERE code = :c AND is_active"), {"c": code}
    )
    return found is not None


def point_in_district(session: Session, lon: float, lat: float, district_id: int | None) -> bool:
    found = session.scalar(
        text(
            "SELECT 1 FROM district WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat),"
            " 4326)) AND (CAST(:d AS integer) IS NULL OR id = :d)"
        ),
        {"lon": lon, "lat": lat, "d": district_id},
    )
    return found is not None


def patrol_is_mine(session: Session, patrol_id: uuid.UUID, actor: Principal) -> bool:
    found = session.scalar(
        text("SELECT 1 FROM patrol WHERE id = :id AND worker_id = :w"),
        {"id": patrol_id, "w": actor.id},
    )
    return found is not None


def report_area_clause(principal: Principal, scope: str) -> ColumnElement[bool]:
    """The jurisdiction filter on the report table: area, department routing, own reports."""
    return area_clause(
        principal,
        scope,
        district_col=Report.district_id,
        street_col=Report.street_id,
        community_col=Report.community_id,
        department_col=Report.department_id,
        owner_col=Report.reporter_id,
    )


def visibility(
    principal: Principal, scope: str, *, assists: bool = True
) -> tuple[str, dict[str, Any]]:
    """`report_area_clause` as SQL text on `r`, for the hand-written queries; a department also
    sees the reports it assists on (联合处置) unless `assists` is False."""
    clause = report_area_clause(principal, scope)
    compiled = clause.compile(compile_kwargs={"render_postcompile": True})
    sql = str(compiled).replace("report.", "r.")
    params = dict(compiled.params)
    if assists and principal.role == "department":
        sql = (
            f"({sql}) OR EXISTS (SELECT 1 FROM report_assist ras WHERE ras.report_id = r.id"  # noqa: S608
            " AND ras.department_id = :vis_assist_dep)"
        )
        params["vis_assist_dep"] = principal.department_id
    return sql, params


def get_report(
    session: Session, report_id: uuid.UUID, principal: Principal, scope: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """One report as the API shows it, or None when missing or outside the jurisdiction."""
    cond, params = visibility(principal, scope)
    sql = f"{REPORT_VIEW} WHERE r.id = :rid AND ({cond})"
    if lock:
        sql += " FOR UPDATE OF r"
    row = session.execute(text(sql), {**params, "rid": report_id}).mappings().first()
    return dict(row) if row else None


@dataclass(frozen=True)
class ReportFilter:
    bbox: tuple[float, float, float, float] | None = None
    status: str | None = None
    statuses: tuple[str, ...] | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: tuple[str, ...] | None = None
    filed_with_key: int | None = None  # an Open311 client reads only what it filed
    limit: int = 100
    offset: int = 0


def list_reports(
    session: Session, principal: Principal, scope: str, flt: ReportFilter
) -> tuple[list[dict[str, Any]], int]:
    """A page of reports, newest first, with the total count under the same filters."""
    cond, params = visibility(principal, scope)
    where = [f"({cond})"]
    if flt.bbox:
        where.append("r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(dict(zip(("x0", "y0", "x1", "y1"), flt.bbox, strict=True)))
    if flt.status:
        where.append("r.status = :status")
        params["status"] = flt.status
    if flt.statuses:
        where.append("r.status = ANY(:statuses)")
        params["statuses"] = list(flt.statuses)
    if flt.category:
        where.append("r.category_code = :category")
        params["category"] = flt.category
    if flt.since:
        where.append("r.created_at >= :since")
        params["since"] = flt.since
    if flt.until:
        where.append("r.created_at <= :until")
        params["until"] = flt.until
    if flt.ids:
        where.append("r.id = ANY(CAST(:ids AS uuid[]))")
        params["ids"] = list(flt.ids)
    if flt.filed_with_key is not None:
        where.append(
            "EXISTS (SELECT 1 FROM open311_request o WHERE o.report_id = r.id"
            " AND o.key_id = :filed_with_key)"
        )
        params["filed_with_key"] = flt.filed_with_key
    clause = " AND ".join(where)
    count_sql = f"SELECT count(*) AS n FROM report r WHERE {clause}"  # noqa: S608 (bound params)
    page_sql = (
        f"{REPORT_VIEW} WHERE {clause} ORDER BY r.created_at DESC, r.id LIMIT :lim OFFSET :off"
    )
    page_params = {**params, "lim": flt.limit, "off": flt.offset}
    if flt.bbox:  # a box may hold a street or the whole district: plan for the box at hand
        total = execute_planned_for_values(session, text(count_sql), params)[0]["n"]
        return execute_planned_for_values(session, text(page_sql), page_params), int(total)
    total = session.scalar(text(count_sql), params) or 0
    rows = session.execute(text(page_sql), page_params).mappings()
    return [dict(r) for r in rows], int(total)


def nearby_open(
    session: Session,
    principal: Principal,
    scope: str,
    *,
    category: str | None,
    lon: float,
    lat: float,
    radius_m: float,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Open reports (optionally of one category) within radius_m metres, nearest first.

    The nearest `limit` are found by a k-nearest-neighbour walk of report_open_geom_idx
    (planar distance in degrees; 028_open_geom_index), then ordered by their distance in metres: a
    street with thousands of reports on the same spot costs what a quiet one does.
    """
    cond, params = visibility(principal, scope)
    params.update(
        {"lon": lon, "lat": lat, "r": radius_m, "deg": radius_m / 80_000.0, "cat": category,
         "lim": limit}
    )  # fmt: skip
    unresolved = sql_list(UNRESOLVED_STATUSES)
    # cond comes from area_clause (bound parameters only); the status list is a constant so that
    # the partial index applies; no value is formatted in.
    sql = f"""
      WITH near AS MATERIALIZED (
        SELECT r.* FROM report r
        WHERE ({cond})
          AND r.status IN ({unresolved})
          AND (CAST(:cat AS text) IS NULL OR r.category_code = :cat)
          AND r.geom && ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg)
          AND ST_DWithin(r.geom::geography,
                         ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :r)
        ORDER BY r.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :lim)
      SELECT v.*, ST_Distance(ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326)::geography,
                              ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
      FROM ({NEAR_VIEW}) v
      ORDER BY distance_m, v.id
    """  # noqa: S608
    # The row estimate of the jurisdiction and row-level security filters is far too low, so
    # the planner prefers gathering every candidate by bitmap and sorting (50 ms where 2,400
    # reports share a spot) over the nearest-first index walk (under 1 ms); this statement
    # alone is planned without bitmap scans.
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    try:
        return [dict(r) for r in session.execute(text(sql), params).mappings()]
    finally:
        session.execute(text("SET LOCAL enable_bitmapscan TO DEFAULT"))


def history(session: Session, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT e.from_status, e.to_status, e.note, e.created_at, u.username AS actor"
            " FROM report_event e LEFT JOIN app_user u ON u.id = e.actor_id"
            " WHERE e.report_id = :id ORDER BY e.created_at, e.id"
        ),
        {"id": report_id},
    ).mappings()
    return [dict(r) for r in rows]


def apply_transition(
    session: Session,
    report_id: uuid.UUID,
    *,
    current: str,
    target: str,
    actor: Principal,
    note: str,
    duplicate_of: uuid.UUID | None,
    department_id: int | None = None,
) -> None:
    """Move the (locked) report to `target` and append the history row, in one statement;
    `department_id` routes it anew (派遣 to a department other than the category's)."""
    session.execute(
        text(
            f"""
            WITH up AS (
              UPDATE report SET status = :to, updated_at = now(),
                duplicate_of = COALESCE(CAST(:dup AS uuid), duplicate_of),
                department_id = COALESCE(CAST(:dep AS integer), department_id),
                closed_at = CASE WHEN :to IN ({sql_list(CLOSED_STATUSES)}) THEN now() END
              WHERE id = :id AND status = :from
              RETURNING id, street_id, district_id)
            INSERT INTO report_event (report_id, from_status, to_status, actor_id, note,
                                      street_id, district_id)
            SELECT id, :from, :to, :actor, :note, street_id, district_id FROM up
            """  # noqa: S608 - the vocabulary's constants only
        ),
        {
            "id": report_id,
            "from": current,
            "to": target,
            "actor": actor.id,
            "note": note,
            "dup": duplicate_of,
            "dep": department_id,
        },
    )


def has_evidence_photo(session: Session, report_id: uuid.UUID) -> bool:
    found = session.scalar(
        text("SELECT 1 FROM photo WHERE report_id = :id AND is_evidence LIMIT 1"), {"id": report_id}
    )
    return found is not None


def photo_ids(session: Session, report_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT id, is_evidence, width, height, created_at FROM photo"
            " WHERE report_id = :id ORDER BY created_at, id"
        ),
        {"id": report_id},
    ).mappings()
    return [dict(r) for r in rows]
