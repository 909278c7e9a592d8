"""Two staff assigning a primary to the same cell at the same moment: exactly one wins."""

from __future__ import annotations

import random
import threading

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from service.db.repositories import grids as repo
from service.db.repositories.grid_views import assign_worker
from service.errors import Conflict
from service.services.grid_edits import generate
from tests.fixtures.grid_territory import create_territory


def test_concurrent_primary_assignment_yields_one_primary(test_db) -> None:
    engine = create_engine(test_db.app_url, pool_size=4)
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
                    "INSERT INTO app_user (username, password_hash, role, district_id,"
                    " community_id) SELECT :u, 'x', 'grid_worker', s.district_id, :c"
                    " FROM street s WHERE s.code = :s RETURNING id"
                ),
                {"u": f"g4race{i}{cell_id}", "c": community.id, "s": territory.street_code},
            ).scalar_one()
            for i in range(2)
        ]
    owner.dispose()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def assign(worker_id: int) -> None:
        with Session(engine) as session, session.begin():
            barrier.wait()
            try:
                assign_worker(
                    session,
                    cell_id,
                    "race",
                    worker_id,
                    primary=True,
                    valid_from=None,
                    replace_primary=False,
                )
                outcomes.append("ok")
            except Conflict:
                outcomes.append("409")

    threads = [threading.Thread(target=assign, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with engine.connect() as conn:
        primaries = conn.execute(
            text(
                "SELECT count(*) FROM grid_assignment WHERE cell_id = :c AND is_primary"
                " AND valid_to IS NULL"
            ),
            {"c": cell_id},
        ).scalar_one()
    engine.dispose()
    assert sorted(outcomes) == ["409", "ok"]
    assert primaries == 1
