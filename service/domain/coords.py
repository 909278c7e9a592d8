"""Chinese map datums: WGS84 <-> GCJ-02 (Amap, Tencent) <-> BD-09 (Baidu).

GCJ-02 is WGS84 plus a published, deliberately irregular offset of a few hundred metres inside
mainland China; BD-09 adds a second, smaller polar shift on top of GCJ-02. The forward
transforms are closed formulas; the inverses have none, so they are solved here by fixed-point
iteration (forward(p) - p is smooth and small, so p_{k+1} = p_k - (forward(p_k) - target)
converges quickly). Against the forward formula the iterative inverse is better than 1e-9 degrees
(well under a millimetre) after a handful of iterations; the usual one-step inverse
(target - offset(target)) is off by up to a few metres.

Every function takes scalars or numpy arrays (longitude first) and returns the same shape.
Outside China the GCJ-02 offset is not applied (identity), as the published formula does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = np.pi * 3000.0 / 180.0
# The published "outside China" box: the offset is only applied inside it.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

CRS_NAMES = ("wgs84", "gcj02", "bd09")
_MAX_ITERATIONS = 30
_TOLERANCE_DEG = 1e-10

Float = NDArray[np.float64] | float


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _out(a: NDArray[np.float64]) -> Any:
    return float(a) if a.ndim == 0 else a


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the GCJ-02 offset applies (the formula's rough mainland box)."""
    x, y = _arrays(lon, lat)
    return (x >= _CHINA_LON[0]) & (x <= _CHINA_LON[1]) & (y >= _CHINA_LAT[0]) & (y <= _CHINA_LAT[1])


def _shift_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _shift_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def _gcj_offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The GCJ-02 offset (degrees) at a WGS84 position; zero outside China."""
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _bd_forward(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_inverse_approx(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _solve(forward: Any, lon: NDArray[np.float64], lat: NDArray[np.float64], guess: Any) -> Any:
    """Find p with forward(p) == (lon, lat) by fixed-point iteration from `guess`."""
    x, y = guess
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if max(float(np.max(np.abs(ex), initial=0.0)), float(np.max(np.abs(ey), initial=0.0))) < (
            _TOLERANCE_DEG
        ):
            break
    return x, y


def _gcj_forward(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """WGS84 -> GCJ-02 (the published closed formula)."""
    x, y = _gcj_forward(*_arrays(lon, lat))
    return _out(x), _out(y)


def gcj02_to_wgs84_one_step(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 -> WGS84 by subtracting the offset taken at the GCJ point (metres off; for tests)."""
    x, y = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return _out(x - dlon), _out(y - dlat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 -> WGS84 by iterating the forward formula (error < 1e-9 degrees)."""
    x, y = _arrays(lon, lat)
    rx, ry = _solve(_gcj_forward, x, y, gcj02_to_wgs84_one_step(x, y))
    return _out(np.asarray(rx)), _out(np.asarray(ry))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 -> BD-09 (Baidu's published closed formula)."""
    x, y = _bd_forward(*_arrays(lon, lat))
    return _out(x), _out(y)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """BD-09 -> GCJ-02: the published approximate inverse, refined by iteration."""
    x, y = _arrays(lon, lat)
    rx, ry = _solve(_bd_forward, x, y, _bd_inverse_approx(x, y))
    return _out(np.asarray(rx)), _out(np.asarray(ry))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """WGS84 -> BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """BD-09 -> WGS84 (both inverses iterative)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Any, Any]:
    """Convert from `crs` ('wgs84', 'gcj02' or 'bd09') to WGS84."""
    if crs == "wgs84":
        x, y = _arrays(lon, lat)
        return _out(x.copy()), _out(y.copy())
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")
