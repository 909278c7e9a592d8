"""Generation written to PostGIS covers each community with no gap and no overlap."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.db.repositories.grid_checks import check_grids
from service.errors import Conflict
from service.services.grid_edits import generate
from tests.fixtures.grid_territory import create_territory

GEOMETRY_KINDS = (
    "invalid_geometry",
    "outside_community",
    "overlap",
    "gap",
    "community_without_cells",
    "residential_area_not_covered",
    "residential_area_split_unrecorded",
    "duplicate_code",
    "code_not_in_community",
)


def _generate_all(session: Session, codes: list[str], **kw: object) -> list[int]:
    ids = []
    for code in codes:
        community = repo.load_community(session, None, "all", code, lock=True)
        generate(session, community, hmin=150, hmax=500, actor_id=None, dry_run=False, **kw)
        ids.append(community.id)
    return ids


def test_generated_cells_partition_every_community(owner_conn: Connection) -> None:
    territory = create_territory(owner_conn, random.Random(7), communities=3)
    session = Session(bind=owner_conn)
    ids = _generate_all(session, territory.communities)
    findings = check_grids(session, ids, households_min=150, households_max=500)
    geometric = [f for f in findings if f.kind in GEOMETRY_KINDS]
    assert geometric == []
    # every cell is flagged as having no primary until someone is assigned
    cells = owner_conn.execute(
        text("SELECT code, households FROM grid_cell WHERE community_id = ANY(:ids)"),
        {"ids": ids},
    ).all()
    assert {f.codes[0] for f in findings if f.kind == "no_primary_worker"} == {c for c, _ in cells}
    out_of_range = {c for c, h in cells if not 150 <= h <= 500}
    flagged = {f.codes[0] for f in findings if f.kind.startswith("households_")}
    assert flagged == out_of_range
    # households are conserved: every 小区 household lands in exactly one cell
    total = owner_conn.execute(
        text("SELECT sum(households) FROM residential_area WHERE community_id = ANY(:ids)"),
        {"ids": ids},
    ).scalar_one()
    assert sum(h for _, h in cells) == total


def test_big_residential_area_is_split_with_record(owner_conn: Connection) -> None:
    territory = create_territory(
        owner_conn, random.Random(11), communities=1, households=(900, 1200)
    )
    session = Session(bind=owner_conn)
    (cid,) = _generate_all(session, territory.communities)
    splits = owner_conn.execute(
        text(
            "SELECT r.code, count(*), sum(s.households), min(r.households)"
            " FROM residential_area_split s JOIN residential_area r ON r.id = s.residential_area_id"
            " WHERE r.community_id = :c GROUP BY r.code"
        ),
        {"c": cid},
    ).all()
    assert splits, "every 小区 above the maximum must be split and recorded"
    for _, parts, shared, households in splits:
        assert parts >= 2 and shared == households
    kinds = {f.kind for f in check_grids(session, [cid], households_min=150, households_max=500)}
    assert "residential_area_split_unrecorded" not in kinds


def test_regenerating_needs_replace_and_never_reuses_codes(owner_conn: Connection) -> None:
    territory = create_territory(owner_conn, random.Random(5), communities=1)
    session = Session(bind=owner_conn)
    (cid,) = _generate_all(session, territory.communities)
    first = set(
        owner_conn.execute(
            text("SELECT code FROM grid_cell WHERE community_id = :c"), {"c": cid}
        ).scalars()
    )
    with pytest.raises(Conflict):
        _generate_all(session, territory.communities)
    _generate_all(session, territory.communities, replace=True)
    rows = owner_conn.execute(
        text("SELECT code, is_active FROM grid_cell WHERE community_id = :c"), {"c": cid}
    ).all()
    active = {c for c, a in rows if a}
    assert active and not active & first
    assert {c for c, a in rows if not a} == first
    lineage = owner_conn.execute(
        text(
            "SELECT count(*) FROM grid_cell_lineage l JOIN grid_cell g ON g.id = l.cell_id"
            " WHERE g.community_id = :c"
        ),
        {"c": cid},
    ).scalar_one()
    assert lineage >= len(active)


def test_database_refuses_to_revive_or_recode_a_retired_cell(owner_conn: Connection) -> None:
    territory = create_territory(owner_conn, random.Random(9), communities=1)
    session = Session(bind=owner_conn)
    _generate_all(session, territory.communities)
    _generate_all(session, territory.communities, replace=True)
    code = owner_conn.execute(
        text("SELECT code FROM grid_cell WHERE NOT is_active AND left(code, 12) = :c LIMIT 1"),
        {"c": territory.communities[0]},
    ).scalar_one()
    for sql in (
        "UPDATE grid_cell SET is_active = true, retired_at = NULL WHERE code = :c",
        "UPDATE grid_cell SET code = '999999999999999' WHERE code = :c",
        "DELETE FROM grid_cell WHERE code = :c",
    ):
        nested = owner_conn.begin_nested()
        with pytest.raises(Exception, match="retired|cannot change"):
            owner_conn.execute(text(sql), {"c": code})
        nested.rollback()
