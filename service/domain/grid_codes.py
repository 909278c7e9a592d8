"""Grid cell codes: 12-digit community code + 3-digit sequence, in reading order.

Reading order (west→east, then north→south), precisely: take the community's bounding box
in metres and the n cells to number. Use rows = max(1, round(sqrt(n · height / width)))
horizontal bands of equal height, counted from the north edge. A cell belongs to the band
holding its representative point (a point guaranteed inside the cell). Cells are numbered
band by band from north to south and, inside a band, by the point's easting from west to
east (ties: north first). Sequences are never reused: a new cell takes the next number
above every code the community has ever had (active or retired), and only when 999 is
reached does it take the lowest number never used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from shapely.geometry.base import BaseGeometry

from service.errors import Conflict

MAX_SEQUENCE = 999


def reading_order(points: Sequence[tuple[float, float]], bounds: Sequence[float]) -> list[int]:
    """Indexes of `points` (x east, y north) in reading order inside `bounds` (metric bbox)."""
    n = len(points)
    if n == 0:
        return []
    xmin, ymin, xmax, ymax = bounds
    width = max(xmax - xmin, 1e-9)
    height = max(ymax - ymin, 1e-9)
    rows = max(1, round(math.sqrt(n * height / width)))
    band = height / rows

    def key(i: int) -> tuple[int, float, float]:
        x, y = points[i]
        row = min(rows - 1, max(0, math.floor((ymax - y) / band)))
        return (row, x, -y)

    return sorted(range(n), key=key)


def order_cells(cells: Sequence[BaseGeometry], community: BaseGeometry) -> list[int]:
    """Reading order of metric cell geometries inside a metric community geometry."""
    points = []
    for cell in cells:
        p = cell.representative_point()
        points.append((float(p.x), float(p.y)))
    return reading_order(points, community.bounds)


def sequence_of(code: str) -> int:
    return int(code[12:15])


def next_sequences(community_code: str, used_codes: Iterable[str], count: int) -> list[int]:
    """`count` sequence numbers never used by this community, ascending above the highest."""
    used = {sequence_of(c) for c in used_codes if c.startswith(community_code)}
    top = max(used, default=0)
    candidates = list(range(top + 1, MAX_SEQUENCE + 1))
    candidates += [s for s in range(1, top) if s not in used]
    if len(candidates) < count:
        raise Conflict(
            f"community {community_code} has no free grid codes left for {count} cells",
            message_zh=f"社区 {community_code} 的网格编码已用尽",
            where={"community": community_code},
        )
    return candidates[:count]


def cell_code(community_code: str, sequence: int) -> str:
    return f"{community_code}{sequence:03d}"
