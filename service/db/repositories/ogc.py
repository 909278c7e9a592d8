"""Pages, single features and extents for OGC API – Features, over the export layer queries."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from service.db.repositories.export_layers import (
    ExportFilter,
    geojson_select,
    layer_query,
    where_clause,
)
from service.db.repositories.exports import count_rows
from service.domain.principal import Principal


def _feature(fid: str, props: str, geometry: str | None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": json.loads(geometry) if geometry else None,
        "properties": json.loads(props),
    }


def features_page(
    session: Session,
    layer: str,
    principal: Principal,
    scope: str,
    flt: ExportFilter,
    *,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of features ordered by id, and how many match in all."""
    q = layer_query(layer)
    stmt = geojson_select(layer, principal, scope, flt, q)
    matched = count_rows(session, stmt)
    # by the id itself, not its text: the primary key's index gives a page without sorting
    # (and building the GeoJSON of) every matching row first
    rows = session.execute(stmt.order_by(q.feature_id).limit(limit).offset(offset)).all()
    return [_feature(*r) for r in rows], matched


def feature_by_id(
    session: Session, layer: str, principal: Principal, scope: str, fid: str
) -> dict[str, Any] | None:
    """One feature, or None when absent or outside the caller's jurisdiction."""
    q = layer_query(layer)
    try:  # the id as its column's type, so the look-up uses the primary key
        key = q.feature_id.type.python_type(fid)
    except ValueError:
        return None
    stmt = geojson_select(layer, principal, scope, ExportFilter(), q).where(q.feature_id == key)
    row = session.execute(stmt).first()
    return _feature(*row) if row else None


def layer_extent(
    session: Session, layer: str, principal: Principal, scope: str
) -> list[float] | None:
    """[minLon, minLat, maxLon, maxLat] of what the caller may see, or None if nothing."""
    q = layer_query(layer)
    ext = func.ST_Extent(q.geom)
    row = session.execute(
        q.base.add_columns(
            func.ST_XMin(ext), func.ST_YMin(ext), func.ST_XMax(ext), func.ST_YMax(ext)
        ).where(where_clause(q, principal, scope, ExportFilter()))
    ).first()
    if row is None or row[0] is None:
        return None
    return [float(v) for v in row]
