"""Done-when on the demo city: generated cells cover every community, no gap, no overlap.

Runs inside the owner's rolled-back transaction, so the demo's own cells are back afterwards.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.db.repositories.grid_checks import check_grids
from service.services.grid_edits import generate

HMIN, HMAX = 150, 500


def test_generation_on_the_demo_city(demo_db, owner_conn: Connection) -> None:
    session = Session(bind=owner_conn)
    rows = owner_conn.execute(
        text(
            "SELECT c.id, c.code FROM community c JOIN street s ON s.id = c.street_id"
            " JOIN district d ON d.id = s.district_id WHERE d.code = '410105' ORDER BY c.code"
        )
    ).all()
    assert len(rows) >= 40
    for _, code in rows:
        community = repo.load_community(session, None, "all", code, lock=True)
        generate(
            session, community, hmin=HMIN, hmax=HMAX, actor_id=None, dry_run=False, replace=True
        )
    ids = [cid for cid, _ in rows]
    findings = check_grids(
        session,
        ids,
        households_min=HMIN,
        households_max=HMAX,
        kinds=(
            "invalid_geometry",
            "outside_community",
            "gap",
            "community_without_cells",
            "residential_area_not_covered",
            "residential_area_split_unrecorded",
            "households_below_min",
            "households_above_max",
            "duplicate_code",
            "code_not_in_community",
        ),
    )
    # overlaps only among the new cells (the demo's other districts are not regenerated)
    overlaps = [
        f
        for f in check_grids(
            session, ids, households_min=HMIN, households_max=HMAX, kinds=("overlap",)
        )
        if all(c[:6] == "410105" for c in f.codes)
    ]
    assert overlaps == []
    geometric = [f for f in findings if not f.kind.startswith("households_")]
    assert geometric == [], [f.as_dict()["kind"] for f in geometric][:10]
    # every cell's households within range or flagged: the flagged ones are exactly those out
    out_of_range = set(
        owner_conn.execute(
            text(
                "SELECT code FROM grid_cell WHERE is_active AND community_id = ANY(:ids)"
                " AND households NOT BETWEEN :lo AND :hi"
            ),
            {"ids": ids, "lo": HMIN, "hi": HMAX},
        ).scalars()
    )
    flagged = {f.codes[0] for f in findings if f.kind.startswith("households_")}
    assert flagged == out_of_range
