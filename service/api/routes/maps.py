"""The /map page, its vector tiles and the small JSON calls behind popups and drill-down."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from psycopg import AsyncConnection

from service.api.deps import SessionDep, SettingsDep, require, require_in_statement, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.db.async_pool import on_live_connection
from service.db.repositories import map_features as repo
from service.db.repositories import map_labels as labels_repo
from service.db.repositories.tiles import (
    LAYERS,
    TileAnswer,
    TileLayer,
    check_tile,
    render_tile,
)
from service.domain.bbox import parse_bbox
from service.domain.policy import scope_for
from service.domain.principal import Caller, Principal
from service.domain.tile_cache import JurisdictionHints, TileCache
from service.errors import Forbidden, NotAuthenticated, OutsideJurisdiction, ValidationFailed
from service.settings import Settings

router = APIRouter(tags=["map"])
MapReader = Annotated[Principal, Depends(require("map:read"))]
MVT = "application/vnd.mapbox-vector-tile"


def _now(settings: Settings) -> datetime:
    return datetime.now(UTC)


def _today(settings: Settings) -> str:
    return (settings.policy.reference_date or datetime.now(UTC).date()).isoformat()


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


def _tile_cache(request: Request) -> TileCache:
    cache = getattr(request.app.state, "tile_cache", None)
    if cache is None:
        limit = request.app.state.settings.maps.tile_cache_bytes
        cache = request.app.state.tile_cache = TileCache(max_bytes=limit)
    return cache


def _jurisdiction_key(me: Principal) -> tuple[Any, ...]:
    return (me.role, me.district_id, me.street_id, me.community_id, me.department_id)


def _jurisdiction_hints(request: Request) -> JurisdictionHints:
    """token digest → the jurisdiction key it had at its last tile (bounded, like the cache)."""
    hints = getattr(request.app.state, "tile_hints", None)
    if hints is None:
        hints = request.app.state.tile_hints = JurisdictionHints()
    return hints


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf", summary="A vector tile of one layer")
async def read_tile(
    request: Request,
    settings: SettingsDep,
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
    # Every map pan asks for dozens of these: one statement on the asynchronous pool checks the
    # token, reads the data versions and renders (or only checks, for a cached tile).
    spec = LAYERS.get(layer)
    if spec is None:
        raise ValidationFailed(
            f"unknown layer {layer!r}; one of {sorted(LAYERS)}",
            message_zh="图层不存在",
            where={"field": "layer", "value": layer},
        )
    if x >= 2**z or y >= 2**z:
        raise ValidationFailed(
            "tile x/y outside the zoom level", message_zh="瓦片坐标超出范围", where=[z, x, y]
        )
    today = _today(settings)
    tile_key = (
        layer,
        z,
        x,
        y,
        settings.policy.renovation_cutoff_year,
        today if layer == "grid_cell" else None,
        crs,
    )
    key, versions, tile = await on_live_connection(
        request.app.state.async_pool,
        lambda conn: _current_tile(request, conn, spec, caller, tile_key),
    )
    etag = _etag(key, versions)
    # private: tiles differ per jurisdiction; revalidated so edits show at once
    headers = {"Cache-Control": "private, no-cache", "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(tile, media_type=MVT, headers=headers)


def _authorised(answer: TileAnswer) -> Principal:
    if answer.principal is None:
        raise NotAuthenticated.invalid_token()
    if scope_for(answer.principal, "tile:read") is None:
        raise Forbidden.for_action(answer.principal.role, "tile:read")
    return answer.principal


async def _current_tile(
    request: Request,
    conn: AsyncConnection[Any],
    spec: TileLayer,
    caller: Caller,
    tile_key: tuple[Any, ...],
) -> tuple[tuple[Any, ...], tuple[int, ...], bytes]:
    """(the cache key, the data versions, the tile): from the cache when neither
    the versions nor the asker's jurisdiction changed, else rendered.

    A cached entry is tagged with the versions it was rendered at and keyed by jurisdiction.
    Which jurisdiction a token has is remembered only as a hint to find its entries: the token
    is checked by the database on every request, in the same statement as the versions.
    """
    layer, z, x, y, cutoff, today, crs = tile_key
    cache, hints = _tile_cache(request), _jurisdiction_hints(request)
    hint = hints.get(caller.digest)
    if z < spec.min_zoom or (hint is not None and cache.tag_of((*tile_key, hint)) is not None):
        answer = await check_tile(conn, spec, caller.digest)
        me = _authorised(answer)
        key = (*tile_key, _jurisdiction_key(me))
        if z < spec.min_zoom:
            return key, (), b""
        cached = cache.get(key, tag=answer.versions)
        if cached is not None:
            return key, answer.versions, cached
    answer = await render_tile(
        conn, spec, caller.digest, z, x, y, cutoff=cutoff, today=today or "", gcj02=crs == "gcj02"
    )
    me = _authorised(answer)
    key = (*tile_key, _jurisdiction_key(me))
    hints[caller.digest] = key[-1]
    tile = answer.tile or b""
    cache.put(key, tile, tag=answer.versions)
    return key, answer.versions, tile


def _etag(key: tuple[Any, ...], versions: tuple[int, ...]) -> str:
    digest = hashlib.blake2b(repr((key, versions)).encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


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
