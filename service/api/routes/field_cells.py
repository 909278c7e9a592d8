"""The grid cells the mobile page draws (my community's cells, my own highlighted)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories.field_cells import cells_geojson
from service.domain.principal import Principal

router = APIRouter(prefix="/api", tags=["field"])


@router.get("/field/cells", summary="Grid cells in my jurisdiction as GeoJSON (mine marked)")
def my_cells(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("boundary:read"))],
) -> dict[str, Any]:
    return cells_geojson(session, me, request.state.scope, settings.limits.max_page_size)
