"""Vectorised WGS84 → GCJ-02 shift for bulk exports (Amap / Tencent overlays).

GCJ-02 is the obfuscated datum Chinese web maps draw in; the offset is a few hundred metres.
Exports apply it to whole coordinate arrays at once, so a million points cost one numpy pass.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323


def _d_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _d_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02_array(coords: np.ndarray) -> np.ndarray:
    """(N, 2) lon/lat WGS84 → (N, 2) lon/lat GCJ-02 (inputs are inside China by schema)."""
    lon, lat = coords[:, 0], coords[:, 1]
    x, y = lon - 105.0, lat - 35.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = _d_lat(x, y) * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = _d_lon(x, y) * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return np.column_stack([lon + d_lon, lat + d_lat])
