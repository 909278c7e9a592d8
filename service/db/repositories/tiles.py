"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), with the jurisdiction filter inside.

Layers come from an allow-list; each has a minimum zoom (a street office does not need 20,000
grid outlines at zoom 10), and geometry is clipped and quantised to the tile by ST_AsMVTGeom.
The 小区 and cell layers read trigger-maintained fact tables whose geometry is already in
EPSG:3857; the small boundary layers transform the tile envelope (the literal) to EPSG:4326 so
the GiST index on geom is used. Below a layer's detail zoom a tile carries only the attributes
the map styles by. The token check, the data versions (the cache tag) and the rendering are
one statement on the asynchronous pool; a cached tile costs one small statement (token check
and versions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from service.db.jurisdiction import area_sql
from service.db.repositories.assessments import grade_class_sql
from service.domain.principal import Principal
from service.domain.tile_shift import gcj02_tile_affine, source_window

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


COMPANY_GRADE_CLASS = grade_class_sql("co", "f.property_service_mode")

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
    # the 小区 coloured by their property company's current credit grade (A–D), with the 小区
    # served by no company apart: `none` when the record says 无物业, `no_company` for the other
    # modes without a registered company (自管, 准物业 …); its own layer so the other 小区 tiles
    # neither join the registry nor change when a grade does
    "company_grade": TileLayer(
        "company_grade",
        10,
        ("residential_area", "community", "property_company"),
        f"f.residential_area_id AS id, f.code, f.name, f.households, co.name AS company,"
        f" {COMPANY_GRADE_CLASS} AS grade",
        "residential_area_fact f JOIN residential_area r ON r.id = f.residential_area_id"
        " LEFT JOIN property_company co ON co.id = r.property_company_id",
        "f.geom_3857",
        "f.geom_3857 && b.envm",
        "f.district_id",
        "f.street_id",
        "f.community_id",
        overview_columns=f"f.residential_area_id AS id, {COMPANY_GRADE_CLASS} AS grade",
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


WHO_AND_VERSIONS = """
    WITH me AS MATERIALIZED (SELECT * FROM wangge_authenticate(%(digest)s::text)),
    v AS (SELECT array_agg(coalesce(d.version, 0) ORDER BY n.ord) AS versions
          FROM unnest(%(tables)s::text[]) WITH ORDINALITY AS n(name, ord)
          LEFT JOIN wangge_data_version d ON d.table_name = n.name)"""
WHO_COLUMNS = (
    "me.id, me.username, me.role, me.district_id, me.street_id, me.community_id,"
    " me.department_id, v.versions"
)
# who asks and the versions only: a cached tile, or one below its layer's minimum zoom
CHECK_SQL = f"{WHO_AND_VERSIONS} SELECT {WHO_COLUMNS} FROM v LEFT JOIN me ON true"  # noqa: S608
_statements: dict[tuple[str, bool, bool], str] = {}
# For a GCJ-02 base map: the stored geometry is searched in the window it comes from and drawn
# through the tile's affine WGS84 → GCJ-02 map (service/domain/tile_shift.py).
SHIFTED_WINDOW = (
    " b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,"
    " ST_MakeEnvelope(%(wx0)s, %(wy0)s, %(wx1)s, %(wy1)s, 3857) AS envm,"
    " ST_Transform(ST_MakeEnvelope(%(wx0)s, %(wy0)s, %(wx1)s, %(wy1)s, 3857), 4326) AS env4326)"
)


def tile_statement(layer: TileLayer, z: int, shifted: bool = False) -> str:
    """One statement: who asks (an unknown token gives NULLs and an empty tile), the data
    versions of the layer's tables (the cache tag) and the tile, clipped to the jurisdiction
    of the token's user (`area_sql` over POLICY["tile:read"])."""
    detail = not layer.overview_columns or z >= layer.detail_zoom
    cached = _statements.get((layer.name, detail, shifted))
    if cached is not None:
        return cached
    where = area_sql(
        "tile:read", district=layer.district, street=layer.street, community=layer.community
    )
    columns = (
        (layer.columns if detail else layer.overview_columns or layer.columns)
        .replace(":cutoff", "%(cutoff)s::integer")
        .replace(":today", "%(today)s::date")
    )
    window = (
        SHIFTED_WINDOW
        if shifted
        else (
            " b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,"
            " ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS envm,"
            " ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)"
            " AS env4326)"
        )
    )
    geom = layer.geom
    if shifted:
        geom = f"ST_Affine({geom}, %(a)s, %(b)s, %(d)s, %(e)s, %(xoff)s, %(yoff)s)"
    # allow-listed layer text, POLICY's role names and constants only; every value is bound
    sql = (
        f"{WHO_AND_VERSIONS},{window}"  # noqa: S608
        f" SELECT {WHO_COLUMNS},"
        f" (SELECT ST_AsMVT(t, %(name)s, {EXTENT}, 'geom') FROM ("
        f" SELECT {columns}, ST_AsMVTGeom({geom}, b.env, {EXTENT}, {BUFFER}, true) AS geom"
        f" FROM {layer.source}, b WHERE {layer.in_tile} AND {where}"
        ") t WHERE t.geom IS NOT NULL) AS tile"
        " FROM v LEFT JOIN me ON true"
    )
    _statements[(layer.name, detail, shifted)] = sql
    return sql


@dataclass(frozen=True)
class TileAnswer:
    """Who asked (None: the token is not valid), the data versions and the tile (if rendered)."""

    principal: Principal | None
    versions: tuple[int, ...]
    tile: bytes | None


def _answer(row: dict[str, Any], with_tile: bool) -> TileAnswer:
    principal = None
    if row["id"] is not None:
        principal = Principal(
            id=row["id"],
            username=row["username"],
            role=row["role"],
            district_id=row["district_id"],
            street_id=row["street_id"],
            community_id=row["community_id"],
            department_id=row["department_id"],
        )
    tile = bytes(row["tile"] or b"") if with_tile else None
    return TileAnswer(principal, tuple(int(v) for v in row["versions"]), tile)


async def check_tile(conn: AsyncConnection[Any], layer: TileLayer, digest: str) -> TileAnswer:
    """Who asks and the layer's data versions, without rendering (a cached or empty tile)."""
    cursor = await conn.execute(CHECK_SQL, {"digest": digest, "tables": list(layer.tables)})
    row = await cursor.fetchone()
    return _answer(row, with_tile=False)  # type: ignore[arg-type]


async def render_tile(
    conn: AsyncConnection[Any],
    layer: TileLayer,
    digest: str,
    z: int,
    x: int,
    y: int,
    *,
    cutoff: int,
    today: str,
    gcj02: bool = False,
) -> TileAnswer:
    """Who asks, the data versions and the tile, in one statement (one round trip);
    gcj02: the tile drawn in GCJ-02, for a GCJ-02 base map."""
    sql = tile_statement(layer, z, shifted=gcj02)
    values: dict[str, Any] = {
        "digest": digest,
        "tables": list(layer.tables),
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "name": layer.name,
    }
    if gcj02:
        a, b, d, e, xoff, yoff = gcj02_tile_affine(z, x, y)
        wx0, wy0, wx1, wy1 = source_window(z, x, y, BUFFER / EXTENT)
        values.update(a=a, b=b, d=d, e=e, xoff=xoff, yoff=yoff)
        values.update(wx0=wx0, wy0=wy0, wx1=wx1, wy1=wy1)
    if "%(cutoff)s" in sql:
        values["cutoff"] = cutoff
    if "%(today)s" in sql:
        values["today"] = today
    # binary results: the tile arrives as its bytes, not as hex text twice its size
    cursor = await conn.execute(sql, values, binary=True)
    row = await cursor.fetchone()
    return _answer(row, with_tile=True)  # type: ignore[arg-type]
