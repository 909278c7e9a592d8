"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), with the jurisdiction filter inside.

Layers come from an allow-list; each has a minimum zoom (a street office does not need 20,000
grid outlines at zoom 10), and geometry is clipped and quantised to the tile by ST_AsMVTGeom.
The 小区 and cell layers read trigger-maintained fact tables whose geometry is already in
EPSG:3857; the small boundary layers transform the tile envelope (the literal) to EPSG:4326 so
the GiST index on geom is used. Below a layer's detail zoom a tile carries only the attributes
the map styles by. The data-version check (the cache tag) and the rendering are one statement.
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
    source: str  # FROM … (fixed text)
    geom: str  # geometry in EPSG:3857 for ST_AsMVTGeom
    in_tile: str  # index-using test against the tile (b.env4326 or b.envm)
    district: str
    street: str | None
    community: str | None
    # below detail_zoom a feature is a few pixels: only what the map styles it by (its popup
    # loads the facts by id), which halves the biggest tiles
    overview_columns: str | None = None
    detail_zoom: int = 0

    def columns_at(self, z: int) -> str:
        return (
            self.overview_columns
            if self.overview_columns and z < self.detail_zoom
            else self.columns
        )


LAYERS: dict[str, TileLayer] = {
    "street": TileLayer(
        "street",
        0,
        ("street",),
        "s.id, s.code, s.name",
        "street s",
        "ST_Transform(s.geom, 3857)",
        "s.geom && b.env4326",
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
        "ST_Transform(c.geom, 3857)",
        "c.geom && b.env4326",
        "s.district_id",
        "c.street_id",
        "c.id",
    ),
    # the two big layers read their trigger-maintained fact tables: one table, geometry
    # already in EPSG:3857, jurisdiction ids on the row
    "residential_area": TileLayer(
        "residential_area",
        10,
        ("residential_area", "community"),
        "f.residential_area_id AS id, f.code, f.name, f.households, f.build_year,"
        " f.property_service_mode, f.party_org_status, f.owners_committee_status,"
        " f.renovation_status, f.renovation_planned_year,"
        " (f.build_year < :cutoff) AS renovation_eligible",
        "residential_area_fact f",
        "f.geom_3857",
        "f.geom_3857 && b.envm",
        "f.district_id",
        "f.street_id",
        "f.community_id",
        overview_columns="f.residential_area_id AS id, f.property_service_mode,"
        " f.party_org_status, f.owners_committee_status, f.renovation_status,"
        " (f.build_year < :cutoff) AS renovation_eligible",
        detail_zoom=13,
    ),
    "grid_cell": TileLayer(
        "grid_cell",
        13,
        ("grid_cell", "grid_assignment", "patrol", "app_user", "community"),
        "g.grid_cell_id AS id, g.code, g.households, g.primary_worker,"
        " (CAST(:today AS date) - g.last_patrol_at::date) AS days_since_patrol",
        "grid_cell_fact g",
        "g.geom_3857",
        "g.geom_3857 && b.envm",
        "g.district_id",
        "g.street_id",
        "g.community_id",
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
) -> tuple[tuple[int, ...], bytes]:
    """The data versions of the layer's tables (the cache tag) and the tile, in one statement."""
    if z < layer.min_zoom:
        return (), b""
    where, params = compile_clause(layer_clause(layer, principal, scope))
    columns = layer.columns_at(z)
    sql = text(
        "WITH v AS (SELECT array_agg(coalesce(d.version, 0) ORDER BY n.ord) AS versions"  # noqa: S608 - allow-listed layer
        " FROM unnest(CAST(:tables AS text[])) WITH ORDINALITY AS n(name, ord)"
        " LEFT JOIN wangge_data_version d ON d.table_name = n.name),"
        " b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,"
        " ST_TileEnvelope(:z, :x, :y, margin => :margin) AS envm,"
        " ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS env4326)"
        " SELECT v.versions,"
        f" (SELECT ST_AsMVT(t, :name, {EXTENT}, 'geom') FROM ("
        f" SELECT {columns}, ST_AsMVTGeom({layer.geom}, b.env,"
        f" {EXTENT}, {BUFFER}, true) AS geom"
        f" FROM {layer.source}, b WHERE {layer.in_tile} AND ({where})"
        ") t WHERE t.geom IS NOT NULL) FROM v"
    )
    values = {
        **params,
        "tables": list(layer.tables),
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "name": layer.name,
        "cutoff": cutoff,
        "today": today,
    }
    if ":cutoff" not in columns:
        values.pop("cutoff")
    if ":today" not in columns:
        values.pop("today")
    versions, tile = session.execute(sql, values).one()
    return tuple(int(v) for v in versions), bytes(tile or b"")
