"""The /map page, its vector tiles and the small JSON calls behind popups and drill-down."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.api.deps import SessionDep, SettingsDep, require, require_in_statement, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.db.async_pool import on_live_connection
from service.db.repositories import map_features as repo
from service.db.repositories import map_labels as labels_repo
from service.db.repositories.tiles import LAYERS
from service.domain.bbox import parse_bbox
from service.domain.principal import Caller, Principal
from service.errors import OutsideJurisdiction, ValidationFailed
from service.services.tiles import TileService, tile_layer
from service.settings import Settings

router = APIRouter(tags=["map"])
MapReader = Annotated[Principal, Depends(require("map:read"))]
MVT = "application/vnd.mapbox-vector-tile"


def _now(settings: Settings) -> datetime:
    return datetime.now(UTC)


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require_page("map:read"))],
) -> HTMLResponse:
    from map_ui.map_page import render_map_page

    shell = load_shell(request, session, me)
    extent = repo.jurisdiction_extent(session, me, request.state.scope)
    html = render_map_page(
        user=me.username,
        role=me.role,
        level=me.level,
        extent=extent,
        basemap=settings.maps.base_map().for_page(),
        layers={name: layer.min_zoom for name, layer in LAYERS.items()},
        head=head_tags("地图"),
        header=header_html(shell, "map"),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf", summary="A vector tile of one layer")
async def read_tile(
    request: Request,
    caller: Annotated[Caller, Depends(require_in_statement("tile:read"))],
    layer: str,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    crs: Annotated[
        Literal["wgs84", "gcj02"],
        Query(description="gcj02: drawn in GCJ-02 for a GCJ-02 base map (data stay WGS84)"),
    ] = "wgs84",
) -> Response:
    # one statement on the asynchronous pool checks the token, reads the data versions and
    # renders or only checks, for a cached tile (service.services.tiles)
    spec = tile_layer(layer, z, x, y)
    tiles: TileService = request.app.state.tiles
    tile = await on_live_connection(
        request.app.state.async_pool,
        lambda conn: tiles.tile(conn, spec, caller.digest, z, x, y, crs),
    )
    # private: tiles differ per jurisdiction; revalidated so edits show at once
    headers = {"Cache-Control": "private, no-cache", "ETag": tile.etag}
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(tile.body, media_type=MVT, headers=headers)


@router.get("/api/map/labels", summary="Names to write on the map at this zoom (WGS84 points)")
def read_labels(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: MapReader,
    bbox: Annotated[str, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")],
    zoom: Annotated[int, Query(ge=0, le=22)],
) -> dict[str, Any]:
    box = parse_bbox(bbox)  # not four finite numbers in range: its own 422
    if (box[2] - box[0]) * (box[3] - box[1]) > settings.limits.max_bbox_degrees2:
        raise ValidationFailed(
            "bbox too large for labels",
            message_zh="缺少范围或范围过大，请放大地图",
            where={"field": "bbox", "value": bbox},
        )
    return {"labels": labels_repo.list_labels(session, me, request.state.scope, box, zoom)}


@router.get("/api/map/basemap", summary="The configured base map (tile URLs and their CRS)")
def read_basemap(settings: SettingsDep, me: MapReader) -> dict[str, Any]:
    return settings.maps.base_map().for_page()


@router.get("/api/map/extent", summary="Bounding box of the user's jurisdiction")
def read_extent(request: Request, session: SessionDep, me: MapReader) -> dict[str, Any]:
    return {"bbox": repo.jurisdiction_extent(session, me, request.state.scope)}


@router.get("/api/map/units", summary="Drill-down: streets, communities, 小区 or cells under one")
def read_units(
    request: Request,
    session: SessionDep,
    me: MapReader,
    level: Literal["street", "community", "residential_area", "grid_cell"],
    parent: int | None = None,
) -> dict[str, Any]:
    return {"units": repo.list_units(session, me, request.state.scope, level, parent)}


@router.get("/api/map/residential-areas/{area_id}", summary="A 小区's facts and recent reports")
def read_area(
    request: Request, session: SessionDep, settings: SettingsDep, me: MapReader, area_id: int
) -> dict[str, Any]:
    found = repo.residential_area_detail(
        session,
        me,
        request.state.scope,
        area_id,
        _now(settings),
        settings.policy.renovation_cutoff_year,
    )
    return _found(found, "residential_area", area_id)


@router.get("/api/map/grid-cells/{cell_id}", summary="A grid cell's worker, patrol and reports")
def read_cell(
    request: Request, session: SessionDep, settings: SettingsDep, me: MapReader, cell_id: int
) -> dict[str, Any]:
    found = repo.grid_cell_detail(session, me, request.state.scope, cell_id, _now(settings))
    return _found(found, "grid_cell", cell_id)


def _found(found: dict[str, Any] | None, kind: str, ident: int) -> dict[str, Any]:
    if found is None:
        raise OutsideJurisdiction(
            f"{kind} {ident} not found", message_zh="对象不存在或不在辖区内", where={kind: ident}
        )
    return found


@router.get("/api/map/reports", summary="Open reports in a bbox (aggregated at low zoom)")
def read_reports(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: MapReader,
    bbox: Annotated[str, Query(description="west,south,east,north in WGS84")],
    zoom: Annotated[int, Query(ge=0, le=22)],
) -> dict[str, Any]:
    box = parse_bbox(bbox, max_area=settings.limits.max_bbox_degrees2)
    bucket = None if zoom >= 15 else 360 / 2**zoom / 8  # ~32 px buckets on a 256 px tile
    rows = repo.open_reports_in_bbox(
        session,
        me,
        request.state.scope,
        box,
        _now(settings),
        bucket_deg=bucket,
        limit=settings.limits.max_page_size * 5,
    )
    return _feature_collection(rows, aggregated=bucket is not None)


def _feature_collection(rows: list[dict[str, Any]], *, aggregated: bool) -> dict[str, Any]:
    features = []
    for row in rows:
        lon, lat = row.pop("lon"), row.pop("lat")
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": row,
            }
        )
    return {"type": "FeatureCollection", "aggregated": aggregated, "features": features}
