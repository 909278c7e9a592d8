"""Concurrent assignment edits on one cell: each answers 201 or 409, never a database error,
and the cell's fact row ends up describing the assignments that won."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.db.repositories.grid_views import assign_worker, end_assignment
from service.errors import Conflict
from service.services.grid_edits import generate
from tests.fixtures.grid_territory import create_territory


@dataclass
class Cell:
    id: int
    workers: list[int]


@pytest.fixture
def cell(test_db) -> Cell:
    owner = create_engine(test_db.owner_url)
    with owner.begin() as conn:
        territory = create_territory(conn, random.Random(), communities=1, blocks=(1, 1))
        session = Session(bind=conn)
        community = repo.load_community(session, None, "all", territory.communities[0])
        generate(session, community, hmin=150, hmax=500, actor_id=None, dry_run=False)
        cell_id = conn.execute(
            text("SELECT id FROM grid_cell WHERE community_id = :c AND is_active LIMIT 1"),
            {"c": community.id},
        ).scalar_one()
        workers = [
            conn.execute(
                text(
                    "INSERT INTO app_user (username, display_name, password_hash, role,"
                    " district_id, community_id) SELECT :u, :d, 'x', 'grid_worker',"
                    " s.district_id, :c FROM street s WHERE s.code = :s RETURNING id"
                ),
                {
                    "u": f"race{i}x{cell_id}",
                    "d": f"网格员{i}",
                    "c": community.id,
                    "s": territory.street_code,
                },
            ).scalar_one()
            for i in range(8)
        ]
    owner.dispose()
    return Cell(cell_id, workers)


def test_two_transactions_refreshing_one_cell_fact_do_not_collide(test_db, cell: Cell) -> None:
    """The exact interleaving behind the 500: the second insert waits on the first's fact row."""
    insert = (
        "INSERT INTO grid_assignment (worker_id, cell_id, is_primary, valid_from)"
        " VALUES (%s, %s, false, current_date)"
    )
    errors: list[BaseException] = []
    first = psycopg.connect(test_db.libpq())
    first.execute(insert, (cell.workers[0], cell.id))  # refreshed the fact row, uncommitted

    def second() -> None:
        try:
            with psycopg.connect(test_db.libpq()) as conn:
                conn.execute(insert, (cell.workers[1], cell.id))  # blocks on the fact row
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    t = threading.Thread(target=second)
    t.start()
    t.join(timeout=1.0)
    assert t.is_alive(), "the second refresh should wait for the first transaction"
    first.commit()
    first.close()
    t.join(timeout=30)
    assert errors == []
    with psycopg.connect(test_db.libpq()) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM grid_cell_fact WHERE grid_cell_id = %s", (cell.id,)
        ).fetchone()
    assert rows == (1,)


def test_many_concurrent_assignment_edits_answer_ok_or_409(test_db, cell: Cell) -> None:
    engine = create_engine(test_db.owner_url, pool_size=8, max_overflow=0)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def edit(i: int) -> None:
        worker = cell.workers[i % 4]  # two threads per worker: duplicates must be refused
        with Session(engine) as session, session.begin():
            barrier.wait()
            try:
                assign_worker(
                    session,
                    cell.id,
                    "race",
                    worker,
                    primary=i % 4 == 0,
                    valid_from=None,
                    replace_primary=False,
                )
                outcomes.append("ok")
            except Conflict:
                outcomes.append("409")
            except Exception as exc:  # noqa: BLE001 - any other error is the finding
                outcomes.append(f"error: {exc}")

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["409"] * 4 + ["ok"] * 4, outcomes
    with engine.begin() as conn:
        current = conn.execute(
            text(
                "SELECT worker_id, is_primary FROM grid_assignment"
                " WHERE cell_id = :c AND valid_to IS NULL"
            ),
            {"c": cell.id},
        ).all()
        fact = conn.execute(
            text("SELECT primary_worker FROM grid_cell_fact WHERE grid_cell_id = :c"),
            {"c": cell.id},
        ).scalar_one()
    assert sorted(w for w, _ in current) == sorted(cell.workers[:4])  # each worker once
    assert fact == "网格员0"  # the one primary, as the fact row shows it
    # Ending and re-adding concurrently stays consistent too.
    ids = _current_ids(engine, cell.id)

    def end(assignment_id: int) -> None:
        with Session(engine) as session, session.begin():
            try:
                end_assignment(session, cell.id, assignment_id, "race")
                outcomes.append("ended")
            except Exception as exc:  # noqa: BLE001
                outcomes.append(f"error: {exc}")

    enders = [threading.Thread(target=end, args=(a,)) for a in ids]
    for t in enders:
        t.start()
    for t in enders:
        t.join(timeout=60)
    assert outcomes.count("ended") == len(ids), outcomes
    with engine.begin() as conn:
        fact = conn.execute(
            text("SELECT primary_worker FROM grid_cell_fact WHERE grid_cell_id = :c"),
            {"c": cell.id},
        ).scalar_one()
    engine.dispose()
    assert fact is None


def _current_ids(engine, cell_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return list(
            conn.execute(
                text("SELECT id FROM grid_assignment WHERE cell_id = :c AND valid_to IS NULL"),
                {"c": cell_id},
            ).scalars()
        )
