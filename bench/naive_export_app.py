"""The app plus one naive export route, for the benchmark's baseline only (never shipped).

The naive way: fetch every row into Python, build the whole FeatureCollection as dicts,
json.dumps it, send it. Same query, same jurisdiction filter, same PostGIS GeoJSON.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response

from service.api.deps import SessionDep, require
from service.db.repositories.export_layers import ExportFilter, geojson_select
from service.domain.principal import Principal
from service.main import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/bench/naive/{layer}.geojson")
    def naive_export(
        layer: str,
        request: Request,
        session: SessionDep,
        me: Annotated[Principal, Depends(require("export:read"))],
        limit: int | None = None,
    ) -> Response:
        stmt = geojson_select(layer, me, request.state.scope, ExportFilter()).limit(limit)
        rows = session.execute(stmt).all()
        features = [
            {
                "type": "Feature",
                "id": fid,
                "geometry": json.loads(geom),
                "properties": json.loads(props),
            }
            for fid, props, geom in rows
        ]
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        return Response(body.encode(), media_type="application/geo+json")

    return app
