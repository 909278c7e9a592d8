"""GeoJSON shifted into the base map's frame for display (GCJ-02 base maps); data stay WGS84."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from service.domain.coords import wgs84_to_gcj02


def _to_gcj02(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])


def shift_collection(collection: dict[str, Any], crs: str) -> dict[str, Any]:
    """The FeatureCollection drawn in `crs` (a copy; unchanged for wgs84)."""
    if crs != "gcj02":
        return collection
    features = []
    for f in collection["features"]:
        geom = shapely.transform(shape(f["geometry"]), _to_gcj02)
        features.append({**f, "geometry": mapping(geom)})
    return {**collection, "features": features}


def shift_bounds(
    bounds: tuple[float, float, float, float] | None, crs: str
) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) in `crs`."""
    if bounds is None or crs != "gcj02":
        return bounds
    (x0, x1), (y0, y1) = wgs84_to_gcj02([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    return float(x0), float(y0), float(x1), float(y1)
