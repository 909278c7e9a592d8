"""Split, merge and redraw grid cells; checks before anything is written (pure shapely).

Every edit is expressed the same way: some active cells retire and new geometries replace
them. `check_edit` refuses, with the code and a location, anything that is invalid, leaves
the community (1 m tolerance), overlaps a sibling, or changes the area the edited cells
covered (which would open a gap or take ground from a cell outside the edit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import split as split_geometry

from service.domain.grid_geometry import (
    AREA_TOLERANCE_M2,
    LocalFrame,
    as_multipolygon,
    equal_area_cut,
    polygons_of,
)
from service.errors import GeometryInvalid, OutsideArea, ValidationFailed

EDGE_TOLERANCE_M = 1.0
MAX_PARTS = 20


@dataclass(frozen=True)
class CellState:
    code: str
    geom: BaseGeometry  # WGS84


def _point(geom: BaseGeometry) -> list[float]:
    if geom.is_empty:
        return []
    p = geom.representative_point()
    return [round(float(p.x), 7), round(float(p.y), 7)]


def drawn_geometry(raw: dict[str, Any], field: str, max_vertices: int) -> BaseGeometry:
    """A GeoJSON geometry an editor drew (a split line, a new boundary) as shapely, or refused."""
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise GeometryInvalid(
            f"{field} is not valid GeoJSON: {exc}",
            message_zh=f"{field} 不是有效的 GeoJSON",
            where={"field": field},
        ) from exc
    if shapely.get_num_coordinates(geom) > max_vertices:
        raise ValidationFailed(
            f"{field} has too many vertices", message_zh="顶点过多", where={"field": field}
        )
    if geom.is_empty or not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise GeometryInvalid(
            f"{field} is not valid: {reason}",
            message_zh=f"{field} 几何无效：{reason}",
            where={"field": field, "reason": reason},
        )
    return geom


def split_by_line(cell: CellState, line: BaseGeometry) -> list[MultiPolygon]:
    """The parts of `cell` on either side of a line drawn across it (WGS84 in and out)."""
    if not isinstance(line, LineString) or not line.is_valid or line.length == 0:
        raise GeometryInvalid(
            "the split line must be a valid LineString",
            message_zh="分割线必须是有效的折线",
            where={"field": "line", "code": cell.code},
        )
    frame = LocalFrame.around(cell.geom)
    tolerance = frame.deg2(AREA_TOLERANCE_M2)
    pieces = [p for p in polygons_of(split_geometry(cell.geom, line)) if p.area > tolerance]
    if len(pieces) < 2:
        raise ValidationFailed(
            f"the line does not cut cell {cell.code} into two parts",
            message_zh=f"分割线没有把网格 {cell.code} 分成两部分",
            where={"code": cell.code, "location": _point(cell.geom)},
        )
    return [as_multipolygon(p) for p in pieces]


def split_into(cell: CellState, parts: int) -> list[MultiPolygon]:
    """`cell` cut into `parts` strips of equal area across its longer side."""
    if not 2 <= parts <= MAX_PARTS:
        raise ValidationFailed(
            f"parts must be between 2 and {MAX_PARTS}",
            message_zh=f"分割份数须在 2 到 {MAX_PARTS} 之间",
            where={"field": "parts", "code": cell.code},
        )
    frame = LocalFrame.around(cell.geom)
    return [as_multipolygon(p) for p in equal_area_cut(cell.geom, parts, frame.x_scale)]


def merge_cells(cells: list[CellState]) -> MultiPolygon:
    """The union of adjacent cells; refused when they do not form one connected piece."""
    codes = [c.code for c in cells]
    if len(cells) < 2 or len(set(codes)) != len(codes):
        raise ValidationFailed(
            "merge needs at least two different cells",
            message_zh="合并至少需要两个不同的网格",
            where={"codes": codes},
        )
    frame = LocalFrame.around(cells[0].geom)
    metric = [frame.to_metric(c.geom) for c in cells]
    joined = shapely.union_all([g.buffer(EDGE_TOLERANCE_M / 2) for g in metric])
    if len(polygons_of(joined)) > 1:
        raise ValidationFailed(
            f"cells {', '.join(codes)} are not adjacent",
            message_zh=f"网格 {'、'.join(codes)} 互不相邻，不能合并",
            where={"codes": codes, "location": _point(cells[0].geom)},
        )
    return as_multipolygon(shapely.union_all([c.geom for c in cells]))


def redraw_cell(
    cell: CellState, new_geom: BaseGeometry, neighbours: list[CellState]
) -> dict[str, MultiPolygon]:
    """New geometries after redrawing `cell`: it takes ground from neighbours it now covers
    and hands ground it gives up to the neighbour sharing the longest edge with each piece.
    Returns code → new geometry for the cell and every neighbour that changed."""
    frame = LocalFrame.around(cell.geom)
    tolerance = frame.deg2(AREA_TOLERANCE_M2)
    result: dict[str, BaseGeometry] = {cell.code: new_geom}
    by_code = {n.code: n.geom for n in neighbours}
    for code, geom in by_code.items():
        if geom.intersection(new_geom).area > tolerance:
            result[code] = geom.difference(new_geom)
    for piece in polygons_of(cell.geom.difference(new_geom), tolerance):
        ring = piece.buffer(frame.deg(EDGE_TOLERANCE_M))
        shared = {c: ring.intersection(g).area for c, g in by_code.items()}
        best = max(shared, key=lambda c: shared[c], default=None)
        if best is None or shared[best] <= 0:
            raise ValidationFailed(
                f"redrawing {cell.code} would leave ground near {_point(piece)} in no cell",
                message_zh=f"重划网格 {cell.code} 会留下不属于任何网格的空白",
                where={"code": cell.code, "location": _point(piece)},
            )
        result[best] = result.get(best, by_code[best]).union(piece)
    return {c: as_multipolygon(g) for c, g in result.items()}


def check_edit(
    new_geoms: list[BaseGeometry],
    replaced: list[CellState],
    siblings: list[CellState],
    community_code: str,
    community_geom: BaseGeometry,
) -> None:
    """Raise a 4xx error naming codes and a location when the edit would break the grid."""
    frame = LocalFrame.around(community_geom)
    community = frame.to_metric(community_geom)
    metric = []
    for i, geom in enumerate(new_geoms):
        if geom.is_empty or not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise GeometryInvalid(
                f"new cell {i + 1} is not a valid polygon: {reason}",
                message_zh=f"第 {i + 1} 个新网格的几何无效：{reason}",
                where={"part": i + 1, "reason": reason},
            )
        metric.append(frame.to_metric(geom))
    union = shapely.union_all(metric)
    outside = union.difference(community.buffer(EDGE_TOLERANCE_M))
    if outside.area > AREA_TOLERANCE_M2:
        raise OutsideArea(
            f"the edited cells reach outside community {community_code}",
            message_zh=f"编辑后的网格超出社区 {community_code} 的范围",
            where={"community": community_code, "location": _point(frame.to_wgs84(outside))},
        )
    for sib in siblings:
        overlap = frame.to_metric(sib.geom).intersection(union)
        if overlap.area > AREA_TOLERANCE_M2:
            raise ValidationFailed(
                f"the edited cells overlap cell {sib.code}",
                message_zh=f"编辑后的网格与网格 {sib.code} 重叠",
                where={"code": sib.code, "location": _point(frame.to_wgs84(overlap))},
            )
    before = shapely.union_all([frame.to_metric(c.geom) for c in replaced])
    changed = before.symmetric_difference(union)
    if changed.area > AREA_TOLERANCE_M2 * max(1, len(new_geoms)):
        raise ValidationFailed(
            "the edit changes the ground its cells cover (a gap or ground of another cell)",
            message_zh="编辑改变了网格覆盖的范围（会产生空白或占用其他网格）",
            where={
                "codes": [c.code for c in replaced],
                "location": _point(frame.to_wgs84(changed)),
            },
        )


def sources_of(new_geom: BaseGeometry, old: list[CellState]) -> list[tuple[str, float]]:
    """Old cells a new cell replaces, with the overlap in m², largest first."""
    frame = LocalFrame.around(new_geom)
    geom = frame.to_metric(new_geom)
    found = []
    for cell in old:
        area = geom.intersection(frame.to_metric(cell.geom)).area
        if area > AREA_TOLERANCE_M2:
            found.append((cell.code, area))
    return sorted(found, key=lambda t: -t[1])
