"""DOMAIN.md's coverage rules for a grid_cells import, judged on the state it would produce.

The accepted features are written inside a SAVEPOINT, the grid integrity checks
(grid_checks.check_grids) run on the communities whose cells the file adds or redraws, before
and after, and the SAVEPOINT is rolled back. A finding the file introduces (a gap or an
uncovered part of a 小区 that was covered before, a 小区 newly split across cells without a
split record, a new overlap) refuses the cells that caused it; findings that were already
there are returned as warnings and do not block the import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.db.repositories.boundary_import import apply_plan, community_ids
from service.db.repositories.grid_checks import check_grids
from service.domain.boundary_rules import M_PER_DEG, Decision, Existing, _where
from service.domain.grid_findings import REASONS, Finding
from service.errors import ValidationFailed

KINDS = (
    "gap",
    "community_without_cells",
    "residential_area_not_covered",
    "residential_area_split_unrecorded",
    "overlap",
)
TOLERANCE_M2 = 1.0


@dataclass
class Introduced:
    finding: Finding
    part: BaseGeometry | None  # the newly affected area, for geometric findings
    area_m2: float


def _area_m2(geom: BaseGeometry) -> float:
    if geom.is_empty:
        return 0.0
    return geom.area * M_PER_DEG * M_PER_DEG * math.cos(math.radians(geom.centroid.y))


def _key(f: Finding) -> tuple[str, ...]:
    if f.kind == "gap" or not f.codes:
        return (f.kind, f.community)
    if f.kind == "overlap":
        return (f.kind, *sorted(f.codes))
    return (f.kind, f.codes[-1])  # the 小区 (last in the codes of a split finding)


def _point(f: Finding) -> list[float] | None:
    if not f.location:
        return None
    x, y = f.location["coordinates"]
    return [round(float(x), 7), round(float(y), 7)]


def compare(before: list[Finding], after: list[Finding]) -> tuple[list[Introduced], list[Finding]]:
    """Split the findings after the import into introduced ones and those already there."""
    empty = {f.community for f in before if f.kind == "community_without_cells"}
    earlier: dict[tuple[str, ...], list[BaseGeometry]] = {}
    for f in before:
        earlier.setdefault(_key(f), []).extend([shape(f.geometry)] if f.geometry else [])
    introduced: list[Introduced] = []
    kept: list[Finding] = []
    for f in after:
        key = _key(f)
        if f.kind == "gap" and f.community in empty:
            kept.append(f)  # the community had no cells at all: the import covers part of it
        elif f.geometry is None and key in earlier:
            kept.append(f)
        elif f.geometry is None:
            introduced.append(Introduced(f, None, 0.0))
        else:
            part = shape(f.geometry).difference(shapely.union_all(earlier.get(key, [])))
            area = _area_m2(part)
            if area > TOLERANCE_M2:
                introduced.append(Introduced(f, part, area))
            else:
                kept.append(f)
    return introduced, kept


def _culprits(
    item: Introduced, moving: list[Decision], existing: dict[str, Existing]
) -> list[Decision]:
    """The file's cells that caused a finding: named in it, else whose old area it took."""
    f = item.finding
    named = [d for d in moving if d.code in f.codes]
    if named:
        return named
    if item.part is not None:
        took = [
            d
            for d in moving
            if d.code in existing and _area_m2(existing[d.code].geom.intersection(item.part)) > 0.1
        ]
        if took:
            return took
    return [d for d in moving if d.code[:12] == f.community]


def _reason(item: Introduced) -> str:
    f, zh = item.finding, REASONS[item.finding.kind][1]
    if f.kind == "gap":
        return f"leaves {item.area_m2:.0f} m² of community {f.community} in no grid cell ({zh})"
    if f.kind == "residential_area_not_covered":
        return f"leaves {item.area_m2:.0f} m² of 小区 {f.codes[0]} outside every grid cell ({zh})"
    if f.kind == "residential_area_split_unrecorded":
        cells = ", ".join(f.codes[:-1])
        return f"splits 小区 {f.codes[-1]} across cells {cells} without a split record ({zh})"
    return f"overlaps cell(s) {', '.join(f.codes)} by {item.area_m2:.0f} m² ({zh})"


def _rule_findings(session: Session, ids: list[int]) -> list[Finding]:
    """The coverage findings the rules compare; a GEOS failure is raised, never reported, since
    a file cannot be judged on a check that did not run."""
    return check_grids(
        session, ids, households_min=0, households_max=0, kinds=KINDS,
        on_geometry_failure_report=False,
    )  # fmt: skip


def _simulate(
    session: Session, layer: str, decisions: list[Decision], ids: list[int]
) -> list[Finding]:
    """Findings after writing the accepted features; the SAVEPOINT is always rolled back."""
    savepoint = session.begin_nested()
    try:
        apply_plan(session, layer, decisions)
        return _rule_findings(session, ids)
    except DBAPIError as exc:
        raise ValidationFailed(
            f"the database refused the file: {exc.orig}",
            message_zh="数据库拒绝了该文件",
            where={"layer": layer},
        ) from exc
    finally:
        savepoint.rollback()


def check_grid_rules(
    session: Session, layer: str, decisions: list[Decision], existing: dict[str, Existing]
) -> list[dict[str, Any]]:
    """Refuse the cells that break a coverage rule; return the findings already there."""
    moving = [
        d
        for d in decisions
        if d.action == "added" or (d.action == "changed" and "geometry" in d.changed)
    ]
    if layer != "grid_cells" or not moving:
        return []
    ids = community_ids(session, {d.code[:12] for d in moving})
    try:
        before = _rule_findings(session, ids)
    except DBAPIError as exc:
        raise ValidationFailed(
            f"the grid checks failed on the cells already stored: {exc.orig}",
            message_zh="现有网格无法完成检查，请先在网格页面查看问题",
            where={"layer": layer},
        ) from exc
    after = _simulate(session, layer, decisions, ids)
    introduced, kept = compare(before, after)
    for item in introduced:
        where = _where(item.part) if item.part is not None else _point(item.finding)
        for d in _culprits(item, moving, existing):
            d.action = "refused"
            d.reasons.append(_reason(item))
            d.location = d.location if len(d.reasons) > 1 else where
    return [_warning(f) for f in kept]


def _warning(f: Finding) -> dict[str, Any]:
    en, zh = REASONS[f.kind]
    return {
        "kind": f.kind,
        "codes": f.codes,
        "community": f.community,
        "reason": f"{en}, already before this import",
        "reason_zh": f"{zh}（导入前已存在）",
        "location": _point(f),
    }
