"""What new cells inherit from the cells they replace: households and grid workers."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from service.domain.grid_generate import AreaInput
from service.domain.grid_geometry import AREA_TOLERANCE_M2, LocalFrame, largest_remainder


@dataclass(frozen=True)
class AssignmentState:
    worker_id: int
    cell_code: str
    is_primary: bool


@dataclass
class CarriedWorkers:
    primary: int | None
    backups: list[int] = field(default_factory=list)
    demoted_primaries: list[int] = field(default_factory=list)  # a conflict to flag

    @property
    def conflict(self) -> bool:
        return bool(self.demoted_primaries)


@dataclass
class CellHouseholds:
    households: int
    split_shares: dict[int, int]  # 小区 id → households, for 小区 also in other cells


def allocate_households(cells: list[BaseGeometry], areas: list[AreaInput]) -> list[CellHouseholds]:
    """Households of each cell: a 小区 in several cells is shared in proportion to area."""
    out = [CellHouseholds(0, {}) for _ in cells]
    if not cells:
        return out
    frame = LocalFrame.around(cells[0])
    metric = [frame.to_metric(c) for c in cells]
    tree = STRtree(metric)
    for area in areas:
        geom = frame.to_metric(area.geom)
        hits = []
        for i in tree.query(geom, predicate="intersects"):
            overlap = metric[int(i)].intersection(geom).area
            if overlap > AREA_TOLERANCE_M2:
                hits.append((int(i), overlap))
        shares = largest_remainder(area.households, [a for _, a in hits])
        for (i, _), share in zip(hits, shares, strict=True):
            out[i].households += share
            if len(hits) > 1:
                out[i].split_shares[area.id] = share
    return out


def allocate_new_households(
    new_cells: list[BaseGeometry],
    siblings: list[tuple[BaseGeometry, dict[int, int]]],
    areas: list[AreaInput],
) -> list[CellHouseholds]:
    """Households of the cells an edit creates, leaving unchanged siblings' counts alone:
    a 小区 also held by a sibling gives the new cells what the sibling does not hold
    (its recorded split share, else its share by area)."""
    everyone = list(new_cells) + [g for g, _ in siblings]
    by_area = allocate_households(everyone, areas)  # only to find who holds what
    n = len(new_cells)
    out = [CellHouseholds(0, {}) for _ in new_cells]
    if not new_cells:
        return out
    frame = LocalFrame.around(new_cells[0])
    for area in areas:
        holders = [i for i, c in enumerate(by_area) if area.id in c.split_shares]
        if not holders:
            holders = [i for i in range(len(everyone)) if _holds(area, everyone[i], frame)]
        new_holders = [i for i in holders if i < n]
        if not new_holders:
            continue
        kept = sum(
            siblings[i - n][1].get(area.id, by_area[i].split_shares.get(area.id, 0))
            for i in holders
            if i >= n
        )
        weights = [frame.area_m2(new_cells[i].intersection(area.geom)) for i in new_holders]
        shares = largest_remainder(max(0, area.households - kept), weights)
        for i, share in zip(new_holders, shares, strict=True):
            out[i].households += share
            if len(holders) > 1:
                out[i].split_shares[area.id] = share
    return out


def _holds(area: AreaInput, cell: BaseGeometry, frame: LocalFrame) -> bool:
    return frame.area_m2(cell.intersection(area.geom)) > AREA_TOLERANCE_M2


def carry_workers(
    sources: list[tuple[str, float]], current: list[AssignmentState]
) -> CarriedWorkers:
    """Workers of a new cell: the primary of the source it overlaps most stays primary;
    other sources' primaries become backups (flagged as a conflict), backups carry over."""
    primaries = {a.cell_code: a.worker_id for a in current if a.is_primary}
    primary = None
    demoted: list[int] = []
    for code, _ in sources:
        worker = primaries.get(code)
        if worker is None:
            continue
        if primary is None:
            primary = worker
        elif worker != primary and worker not in demoted:
            demoted.append(worker)
    source_codes = {c for c, _ in sources}
    backups = list(demoted)
    for a in current:
        if a.cell_code in source_codes and not a.is_primary:
            if a.worker_id != primary and a.worker_id not in backups:
                backups.append(a.worker_id)
    return CarriedWorkers(primary, backups, demoted)
