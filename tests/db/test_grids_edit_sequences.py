"""Random split/merge sequences: codes stay unique forever, the grid stays a partition."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.db.repositories.grid_checks import check_grids
from service.domain.grid_edits import CellState, merge_cells, split_into
from service.domain.grid_geometry import LocalFrame
from service.services.grid_edits import apply_edit, generate
from tests.fixtures.grid_territory import create_territory

GEOMETRIC = {
    "invalid_geometry",
    "outside_community",
    "overlap",
    "gap",
    "residential_area_not_covered",
    "residential_area_split_unrecorded",
    "duplicate_code",
    "code_not_in_community",
}


def _adjacent_pair(cells: list[repo.CellRow], rng: random.Random):
    frame = LocalFrame.around(cells[0].geom)
    shuffled = cells[:]
    rng.shuffle(shuffled)
    for a in shuffled:
        ring = a.geom.buffer(frame.deg(0.5))
        for b in cells:
            if b.id != a.id and ring.intersection(b.geom).area > frame.deg2(5):
                return a, b
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_split_merge_sequences(owner_conn: Connection, seed: int) -> None:
    rng = random.Random(seed)
    territory = create_territory(owner_conn, rng, communities=1, blocks=(3, 2))
    session = Session(bind=owner_conn)
    code = territory.communities[0]
    community = repo.load_community(session, None, "all", code, lock=True)
    generate(session, community, hmin=150, hmax=500, actor_id=None, dry_run=False)
    ever: set[str] = set(repo.codes_ever_used(session, code))
    for _ in range(6):
        cells = repo.active_cells(session, community.id)
        pair = _adjacent_pair(cells, rng) if rng.random() < 0.5 else None
        if pair:
            merged = merge_cells([CellState(c.code, c.geom) for c in pair])
            result = apply_edit(session, community, "merge", list(pair), [merged], actor_id=None)
        else:
            cell = rng.choice(cells)
            parts = split_into(CellState(cell.code, cell.geom), rng.randint(2, 3))
            result = apply_edit(session, community, "split", [cell], list(parts), actor_id=None)
        created = {c["code"] for c in result.created}
        assert not created & ever, "a code was reused"
        ever |= created
        findings = check_grids(session, [community.id], households_min=150, households_max=500)
        assert [f.kind for f in findings if f.kind in GEOMETRIC] == []
    rows = owner_conn.execute(
        text("SELECT code, is_active FROM grid_cell WHERE community_id = :c"), {"c": community.id}
    ).all()
    assert {c for c, _ in rows} == ever
    assert len(rows) == len(ever)
    households = owner_conn.execute(
        text("SELECT sum(households) FROM grid_cell WHERE community_id = :c AND is_active"),
        {"c": community.id},
    ).scalar_one()
    total = sum(a.households for a in territory.layouts[0].areas)
    assert households == total
