"""GET /api/exports/{layer}.{format}: any layer, filtered, streamed (docs/exports-and-ogc.md).

Every export runs on the stream pool (service.db.engine.create_stream_engine) under the
stream budget (per-account and per-process caps, 429 beyond them), and is sent by
GuardedStream: a client that stops reading is cut off and its connection given back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text

from service.api.deps import require, set_rls_identity
from service.api.guarded_stream import GuardedStream
from service.api.routes.export_params import ExportParams, export_params
from service.api.stream_budget import StreamBudget
from service.domain.principal import Principal
from service.services.exports import (
    ExportRequest,
    build_export_file,
    stream_export,
    validate_request,
)

router = APIRouter(prefix="/api/exports", tags=["exports"])
FILE_CHUNK_BYTES = 64 * 1024


def _split(name: str) -> tuple[str, str]:
    layer, _, fmt = name.partition(".")
    return layer, fmt


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(FILE_CHUNK_BYTES):
            yield chunk


@router.get(
    "/{name}",
    summary="Export a layer (GeoJSON, CSV, GeoPackage, zipped Shapefile)",
    response_model=None,
    responses={429: {"description": "too many exports running (per account or in all)"}},
)
def export_layer(
    name: str,
    request: Request,
    me: Annotated[Principal, Depends(require("export:read"))],
    params: Annotated[ExportParams, Depends(export_params)],
) -> GuardedStream:
    """`name` is `<layer>.<format>`, e.g. `reports.geojson`, `grid_cells.shp.zip`."""
    layer, fmt = _split(name)
    req = ExportRequest(layer=layer, fmt=fmt, crs=params.crs, flt=params.flt, labels=params.labels)
    validate_request(req)
    scope = request.state.scope
    engine = request.app.state.stream_engine
    budget: StreamBudget = request.app.state.stream_budget
    settings = request.app.state.settings

    def prepare(session):  # type: ignore[no-untyped-def]
        set_rls_identity(session, me)
        # times leave in Beijing time with their offset (PostgreSQL writes GeoJSON's itself)
        session.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))

    headers = {**_disposition(req.filename), "X-Wangge-CRS": req.crs}
    lease = budget.acquire(me.id)
    try:
        if fmt in ("geojson", "csv"):
            body = stream_export(engine, me, scope, req, prepare=prepare)
            return GuardedStream(
                body,
                lease=lease,
                send_timeout_s=settings.http.stream_send_timeout_s,
                media_type=req.media_type,
                headers=headers,
            )
        # GeoPackage and Shapefile are written to disk at the database's pace first; the
        # stream connection is back in its pool before the first byte goes to the client.
        path, _ = build_export_file(engine, me, scope, req, prepare=prepare)
        return GuardedStream(
            _file_chunks(path),
            lease=lease,
            send_timeout_s=settings.http.stream_send_timeout_s,
            media_type=req.media_type,
            headers={**headers, "Content-Length": str(path.stat().st_size)},
            on_close=lambda: shutil.rmtree(path.parent, ignore_errors=True),
        )
    except BaseException:
        lease.release()
        raise
