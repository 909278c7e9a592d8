"""WGS84 → GCJ-02 for whole coordinate arrays (Amap / Tencent overlays), via domain.coords."""

from __future__ import annotations

import numpy as np

from service.domain.coords import wgs84_to_gcj02


def wgs84_to_gcj02_array(coords: np.ndarray) -> np.ndarray:
    """(N, 2) lon/lat WGS84 → (N, 2) lon/lat GCJ-02, one vectorised pass (shapely.transform)."""
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])
