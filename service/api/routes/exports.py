"""GET /api/exports/{layer}.{format}: any layer, filtered, streamed (docs/exports-and-ogc.md)."""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import text
from starlette.background import BackgroundTask

from service.api.deps import require, set_rls_identity
from service.api.routes.export_params import ExportParams, export_params
from service.domain.principal import Principal
from service.exports.service import (
    ExportRequest,
    build_export_file,
    stream_export,
    validate_request,
)

router = APIRouter(prefix="/api/exports", tags=["exports"])


def _split(name: str) -> tuple[str, str]:
    layer, _, fmt = name.partition(".")
    return layer, fmt


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "/{name}",
    summary="Export a layer (GeoJSON, CSV, GeoPackage, zipped Shapefile)",
    response_model=None,
)
def export_layer(
    name: str,
    request: Request,
    me: Annotated[Principal, Depends(require("export:read"))],
    params: Annotated[ExportParams, Depends(export_params)],
) -> StreamingResponse | FileResponse:
    """`name` is `<layer>.<format>`, e.g. `reports.geojson`, `grid_cells.shp.zip`."""
    layer, fmt = _split(name)
    req = ExportRequest(layer=layer, fmt=fmt, crs=params.crs, flt=params.flt, labels=params.labels)
    validate_request(req)
    scope = request.state.scope
    engine = request.app.state.engine

    def prepare(session):  # type: ignore[no-untyped-def]
        set_rls_identity(session, me)
        # times leave in Beijing time with their offset (PostgreSQL writes GeoJSON's itself)
        session.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))

    headers = {**_disposition(req.filename), "X-Wangge-CRS": req.crs}
    if fmt in ("geojson", "csv"):
        body = stream_export(engine, me, scope, req, prepare=prepare)
        return StreamingResponse(body, media_type=req.media_type, headers=headers)
    path, _ = build_export_file(engine, me, scope, req, prepare=prepare)
    return FileResponse(
        path,
        media_type=req.media_type,
        headers=headers,
        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True),
    )
