"""The grid integrity report, computed in PostGIS.

Overlays (ST_Union, ST_Difference, ST_Intersection) run on the stored lon/lat geometry, whose
edges are straight in lon/lat. Their areas are the planar lon/lat area times the square metres
per square degree at the community's latitude (within 0.5 % over a community), compared with a
square-metre tolerance. Projecting a result (to a Gauss-Krüger zone or to geography) would bend
its long straight edges, turning zero-width slivers on shared edges into false square metres.
Every overlay runs with a fixed-precision grid of 1e-9 degrees (about 0.1 mm): snap-rounded
overlays stay robust where floating-point noise leaves zero-width slivers along shared edges
(without it GEOS can misjudge a 小区 against a union with such a sliver as wholly uncovered).
The 1 m containment buffer is built in the community's CGCS2000 3-degree Gauss-Krüger zone
(EPSG:4534-4554; 4547 for Zhengzhou) and brought back to lon/lat.

Pairs are found by bounding box (&&) or ST_DWithin(a, b, 0) (PostGIS's own distance code),
never by ST_Intersects: GEOS 3.11's relate is not snap-rounded, and on valid shapes with nearly
coincident edges (a 小区 re-imported from a GeoJSON export beside cells drawn from the original)
it can throw "side location conflict". The snap-rounded overlay's area decides instead, and
runs only on valid geometry (a CASE, so the planner cannot evaluate it before the validity
test). Should GEOS still fail, the check kind that failed becomes a `check_incomplete` finding,
so the report is shown with what it could not check rather than not at all.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.domain.grid_findings import Finding

# communities under check, each with the EPSG code of its 3-degree Gauss-Krüger zone
_SCOPE = """
WITH cc AS (
  SELECT c.id, c.code, c.geom,
         4534 + LEAST(20, GREATEST(0, round((ST_X(ST_Centroid(c.geom)) - 75) / 3)))::int AS srid,
         -- square metres per square degree at the community's latitude
         111320.0 * cos(radians(ST_Y(ST_Centroid(c.geom)))) * 110574.0 AS k
  FROM community c WHERE c.id = ANY(:ids)
), cells AS (
  SELECT g.*, cc.code AS community_code, cc.srid, cc.k FROM grid_cell g
  JOIN cc ON cc.id = g.community_id WHERE g.is_active
)
"""

_QUERIES: dict[str, str] = {
    "invalid_geometry": """
SELECT ARRAY[code] AS codes, community_code,
       ST_AsGeoJSON((ST_IsValidDetail(geom)).location) AS loc, NULL AS geom, '{}' AS detail
FROM cells WHERE NOT ST_IsValid(geom)""",
    "outside_community": """
SELECT ARRAY[g.code], g.community_code, ST_AsGeoJSON(ST_PointOnSurface(x.m)),
       ST_AsGeoJSON(x.m), json_build_object('area_m2', round(x.a::numeric, 1))::text
FROM cells g JOIN cc ON cc.id = g.community_id
CROSS JOIN LATERAL (SELECT CASE WHEN ST_IsValid(g.geom) THEN ST_Difference(g.geom,
    ST_Transform(ST_Buffer(ST_Transform(cc.geom, g.srid), 1.0), 4326), :grid) END AS m) d
CROSS JOIN LATERAL (SELECT d.m, ST_Area(d.m) * g.k AS a) x
WHERE x.a > :tol""",
    "overlap": """
SELECT ARRAY[a.code, b.code], a.community_code, ST_AsGeoJSON(ST_PointOnSurface(x.m)),
       ST_AsGeoJSON(x.m), json_build_object('area_m2', round(x.a::numeric, 1))::text
FROM cells a JOIN grid_cell b
  ON b.is_active AND b.id <> a.id AND a.geom && b.geom
  AND (b.community_id <> a.community_id OR a.id < b.id)
CROSS JOIN LATERAL (SELECT CASE WHEN ST_IsValid(a.geom) AND ST_IsValid(b.geom)
    THEN ST_CollectionExtract(ST_Intersection(a.geom, b.geom, :grid), 3) END AS m) d
CROSS JOIN LATERAL (SELECT d.m, ST_Area(d.m) * a.k AS a) x
WHERE x.a > :tol""",
    "gap": """
SELECT ARRAY[]::text[], cc.code, ST_AsGeoJSON(ST_PointOnSurface(d.geom)),
       ST_AsGeoJSON(d.geom),
       json_build_object('area_m2', round((ST_Area(d.geom) * cc.k)::numeric, 1))::text
FROM cc JOIN LATERAL (
  SELECT ST_Union(geom, :grid) AS u FROM cells WHERE community_id = cc.id AND ST_IsValid(geom)
) cov ON cov.u IS NOT NULL
CROSS JOIN LATERAL ST_Dump(ST_Difference(cc.geom, cov.u, :grid)) d
WHERE ST_Area(d.geom) * cc.k > :tol""",
    "community_without_cells": """
SELECT ARRAY[]::text[], cc.code, ST_AsGeoJSON(ST_PointOnSurface(cc.geom)), NULL, '{}'
FROM cc WHERE NOT EXISTS (SELECT 1 FROM cells WHERE community_id = cc.id)""",
    "residential_area_not_covered": """
SELECT ARRAY[r.code], cc.code, ST_AsGeoJSON(ST_PointOnSurface(x.m)), ST_AsGeoJSON(x.m),
       json_build_object('area_m2', round(x.a::numeric, 1))::text
FROM cc JOIN residential_area r ON r.community_id = cc.id
CROSS JOIN LATERAL (
  SELECT CASE WHEN ST_IsValid(r.geom) THEN ST_Difference(r.geom,
    coalesce(ST_Union(g.geom, :grid), ST_SetSRID('POLYGON EMPTY'::geometry, 4326)), :grid) END AS m
  FROM cells g WHERE g.community_id = cc.id AND ST_DWithin(g.geom, r.geom, 0)
    AND ST_IsValid(g.geom)
) d
CROSS JOIN LATERAL (SELECT d.m, ST_Area(d.m) * cc.k AS a) x
WHERE x.a > :tol""",
    "residential_area_split_unrecorded": """
SELECT array_agg(p.code ORDER BY p.code) || ARRAY[r.code], cc.code,
       ST_AsGeoJSON(ST_PointOnSurface(r.geom)), NULL,
       json_build_object('residential_area', r.code)::text
FROM cc JOIN residential_area r ON r.community_id = cc.id
JOIN LATERAL (
  SELECT g.id, g.code FROM cells g
  WHERE ST_DWithin(g.geom, r.geom, 0)
    AND CASE WHEN ST_IsValid(g.geom) AND ST_IsValid(r.geom)
        THEN ST_Area(ST_Intersection(g.geom, r.geom, :grid)) * cc.k > :tol ELSE false END
) p ON true
GROUP BY r.id, r.code, r.geom, cc.code
HAVING count(*) > 1 AND bool_or(NOT EXISTS (
  SELECT 1 FROM residential_area_split s
  WHERE s.residential_area_id = r.id AND s.cell_id = p.id))""",
    "no_primary_worker": """
SELECT ARRAY[g.code], g.community_code, ST_AsGeoJSON(ST_PointOnSurface(g.geom)), NULL, '{}'
FROM cells g WHERE NOT EXISTS (
  SELECT 1 FROM grid_assignment a WHERE a.cell_id = g.id AND a.is_primary
    AND a.valid_to IS NULL AND a.valid_from <= current_date)""",
    "households_below_min": """
SELECT ARRAY[code], community_code, ST_AsGeoJSON(ST_PointOnSurface(geom)), NULL,
       json_build_object('households', households, 'min', :hmin)::text
FROM cells WHERE households < :hmin""",
    "households_above_max": """
SELECT ARRAY[code], community_code, ST_AsGeoJSON(ST_PointOnSurface(geom)), NULL,
       json_build_object('households', households, 'max', :hmax)::text
FROM cells WHERE households > :hmax""",
    "duplicate_code": """
SELECT ARRAY[code], min(community_code), ST_AsGeoJSON(ST_PointOnSurface(ST_Collect(geom))),
       NULL, json_build_object('count', count(*))::text
FROM cells GROUP BY code HAVING count(*) > 1""",
    "code_not_in_community": """
SELECT ARRAY[code], community_code, ST_AsGeoJSON(ST_PointOnSurface(geom)), NULL, '{}'
FROM cells WHERE left(code, 12) <> community_code""",
}

CHECK_KINDS = tuple(_QUERIES)
OVERLAY_GRID_DEG = 1e-9


def check_grids(
    session: Session,
    community_ids: list[int],
    *,
    households_min: int,
    households_max: int,
    tolerance_m2: float = 1.0,
    kinds: tuple[str, ...] = CHECK_KINDS,
    on_geometry_failure_report: bool = True,
) -> list[Finding]:
    """Every integrity finding for the active cells of these communities.

    A GEOS failure in one check kind becomes one `check_incomplete` finding per community (the
    other kinds still run), or, with `on_geometry_failure_report=False`, is raised.
    """
    params: dict[str, Any] = {
        "ids": community_ids,
        "tol": tolerance_m2,
        "hmin": households_min,
        "hmax": households_max,
        "grid": OVERLAY_GRID_DEG,
    }
    findings: list[Finding] = []
    for kind in kinds:
        try:
            with session.begin_nested():
                rows = session.execute(text(_SCOPE + _QUERIES[kind]), params).all()
        except DBAPIError as exc:
            if not _is_geometry_failure(exc) or not on_geometry_failure_report:
                raise
            findings.extend(_incomplete(session, community_ids, kind, exc))
            continue
        for codes, community, loc, geom, detail in rows:
            findings.append(
                Finding(
                    kind=kind,
                    codes=list(codes),
                    community=community,
                    location=json.loads(loc) if loc else None,
                    geometry=json.loads(geom) if geom else None,
                    detail=json.loads(detail) if detail else {},
                )
            )
    return findings


def _is_geometry_failure(exc: DBAPIError) -> bool:
    message = str(exc.orig)
    return "GEOS" in message or "TopologyException" in message


def _incomplete(
    session: Session, community_ids: list[int], kind: str, exc: DBAPIError
) -> list[Finding]:
    """One finding per community saying which check could not be completed, and why."""
    reason = str(exc.orig).splitlines()[0][:300]
    rows = session.execute(
        text(
            "SELECT code, ST_AsGeoJSON(ST_PointOnSurface(geom)) FROM community"
            " WHERE id = ANY(:ids) ORDER BY code"
        ),
        {"ids": community_ids},
    ).all()
    return [
        Finding(
            kind="check_incomplete",
            codes=[],
            community=code,
            location=json.loads(loc) if loc else None,
            detail={"check": kind, "error": reason},
        )
        for code, loc in rows
    ]
