"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), with the jurisdiction filter inside.

Layers come from an allow-list; each has a minimum zoom (a street office does not need 20,000
grid outlines at zoom 10), and geometry is clipped and quantised to the tile by ST_AsMVTGeom.
The tile envelope is transformed to EPSG:4326 (the literal), so the GiST index on geom is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, literal_column, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.domain.principal import Principal

EXTENT = 4096
BUFFER = 64


@dataclass(frozen=True)
class TileLayer:
    name: str
    min_zoom: int
    tables: tuple[str, ...]  # data versions the layer depends on (cache key)
    columns: str  # SELECT list of attributes (fixed text, no input)
    source: str  # FROM … with aliases d/s/c used by the jurisdiction filter
    geom: str
    district: str
    street: str | None
    community: str | None
    only: str = "true"  # fixed extra condition, e.g. active cells only


LAYERS: dict[str, TileLayer] = {
    "street": TileLayer(
        "street",
        0,
        ("street",),
        "s.id, s.code, s.name",
        "street s",
        "s.geom",
        "s.district_id",
        "s.id",
        None,
    ),
    "community": TileLayer(
        "community",
        11,
        ("community", "street"),
        "c.id, c.code, c.name, c.street_id",
        "community c JOIN street s ON s.id = c.street_id",
        "c.geom",
        "s.district_id",
        "c.street_id",
        "c.id",
    ),
    "residential_area": TileLayer(
        "residential_area",
        10,
        ("residential_area",),
        "r.id, r.code, r.name, r.households, r.build_year, r.property_service_mode,"
        " r.party_org_status, r.owners_committee_status, r.renovation_status,"
        " r.renovation_planned_year, (r.build_year < :cutoff) AS renovation_eligible",
        "residential_area r JOIN residential_area_fact f ON f.residential_area_id = r.id",
        "r.geom",
        "f.district_id",
        "f.street_id",
        "f.community_id",
    ),
    "grid_cell": TileLayer(
        "grid_cell",
        13,
        ("grid_cell", "grid_assignment", "patrol", "app_user", "community"),
        "g.id, g.code, g.households, w.display_name AS primary_worker,"
        " (SELECT (CAST(:today AS date) - max(p.started_at)::date) FROM patrol p"
        "   WHERE p.grid_cell_id = g.id) AS days_since_patrol",
        "grid_cell g JOIN community c ON c.id = g.community_id"
        " JOIN street s ON s.id = c.street_id"
        " LEFT JOIN grid_assignment a ON a.cell_id = g.id AND a.is_primary"
        "   AND a.valid_to IS NULL"
        " LEFT JOIN app_user w ON w.id = a.worker_id",
        "g.geom",
        "s.district_id",
        "c.street_id",
        "c.id",
        "g.is_active",
    ),
}


def compile_clause(clause: ColumnElement[bool]) -> tuple[str, dict[str, Any]]:
    """SQL text and bound values of a jurisdiction clause, for a hand-written tile query."""
    dialect = PGDialect(paramstyle="named")  # no driver bind casts: text() must parse it
    compiled = clause.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


def layer_clause(layer: TileLayer, principal: Principal, scope: str) -> ColumnElement[bool]:
    """The jurisdiction filter on the layer's own id columns."""
    return area_clause(
        principal,
        scope,
        district_col=literal_column(layer.district),
        street_col=literal_column(layer.street) if layer.street else None,
        community_col=literal_column(layer.community) if layer.community else None,
    )


def render_tile(
    session: Session,
    layer: TileLayer,
    principal: Principal,
    scope: str,
    z: int,
    x: int,
    y: int,
    *,
    cutoff: int,
    today: str,
) -> bytes:
    """One layer of one tile as MVT bytes (empty bytes when nothing is there)."""
    if z < layer.min_zoom:
        return b""
    where, params = compile_clause(layer_clause(layer, principal, scope))
    sql = text(
        "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,"  # noqa: S608 - allow-listed layer
        " ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS env4326)"
        f" SELECT ST_AsMVT(t, :name, {EXTENT}, 'geom') FROM ("
        f" SELECT {layer.columns}, ST_AsMVTGeom(ST_Transform({layer.geom}, 3857), b.env,"
        f" {EXTENT}, {BUFFER}, true) AS geom"
        f" FROM {layer.source}, b WHERE {layer.geom} && b.env4326 AND ({where}) AND {layer.only}"
        ") t WHERE t.geom IS NOT NULL"
    )
    values = {
        **params,
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "name": layer.name,
        "cutoff": cutoff,
        "today": today,
    }
    if ":cutoff" not in layer.columns:
        values.pop("cutoff")
    if ":today" not in layer.columns:
        values.pop("today")
    tile = session.execute(sql, values).scalar()
    return bytes(tile or b"")
