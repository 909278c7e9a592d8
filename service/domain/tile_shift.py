"""Vector tiles drawn in GCJ-02 for a GCJ-02 base map: one affine map per tile.

The GCJ-02 offset changes slowly (its fastest term has a period of 1/3 degree, ~30 km), so over
one tile it is an affine map to well under a metre from zoom 13 and to well under a pixel at
any zoom. The tile SQL applies it with ST_Affine (in EPSG:3857) to the stored WGS84 geometry;
nothing stored changes. Fitted through three tile corners, shifted with the exact formula.
"""

from __future__ import annotations

import math

from service.domain.coords import wgs84_to_gcj02

R = 6378137.0
HALF = math.pi * R  # half the width of the EPSG:3857 world


def _tile_corners(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    minx = -HALF + x * size
    maxy = HALF - y * size
    return minx, maxy - size, minx + size, maxy


def _to_lonlat(mx: float, my: float) -> tuple[float, float]:
    return math.degrees(mx / R), math.degrees(2 * math.atan(math.exp(my / R)) - math.pi / 2)


def _to_mercator(lon: float, lat: float) -> tuple[float, float]:
    return math.radians(lon) * R, R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _shifted(mx: float, my: float) -> tuple[float, float]:
    lon, lat = _to_lonlat(mx, my)
    glon, glat = wgs84_to_gcj02(lon, lat)
    return _to_mercator(float(glon), float(glat))


def gcj02_tile_affine(z: int, x: int, y: int) -> tuple[float, float, float, float, float, float]:
    """(a, b, d, e, xoff, yoff) for ST_Affine: x' = a·x + b·y + xoff, y' = d·x + e·y + yoff."""
    minx, miny, maxx, maxy = _tile_corners(z, x, y)
    q0 = _shifted(minx, miny)
    q1 = _shifted(maxx, miny)
    q2 = _shifted(minx, maxy)
    w, h = maxx - minx, maxy - miny
    a, d = (q1[0] - q0[0]) / w, (q1[1] - q0[1]) / w
    b, e = (q2[0] - q0[0]) / h, (q2[1] - q0[1]) / h
    return a, b, d, e, q0[0] - a * minx - b * miny, q0[1] - d * minx - e * miny


def source_window(z: int, x: int, y: int, margin: float) -> tuple[float, float, float, float]:
    """The EPSG:3857 box of stored geometry that can land in tile (z, x, y) once shifted:
    the tile (plus its margin) moved back by the offset at its centre, padded for the
    offset's change across the tile."""
    minx, miny, maxx, maxy = _tile_corners(z, x, y)
    pad = (maxx - minx) * margin
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    sx, sy = _shifted(cx, cy)
    dx, dy = sx - cx, sy - cy
    slack = pad + 0.01 * (maxx - minx) + 50.0
    return minx - dx - slack, miny - dy - slack, maxx - dx + slack, maxy - dy + slack
