"""GeoJSON geometry validation in one place: parse, check, and say what is wrong and where.

Every path that accepts a geometry from outside (API bodies, imports, edits) calls
`parse_geometry`; it returns a 2-D shapely geometry in WGS84 lon/lat or raises
`GeometryInvalid` / `OutsideArea` with an English and a Chinese reason and a location
(field, ring, position, coordinate). The database's CHECK (`wangge_geometry_ok`) is the last
line; this is the first, with the better message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from service.domain.vocabulary import CHINA_BBOX
from service.errors import GeometryInvalid, OutsideArea

# GeoJSON type → nesting depth of its "coordinates" (0 = one position).
_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
_TYPE_ZH = {
    "Point": "点",
    "MultiPoint": "多点",
    "LineString": "线",
    "MultiLineString": "多线",
    "Polygon": "面",
    "MultiPolygon": "多面",
}
_LOCATION = re.compile(r"\[\s*([-0-9.eE+]+)\s+([-0-9.eE+]+)\s*\]")


@dataclass(frozen=True)
class GeometryRules:
    """What a field accepts: its GeoJSON types, a vertex cap and an optional area to lie in."""

    field: str
    types: frozenset[str]
    max_vertices: int
    within: BaseGeometry | None = None
    within_name: str = ""


def parse_geometry(value: Any, rules: GeometryRules) -> BaseGeometry:
    """A valid 2-D shapely geometry from a GeoJSON geometry object, or a 422 saying why."""
    gtype = _check_envelope(value, rules)
    positions = _check_coordinates(value["coordinates"], gtype, rules)
    _check_extent(positions, rules.field)
    geom = shapely.force_2d(shape({"type": gtype, "coordinates": value["coordinates"]}))
    _check_validity(geom, rules.field)
    if rules.within is not None and not rules.within.covers(geom):
        raise OutsideArea(
            f"{rules.field}: geometry lies (partly) outside {rules.within_name}",
            message_zh=f"{rules.field}：图形（部分）超出{rules.within_name}范围",
            where={"field": rules.field, "area": rules.within_name},
        )
    return geom


def _invalid(rules_field: str, en: str, zh: str, **where: Any) -> GeometryInvalid:
    return GeometryInvalid(
        f"{rules_field}: {en}",
        message_zh=f"{rules_field}：{zh}",
        where={"field": rules_field, **where},
    )


def _check_envelope(value: Any, rules: GeometryRules) -> str:
    if not isinstance(value, dict):
        raise _invalid(rules.field, "not a GeoJSON geometry object", "不是 GeoJSON 几何对象")
    if "crs" in value:
        raise _invalid(
            rules.field,
            "a 'crs' member is not allowed (RFC 7946): send WGS84 longitude/latitude",
            "不允许 crs 成员（RFC 7946），坐标须为 WGS84 经纬度",
            member="crs",
        )
    gtype = value.get("type")
    if gtype not in _DEPTH:
        raise _invalid(
            rules.field,
            f"unsupported geometry type {gtype!r}",
            f"不支持的几何类型 {gtype!r}",
            type=repr(gtype)[:40],
        )
    if gtype not in rules.types:
        expected = ", ".join(sorted(rules.types))
        raise _invalid(
            rules.field,
            f"wrong geometry type {gtype}; this field takes {expected}",
            f"几何类型 {_TYPE_ZH[gtype]}（{gtype}）不适用，此字段需要 {expected}",
            type=gtype,
            expected=sorted(rules.types),
        )
    if "coordinates" not in value:
        raise _invalid(rules.field, "missing 'coordinates'", "缺少 coordinates")
    return str(gtype)


def _check_coordinates(coords: Any, gtype: str, rules: GeometryRules) -> list[tuple[float, float]]:
    """Walk the nesting, checking every position; returns all positions (2-D)."""
    positions: list[tuple[float, float]] = []
    field = rules.field

    def position(p: Any, path: tuple[int, ...]) -> None:
        if not isinstance(p, list | tuple) or len(p) not in (2, 3):
            raise _invalid(
                field, "a position must be [lon, lat]", "坐标须为 [经度, 纬度]", path=list(path)
            )
        for value in p:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _invalid(
                    field,
                    f"coordinate {value!r} is not a number",
                    f"坐标值 {value!r} 不是数字",
                    path=list(path),
                )
            if not math.isfinite(value):
                raise _invalid(
                    field,
                    f"coordinate {value} is not finite",
                    f"坐标值 {value} 不是有限数",
                    path=list(path),
                )
        positions.append((float(p[0]), float(p[1])))
        if len(positions) > rules.max_vertices:
            raise _invalid(
                field,
                f"more vertices than the limit max_geometry_vertices={rules.max_vertices}",
                f"顶点数超过上限（max_geometry_vertices={rules.max_vertices}）",
                limit="max_geometry_vertices",
                max=rules.max_vertices,
            )

    def walk(node: Any, depth: int, path: tuple[int, ...]) -> None:
        if depth == 0:
            position(node, path)
            return
        if not isinstance(node, list | tuple) or not node:
            raise _invalid(
                field, "empty or malformed coordinates", "坐标为空或结构错误", path=list(path)
            )
        for i, child in enumerate(node):
            walk(child, depth - 1, (*path, i))
        if _is_ring_level(gtype, depth):
            _check_ring(node, field, path)
        elif _is_line_level(gtype, depth) and len(node) < 2:
            raise _invalid(
                field, "a line needs at least 2 positions", "线至少需要 2 个点", path=list(path)
            )

    walk(coords, _DEPTH[gtype], ())
    return positions


def _is_ring_level(gtype: str, depth: int) -> bool:
    return gtype in ("Polygon", "MultiPolygon") and depth == 1


def _is_line_level(gtype: str, depth: int) -> bool:
    return gtype in ("LineString", "MultiLineString") and depth == 1


def _check_ring(ring: Sequence[Sequence[float]], field: str, path: tuple[int, ...]) -> None:
    if len(ring) < 4:
        raise _invalid(
            field,
            f"a ring needs at least 4 positions, got {len(ring)}",
            f"环至少需要 4 个点，实际 {len(ring)} 个",
            ring=list(path),
        )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise _invalid(
            field,
            "ring is not closed: the last position must repeat the first",
            "环未闭合：最后一个点须与第一个点相同",
            ring=list(path),
            first=list(ring[0][:2]),
            last=list(ring[-1][:2]),
        )


def _inside_china(lon: float, lat: float) -> bool:
    xmin, ymin, xmax, ymax = CHINA_BBOX
    return xmin <= lon <= xmax and ymin <= lat <= ymax


def _check_extent(positions: Iterable[tuple[float, float]], field: str) -> None:
    outside = [(x, y) for x, y in positions if not _inside_china(x, y)]
    if not outside:
        return
    x, y = outside[0]
    if all(_inside_china(b, a) for a, b in outside):
        raise OutsideArea(
            f"{field}: latitude and longitude look swapped: [{x}, {y}] is outside China, "
            f"[{y}, {x}] would be inside; GeoJSON order is [longitude, latitude]",
            message_zh=f"{field}：经纬度可能写反了：[{x}, {y}] 在中国范围外，[{y}, {x}] 在范围内；"
            "GeoJSON 顺序为 [经度, 纬度]",
            where={"field": field, "coordinate": [x, y], "swapped": True},
        )
    raise OutsideArea(
        f"{field}: coordinate [{x}, {y}] is outside China's extent",
        message_zh=f"{field}：坐标 [{x}, {y}] 超出中国范围",
        where={"field": field, "coordinate": [x, y]},
    )


def _check_validity(geom: BaseGeometry, field: str) -> None:
    if geom.is_empty:
        raise _invalid(field, "geometry is empty", "图形为空")
    if geom.is_valid:
        return
    reason = explain_validity(geom)
    where: dict[str, Any] = {"reason": reason}
    found = _LOCATION.search(reason)
    if found:
        where["coordinate"] = [float(found.group(1)), float(found.group(2))]
    kind = reason.split("[", 1)[0].strip()
    raise _invalid(
        field,
        f"invalid geometry: {reason}",
        f"图形无效（{_REASON_ZH.get(kind, kind)}）",
        **where,
    )


_REASON_ZH = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Interior is disconnected": "内部不连通",
    "Hole lies outside shell": "洞在外环之外",
    "Nested holes": "洞相互嵌套",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "重复的环",
    "Invalid Coordinate": "坐标无效",
}
