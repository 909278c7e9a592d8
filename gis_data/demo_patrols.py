"""Seeded demo patrols (巡查): a walk inside one grid cell with a themed checklist."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from gis_data.demo_city import Territory
from gis_data.demo_reports import daytime
from gis_data.tessellate import sample_points

THEMES = (
    "sanitation",
    "greening",
    "repairs",
    "public_order",
    "safety",
    "decoration_works",
    "floating_population",
)
_PROBLEM_NOTES = {
    "sanitation": "垃圾清运不及时",
    "greening": "绿化带缺损",
    "repairs": "单元门禁损坏",
    "public_order": "门岗无人值守",
    "safety": "楼道堆放杂物",
    "decoration_works": "装修未报备",
    "floating_population": "新增租户未登记",
}


@dataclass
class Patrol:
    id: str
    cell: int  # index into Territory.cells
    started: np.datetime64
    ended: np.datetime64  # NaT while still walking
    track: LineString
    accuracy: list[float]
    checklist: dict[str, bool]
    note: str


def _walk(cell: BaseGeometry, rng: np.random.Generator) -> list[tuple[float, float]]:
    """A random walk that never leaves the cell (each segment is checked)."""
    shapely.prepare(cell)
    p = sample_points(cell, 1, rng)[0]
    pts = [(float(p[0]), float(p[1]))]
    target = int(rng.integers(6, 18))
    heading = rng.uniform(0, 2 * np.pi)
    step = np.sqrt(cell.area) * 0.08
    for _ in range(target * 6):
        if len(pts) >= target:
            break
        heading += rng.normal(0, 0.7)
        length = step * rng.uniform(0.5, 1.5)
        q = (pts[-1][0] + length * np.cos(heading) / 0.82, pts[-1][1] + length * np.sin(heading))
        if cell.contains(LineString([pts[-1], q])):
            pts.append((float(q[0]), float(q[1])))
        else:
            heading += np.pi * rng.uniform(0.5, 1.5)
            step *= 0.9
    while len(pts) < 2:
        q = sample_points(cell, 1, rng)[0]
        if cell.contains(LineString([pts[0], q])):
            pts.append((float(q[0]), float(q[1])))
    return pts


def build_patrols(
    t: Territory,
    cells: np.ndarray,
    n: int,
    now: np.datetime64,
    ids: list[str],
    rng: np.random.Generator,
) -> list[Patrol]:
    """`n` patrols over the last ~4 months in the given cells (indices into t.cells)."""
    out = []
    for i in range(n):
        ci = int(cells[rng.integers(len(cells))])
        start = daytime(now, np.array([rng.integers(0, 120)]), rng.uniform(8.0, 17.5, 1))[0]
        minutes = int(rng.integers(20, 95))
        end = start + np.timedelta64(minutes * 60, "s")
        if end > now:
            end = np.datetime64("NaT")
        pts = _walk(t.cells[ci][2], rng)
        checklist = {th: bool(rng.random() < 0.88) for th in THEMES}
        problems = [_PROBLEM_NOTES[th] for th, ok in checklist.items() if not ok]
        note = "发现问题：" + "；".join(problems) if problems else "例行巡查，未发现问题"
        accuracy = [round(float(a), 1) for a in rng.uniform(3, 15, len(pts))]
        out.append(Patrol(ids[i], ci, start, end, LineString(pts), accuracy, checklist, note))
    return out
