"""Names on the map from our own data: street, community, 小区 and grid-code label points."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.map_features import _where
from service.domain.principal import Principal

# level → (the SQL of its label points inside a bbox, jurisdiction columns, smallest zoom)
LABEL_SQL: dict[str, tuple[str, tuple[str, str | None, str | None], int]] = {
    "street": (
        "SELECT 'street' AS level, s.name, ST_X(p) AS lon, ST_Y(p) AS lat FROM street s,"
        " LATERAL ST_PointOnSurface(s.geom) p"
        " WHERE s.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)",
        ("s.district_id", "s.id", None),
        11,
    ),
    "community": (
        "SELECT 'community' AS level, c.name, ST_X(p) AS lon, ST_Y(p) AS lat FROM community c"
        " JOIN street s ON s.id = c.street_id, LATERAL ST_PointOnSurface(c.geom) p"
        " WHERE c.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)",
        ("s.district_id", "c.street_id", "c.id"),
        13,
    ),
    "residential_area": (
        "SELECT 'residential_area' AS level, r.name, ST_X(p) AS lon, ST_Y(p) AS lat"
        " FROM residential_area r JOIN residential_area_fact f ON f.residential_area_id = r.id,"
        " LATERAL ST_PointOnSurface(r.geom) p"
        " WHERE r.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)",
        ("f.district_id", "f.street_id", "f.community_id"),
        15,
    ),
    "grid_cell": (
        "SELECT 'grid_cell' AS level, g.code AS name, ST_X(p) AS lon, ST_Y(p) AS lat"
        " FROM grid_cell g JOIN community c ON c.id = g.community_id"
        " JOIN street s ON s.id = c.street_id, LATERAL ST_PointOnSurface(g.geom) p"
        " WHERE g.is_active AND g.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)",
        ("s.district_id", "c.street_id", "c.id"),
        17,
    ),
}
# the zoom above which a level's labels stop (the next level says more)
MAX_ZOOM = {"street": 14, "community": 16, "residential_area": 22, "grid_cell": 22}
LABELS_PER_LEVEL = 500


def levels_at(zoom: int) -> list[str]:
    """Which label levels a map at `zoom` shows."""
    return [lv for lv, (_, _, lo) in LABEL_SQL.items() if lo <= zoom <= MAX_ZOOM[lv]]


def list_labels(
    session: Session,
    principal: Principal,
    scope: str,
    bbox: tuple[float, float, float, float],
    zoom: int,
) -> list[dict[str, Any]]:
    """Label points (WGS84) of the levels shown at `zoom`, inside bbox and the jurisdiction."""
    w, s, e, n = bbox
    out: list[dict[str, Any]] = []
    for level in levels_at(zoom):
        sql, cols, _ = LABEL_SQL[level]
        where, params = _where(principal, scope, *cols)
        rows = session.execute(
            text(f"{sql} AND ({where}) LIMIT {LABELS_PER_LEVEL}"),  # noqa: S608 - constants; values bound
            {**params, "w": w, "s": s, "e": e, "n": n},
        )
        out.extend(dict(r._mapping) for r in rows)
    return out
