"""Edits of a community's grid as one transaction: lock, load, plan (domain), check, write.

Every edit first locks its community's row, so edits of one community's cells run one at a
time and each plans against the cells the previous one left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.domain.grid_carry import allocate_new_households, carry_workers
from service.domain.grid_codes import cell_code, next_sequences, order_cells
from service.domain.grid_edits import (
    CellState,
    check_edit,
    drawn_geometry,
    merge_cells,
    redraw_cell,
    sources_of,
    split_by_line,
    split_into,
)
from service.domain.grid_generate import ProposedCell, generate_cells
from service.domain.grid_geometry import LocalFrame
from service.domain.principal import Principal
from service.errors import Conflict, ValidationFailed

# code, geometry, households, 小区 split shares, flags
Plan = tuple[str, BaseGeometry, int, dict[int, int], list[str]]


@dataclass
class EditResult:
    kind: str
    community: str
    retired: list[str]
    created: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        features = [
            {"type": "Feature", "geometry": c.pop("geometry"), "properties": c}
            for c in [dict(x) for x in self.created]
        ]
        return {
            "kind": self.kind,
            "community": self.community,
            "dry_run": self.dry_run,
            "retired": self.retired,
            "created": [c["code"] for c in self.created],
            "cells": {"type": "FeatureCollection", "features": features},
        }


def locked_cell(
    session: Session, principal: Principal, scope: str, code: str
) -> tuple[repo.CommunityRow, repo.CellRow]:
    """The cell and its community, the community row locked so edits run one at a time."""
    cell = repo.cell_by_code(session, principal, scope, code)
    community_code = repo.community_code_of(session, cell.community_id)
    community = repo.load_community(session, principal, scope, community_code, lock=True)
    # read again under the lock: an edit that held it may have just retired the cell
    return community, repo.cell_by_code(session, principal, scope, code)


def generate_in(
    session: Session,
    principal: Principal,
    scope: str,
    community_code: str,
    *,
    hmin: int,
    hmax: int,
    dry_run: bool,
    replace: bool,
) -> EditResult:
    """Propose (dry run) or write the cells of a community in the principal's jurisdiction."""
    community = repo.load_community(session, principal, scope, community_code, lock=True)
    return generate(
        session,
        community,
        hmin=hmin,
        hmax=hmax,
        actor_id=principal.id,
        dry_run=dry_run,
        replace=replace,
    )


def merge(
    session: Session, principal: Principal, scope: str, codes: list[str], *, note: str
) -> EditResult:
    """Merge adjacent cells of one community into one new cell."""
    community, first = locked_cell(session, principal, scope, codes[0])
    cells = [first] + [repo.cell_by_code(session, principal, scope, c) for c in codes[1:]]
    if any(c.community_id != community.id for c in cells):
        raise ValidationFailed(
            "cells of different communities cannot be merged",
            message_zh="不同社区的网格不能合并",
            where={"codes": codes},
        )
    merged = merge_cells([CellState(c.code, c.geom) for c in cells])
    return apply_edit(
        session, community, "merge", cells, [merged], actor_id=principal.id, note=note
    )


def split(
    session: Session,
    principal: Principal,
    scope: str,
    code: str,
    *,
    line: dict[str, Any] | None,
    parts: int | None,
    max_vertices: int,
    note: str,
) -> EditResult:
    """Split a cell along a drawn GeoJSON line, or else into `parts` equal-area parts."""
    community, cell = locked_cell(session, principal, scope, code)
    state = CellState(cell.code, cell.geom)
    if line is not None:
        pieces = split_by_line(state, drawn_geometry(line, "line", max_vertices))
    else:
        pieces = split_into(state, parts or 2)
    return apply_edit(
        session, community, "split", [cell], list(pieces), actor_id=principal.id, note=note
    )


def redraw(
    session: Session,
    principal: Principal,
    scope: str,
    code: str,
    geometry: dict[str, Any],
    *,
    max_vertices: int,
    note: str,
) -> EditResult:
    """Give a cell a new boundary (GeoJSON); its neighbours give up or take the difference."""
    community, cell = locked_cell(session, principal, scope, code)
    target = drawn_geometry(geometry, "geometry", max_vertices)
    others = [c for c in repo.active_cells(session, community.id) if c.id != cell.id]
    changed = redraw_cell(
        CellState(cell.code, cell.geom), target, [CellState(c.code, c.geom) for c in others]
    )
    replaced = [cell] + [c for c in others if c.code in changed]
    return apply_edit(
        session,
        community,
        "redraw",
        replaced,
        list(changed.values()),
        actor_id=principal.id,
        note=note,
    )


def propose_generation(
    session: Session, community: repo.CommunityRow, *, hmin: int, hmax: int
) -> list[ProposedCell]:
    """The generator's proposal for a community, with codes never used before."""
    areas = repo.residential_areas(session, community.id)
    cells = generate_cells(
        community.code, community.geom, areas, households_min=hmin, households_max=hmax
    )
    used = repo.codes_ever_used(session, community.code)
    for cell, seq in zip(cells, next_sequences(community.code, used, len(cells)), strict=True):
        cell.code = cell_code(community.code, seq)
    return cells


def generate(
    session: Session,
    community: repo.CommunityRow,
    *,
    hmin: int,
    hmax: int,
    actor_id: int | None,
    dry_run: bool,
    replace: bool = False,
) -> EditResult:
    """Generate (and unless dry_run, write) the cells of a community."""
    cells = propose_generation(session, community, hmin=hmin, hmax=hmax)
    old = repo.active_cells(session, community.id)
    result = EditResult("generate", community.code, [c.code for c in old], dry_run=dry_run)
    if old and not replace and not dry_run:
        raise Conflict(
            f"community {community.code} already has {len(old)} active cells;"
            " pass replace to retire them",
            message_zh=f"社区 {community.code} 已有网格，如需重新生成请选择替换",
            where={"community": community.code, "codes": [c.code for c in old]},
        )
    plans: list[Plan] = [(c.code, c.geom, c.households, c.split_shares, c.flags) for c in cells]
    _write(session, community, result, old, plans, actor_id=actor_id, dry_run=dry_run)
    return result


def apply_edit(
    session: Session,
    community: repo.CommunityRow,
    kind: str,
    replaced: list[repo.CellRow],
    new_geoms: list[BaseGeometry],
    *,
    actor_id: int | None,
    note: str = "",
) -> EditResult:
    """Retire `replaced`, check and write `new_geoms` with fresh codes, lineage and workers."""
    active = repo.active_cells(session, community.id)
    gone = {c.id for c in replaced}
    siblings = [CellState(c.code, c.geom) for c in active if c.id not in gone]
    states = [CellState(c.code, c.geom) for c in replaced]
    check_edit(new_geoms, states, siblings, community.code, community.geom)
    areas = repo.residential_areas(session, community.id)
    # a 小区 also held by an unchanged sibling counts as split, and the sibling keeps its share
    recorded = repo.split_shares_of(session, [c.id for c in active if c.id not in gone])
    kept = [(c.geom, recorded.get(c.id, {})) for c in active if c.id not in gone]
    counts = allocate_new_households(new_geoms, kept, areas)
    seqs = next_sequences(
        community.code, repo.codes_ever_used(session, community.code), len(new_geoms)
    )
    frame = LocalFrame.around(community.geom)
    order = order_cells([frame.to_metric(g) for g in new_geoms], frame.to_metric(community.geom))
    plans: list[Plan] = []
    for seq, i in zip(seqs, order, strict=True):
        plans.append(
            (
                cell_code(community.code, seq),
                new_geoms[i],
                counts[i].households,
                counts[i].split_shares,
                [],
            )
        )
    result = EditResult(kind, community.code, [c.code for c in replaced])
    _write(session, community, result, replaced, plans, actor_id=actor_id, dry_run=False, note=note)
    return result


def _write(
    session: Session,
    community: repo.CommunityRow,
    result: EditResult,
    old: list[repo.CellRow],
    plans: list[Plan],
    *,
    actor_id: int | None,
    dry_run: bool,
    note: str = "",
) -> None:
    olds = [CellState(c.code, c.geom) for c in old]
    id_of = {c.code: c.id for c in old}
    current = repo.current_assignments(session, [c.id for c in old]) if old else []
    if not dry_run and old:
        repo.retire_cells(session, [c.id for c in old])
    rows: list[repo.NewCell] = []
    for code, geom, households, shares, flags in plans:
        sources = sources_of(geom, olds)
        workers = carry_workers(sources, current)
        result.created.append(
            {
                "code": code,
                "households": households,
                "replaces": [c for c, _ in sources],
                "split_residential_areas": sorted(shares),
                "flags": list(flags) + (["primary_conflict"] if workers.conflict else []),
                "primary_worker_id": workers.primary,
                "backup_worker_ids": workers.backups,
                "geometry": mapping(geom),
            }
        )
        rows.append(
            repo.NewCell(
                code=code,
                geom=geom,
                households=households,
                replaces=[id_of[c] for c, _ in sources],
                split_shares=shares,
                primary=workers.primary,
                backups=workers.backups,
            )
        )
    if dry_run:
        return
    repo.insert_cells(session, community.id, rows)
    repo.record_edit(
        session,
        community_id=community.id,
        kind=result.kind,
        actor_id=actor_id,
        retired=result.retired,
        created=[c["code"] for c in result.created],
        detail={"flags": {c["code"]: c["flags"] for c in result.created if c["flags"]}},
        note=note,
    )
