"""Geometry helpers for grid cells: a local metric frame, equal-area cuts, household shares.

Overlays (clip, union, difference) run on the lon/lat coordinates themselves, so a cell's
edge along a 小区 or community boundary reuses the stored vertices bit for bit (a projected
round trip would move them by ~1e-14 degrees, and GEOS then misjudges nearly coincident
edges). Lengths and areas use a local equirectangular frame (metres east/north of the
community's centre; scale error far below what household counts need): `LocalFrame` maps
points for distance work (Voronoi, ordering) and converts square metres to square degrees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

EARTH_M_PER_DEG_LAT = 110_574.0
EARTH_M_PER_DEG_LON_EQUATOR = 111_320.0
AREA_TOLERANCE_M2 = 1.0


@dataclass(frozen=True)
class LocalFrame:
    """Metres east/north of (lon0, lat0); to_metric and to_wgs84 are exact inverses."""

    lon0: float
    lat0: float

    @classmethod
    def around(cls, geom: BaseGeometry) -> LocalFrame:
        c = geom.centroid
        return cls(float(c.x), float(c.y))

    @property
    def kx(self) -> float:
        return EARTH_M_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))

    @property
    def m2_per_deg2(self) -> float:
        return self.kx * EARTH_M_PER_DEG_LAT

    @property
    def x_scale(self) -> float:
        """Metres per degree east over metres per degree north (for shape decisions)."""
        return self.kx / EARTH_M_PER_DEG_LAT

    def area_m2(self, geom: BaseGeometry) -> float:
        return float(geom.area) * self.m2_per_deg2

    def deg2(self, m2: float) -> float:
        """Square degrees for an area in square metres."""
        return m2 / self.m2_per_deg2

    @staticmethod
    def deg(m: float) -> float:
        """Degrees (north) for a length in metres; a conservative length in any direction."""
        return m / EARTH_M_PER_DEG_LAT

    def to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        kx, lon0, lat0 = self.kx, self.lon0, self.lat0
        return shapely.transform(geom, lambda c: (c - (lon0, lat0)) * (kx, EARTH_M_PER_DEG_LAT))

    def to_wgs84(self, geom: BaseGeometry) -> BaseGeometry:
        kx, lon0, lat0 = self.kx, self.lon0, self.lat0
        return shapely.transform(geom, lambda c: c / (kx, EARTH_M_PER_DEG_LAT) + (lon0, lat0))


def gk_epsg_for(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger CM EPSG code for a longitude (4547 = CM 114°E)."""
    zone = round((lon - 75.0) / 3.0)
    return 4534 + max(0, min(20, zone))


def polygons_of(geom: BaseGeometry, min_area: float = 0.0) -> list[Polygon]:
    """The polygon parts of any geometry (collections included), dropping parts below min_area."""
    parts: list[Polygon] = []
    for g in shapely.get_parts(geom):
        if isinstance(g, Polygon):
            if g.area > min_area:
                parts.append(g)
        elif isinstance(g, MultiPolygon) or g.geom_type == "GeometryCollection":
            parts.extend(polygons_of(g, min_area))
    return parts


def as_multipolygon(geom: BaseGeometry, min_area: float = 0.0) -> MultiPolygon:
    """A valid MultiPolygon of the polygonal parts of geom."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return MultiPolygon(polygons_of(geom, min_area))


def clip_to_box(
    geom: BaseGeometry, xmin: float, ymin: float, xmax: float, ymax: float
) -> BaseGeometry:
    """geom inside a rectangle: GEOS's fast clip, or an exact overlay where the clip fails."""
    try:
        return shapely.clip_by_rect(geom, xmin, ymin, xmax, ymax)
    except shapely.errors.GEOSException:
        return geom.intersection(box(xmin, ymin, xmax, ymax))


def equal_area_cut(geom: BaseGeometry, parts: int, x_scale: float = 1.0) -> list[BaseGeometry]:
    """Cut geom into `parts` strips of equal area across its longer bounding side
    (x_scale: how much longer a unit of x is than a unit of y, for lon/lat input)."""
    if parts <= 1:
        return [geom]
    xmin, ymin, xmax, ymax = geom.bounds
    vertical = (xmax - xmin) * x_scale >= (ymax - ymin)
    lo, hi = (xmin, xmax) if vertical else (ymin, ymax)
    pad = max(xmax - xmin, ymax - ymin)  # frames reach past the shape whatever its units
    total = geom.area

    def slab(a: float, b: float) -> BaseGeometry:
        if vertical:
            return clip_to_box(geom, a, ymin - pad, b, ymax + pad)
        return clip_to_box(geom, xmin - pad, a, xmax + pad, b)

    cuts = [lo]
    for i in range(1, parts):
        target = total * i / parts
        a, b = cuts[-1], hi
        for _ in range(30):  # (hi - lo) / 2**30: far below a millimetre
            mid = (a + b) / 2
            if slab(lo, mid).area < target:
                a = mid
            else:
                b = mid
        cuts.append((a + b) / 2)
    cuts.append(hi)
    pieces = []
    for i in range(parts):
        a = lo - pad if i == 0 else cuts[i]
        b = hi + pad if i == parts - 1 else cuts[i + 1]
        frame = box(a, ymin - pad, b, ymax + pad) if vertical else box(xmin - pad, a, xmax + pad, b)
        pieces.append(geom.intersection(frame))  # exact overlay for the pieces kept
    return pieces


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total in proportion to weights; the parts sum to total exactly."""
    wsum = sum(weights)
    if total <= 0 or wsum <= 0:
        return [0] * len(weights)
    raw = [total * w / wsum for w in weights]
    floors = [math.floor(r) for r in raw]
    rest = total - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[:rest]:
        floors[i] += 1
    return floors
