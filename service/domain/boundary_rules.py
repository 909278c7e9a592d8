"""DOMAIN.md's boundary rules for an import, as a plan: added, changed, unchanged, refused.

Nothing is repaired: a feature that breaks a rule is refused with the reason and a location.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from service.domain.vocabulary import CHINA_BBOX

M_PER_DEG = 111_320.0
TOLERANCE_M = 1.0
OVERLAP_M2 = 1.0
SAME_GEOMETRY_DEG = 1e-6  # ~0.1 m: what a GeoJSON / text round trip may move a vertex

CODE_PATTERNS = {
    "streets": re.compile(r"^\d{9}$"),
    "communities": re.compile(r"^\d{12}$"),
    "residential_areas": re.compile(r"^\d{12}R\d{3}$"),
    "grid_cells": re.compile(r"^\d{15}$"),
}
PARENT_CODE_LENGTH = {"streets": 6, "communities": 9, "residential_areas": 12, "grid_cells": 12}
ATTRIBUTES = {
    "streets": ("name",),
    "communities": ("name",),
    "residential_areas": ("name", "households", "buildings", "build_year"),
    "grid_cells": ("households",),
}
NEEDS_NAME = {"streets", "communities", "residential_areas"}


@dataclass
class Incoming:
    """One feature read from a file (attributes already named as in the export)."""

    code: str
    attrs: dict[str, Any]
    geom: BaseGeometry | None
    row: int


@dataclass
class Existing:
    code: str
    parent_code: str
    attrs: dict[str, Any]
    geom: BaseGeometry


@dataclass
class Decision:
    code: str
    row: int
    action: str  # added | changed | unchanged | refused
    reasons: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    location: list[float] | None = None
    feature: Incoming | None = None

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "row": self.row, "action": self.action}
        if self.reasons:
            out["reasons"] = self.reasons
        if self.changed:
            out["changed"] = self.changed
        if self.location:
            out["location"] = self.location
        return out


def _where(geom: BaseGeometry | None) -> list[float] | None:
    if geom is None or geom.is_empty:
        return None
    try:
        p = geom.representative_point()
        return [round(p.x, 7), round(p.y, 7)]
    except Exception:  # invalid geometry: fall back to a vertex
        x, y = shapely.get_coordinates(geom)[0]
        return [round(float(x), 7), round(float(y), 7)]


def _validity_location(geom: BaseGeometry) -> list[float] | None:
    m = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", shapely.is_valid_reason(geom))
    return [float(m.group(1)), float(m.group(2))] if m else _where(geom)


def geometry_problems(geom: BaseGeometry | None, max_vertices: int) -> tuple[list[str], Any]:
    """Reasons a geometry is unusable, and where (never fixed here)."""
    if geom is None or geom.is_empty:
        return ["geometry missing (缺少几何)"], None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return [f"geometry is {geom.geom_type}, expected a polygon (应为面)"], _where(geom)
    coords = shapely.get_coordinates(geom)
    if not bool(shapely.is_valid(geom)) or not all(map(math.isfinite, coords.ravel())):
        if not all(map(math.isfinite, coords.ravel())):
            return ["non-finite coordinate (坐标非有限数)"], None
        reason = shapely.is_valid_reason(geom)
        return [f"invalid geometry: {reason} (几何无效)"], _validity_location(geom)
    x1, y1, x2, y2 = CHINA_BBOX
    outside = coords[
        (coords[:, 0] < x1) | (coords[:, 0] > x2) | (coords[:, 1] < y1) | (coords[:, 1] > y2)
    ]
    if len(outside):
        where = [float(outside[0][0]), float(outside[0][1])]
        return ["coordinate outside China, lon/lat swapped? (坐标不在中国境内)"], where
    if len(coords) > max_vertices:
        return [f"{len(coords)} vertices > {max_vertices} (顶点过多)"], _where(geom)
    return [], None


def _tolerance_deg(geom: BaseGeometry) -> float:
    lat = geom.centroid.y
    return TOLERANCE_M / (M_PER_DEG * max(math.cos(math.radians(lat)), 0.1))


def outside_parent(child: BaseGeometry, parent: BaseGeometry) -> list[float] | None:
    """A point of `child` lying more than ~1 m outside `parent`, or None."""
    spill = child.difference(parent.buffer(_tolerance_deg(child)))
    return None if spill.is_empty else _where(spill)


def overlap_m2(a: BaseGeometry, b: BaseGeometry) -> tuple[float, list[float] | None]:
    inter = a.intersection(b)
    if inter.is_empty:
        return 0.0, None
    lat = math.radians(inter.centroid.y)
    return inter.area * M_PER_DEG * M_PER_DEG * math.cos(lat), _where(inter)


def same_geometry(a: BaseGeometry, b: BaseGeometry) -> bool:
    na, nb = shapely.normalize(shapely.force_2d(a)), shapely.normalize(shapely.force_2d(b))
    if na.geom_type != nb.geom_type:
        na, nb = shapely.normalize(_multi(na)), shapely.normalize(_multi(nb))
    return bool(shapely.equals_exact(na, nb, tolerance=SAME_GEOMETRY_DEG))


def _multi(g: BaseGeometry) -> BaseGeometry:
    return shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g  # type: ignore[list-item]


def attribute_changes(new: dict[str, Any], old: dict[str, Any], layer: str) -> list[str]:
    """Names of attributes the file changes (absent in the file = unchanged)."""
    return [a for a in ATTRIBUTES[layer] if a in new and new[a] != old.get(a)]
