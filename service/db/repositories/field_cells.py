"""Grid cells for the mobile map: the cells of my jurisdiction, mine marked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import Community, GridCell, Street
from service.domain.principal import Principal


def cells_geojson(session: Session, principal: Principal, scope: str, limit: int) -> dict[str, Any]:
    """A FeatureCollection of active cells visible to the principal (at most `limit`)."""
    clause = area_clause(
        principal,
        scope,
        district_col=Street.district_id,
        street_col=Community.street_id,
        community_col=GridCell.community_id,
    )
    compiled = clause.compile(compile_kwargs={"render_postcompile": True})
    sql = f"""
      SELECT grid_cell.code, community.name AS community_name,
        ST_AsGeoJSON(grid_cell.geom, 6) AS geom,
        EXISTS (SELECT 1 FROM grid_assignment a WHERE a.cell_id = grid_cell.id
                AND a.worker_id = :me AND a.valid_to IS NULL) AS mine
      FROM grid_cell JOIN community ON community.id = grid_cell.community_id
      JOIN street ON street.id = community.street_id
      WHERE grid_cell.is_active AND ({compiled})
      ORDER BY grid_cell.code LIMIT :lim
    """  # noqa: S608 (the clause carries bound parameters only)
    rows = session.execute(text(sql), {**compiled.params, "me": principal.id, "lim": limit})
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(r.geom),
            "properties": {"code": r.code, "community": r.community_name, "mine": r.mine},
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}
