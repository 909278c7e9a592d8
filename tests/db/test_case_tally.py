"""report_case_tally, from which the workbench counts its queues, stays equal to count(*) of the
reports by its key: after inserts and moves, after a rolled-back move, and when two transactions
move reports of the same street at once (migration 020_case_speed)."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

KEY = "district_id, status, closed_day, street_id, community_id, department_id, escalation_level"
ACTUAL = f"""
SELECT {KEY}, count(*) AS n FROM (
  SELECT district_id, status,
    CASE WHEN status IN ('closed', 'rejected') THEN (closed_at AT TIME ZONE 'UTC')::date END
      AS closed_day,
    street_id, community_id, department_id,
    CASE WHEN status NOT IN ('closed', 'rejected') THEN escalation_level END AS escalation_level
  FROM report) r GROUP BY {KEY}
"""
KEPT = f"SELECT {KEY}, sum(n) AS n FROM report_case_tally GROUP BY {KEY} HAVING sum(n) <> 0"


def _differences(conn) -> list:  # type: ignore[no-untyped-def]
    return conn.execute(
        text(f"({ACTUAL} EXCEPT {KEPT}) UNION ALL ({KEPT} EXCEPT {ACTUAL})")  # noqa: S608
    ).all()


def _open_ids(conn, n: int) -> list:  # type: ignore[no-untyped-def]
    street = conn.execute(
        text("SELECT street_id FROM app_user WHERE username = 'street1'")
    ).scalar_one()
    return (
        conn.execute(
            text(
                "SELECT id FROM report WHERE street_id = :s AND status = 'reported'"
                " ORDER BY id LIMIT :n"
            ),
            {"s": street, "n": n},
        )
        .scalars()
        .all()
    )


def _ensure_reported(conn, n: int) -> list:  # type: ignore[no-untyped-def]
    """n reported reports in street1's street (copies of its reports, made by the owner)."""
    conn.execute(
        text(
            """
            INSERT INTO report (id, geom, accuracy_m, category_code, description, status,
              reporter_id, grid_cell_id, residential_area_id, community_id, street_id,
              district_id, department_id, deadline_at, created_at, updated_at)
            SELECT gen_random_uuid(), geom, accuracy_m, category_code, '计数测试', 'reported',
              reporter_id, grid_cell_id, residential_area_id, community_id, street_id,
              district_id, department_id, now() + interval '1 day', now(), now()
            FROM report WHERE street_id = (SELECT street_id FROM app_user
                                           WHERE username = 'street1')
            ORDER BY id LIMIT :n
            """
        ),
        {"n": n},
    )
    return _open_ids(conn, n)


def test_the_tally_follows_inserts_moves_and_deletes(demo_db, owner_engine: Engine) -> None:
    with owner_engine.begin() as conn:
        assert _differences(conn) == []
        ids = _ensure_reported(conn, 6)
        assert len(ids) == 6
        assert _differences(conn) == []
        conn.execute(
            text("UPDATE report SET status = 'accepted' WHERE id = ANY(:ids)"), {"ids": ids[:3]}
        )
        conn.execute(
            text(
                "UPDATE report SET status = 'closed', closed_at = now() - interval '2 days'"
                " WHERE id = :id"
            ),
            {"id": ids[3]},
        )
        conn.execute(
            text("UPDATE report SET escalation_level = 'street' WHERE id = :id"), {"id": ids[4]}
        )
        # a change to no counted column writes nothing (and breaks nothing)
        conn.execute(text("UPDATE report SET description = '改' WHERE id = :id"), {"id": ids[5]})
        assert _differences(conn) == []
        conn.execute(text("DELETE FROM report WHERE description = '计数测试' AND id = :id"),
                     {"id": ids[5]})  # fmt: skip
        assert _differences(conn) == []
        # folding the appended rows changes no sum
        rows = conn.execute(text("SELECT count(*) FROM report_case_tally")).scalar_one()
        assert conn.execute(text("SELECT wangge_case_tally_compact()")).scalar_one() > 0
        assert conn.execute(text("SELECT count(*) FROM report_case_tally")).scalar_one() < rows
        assert _differences(conn) == []


def test_a_rolled_back_move_leaves_the_tally_as_it_was(demo_db, owner_engine: Engine) -> None:
    with owner_engine.connect() as conn:
        before = conn.execute(text(KEPT)).all()
        conn.rollback()
        trans = conn.begin()
        _ensure_reported(conn, 2)
        trans.rollback()
    with owner_engine.begin() as conn:
        assert sorted(conn.execute(text(KEPT)).all(), key=repr) == sorted(before, key=repr)
        ids = _open_ids(conn, 2)
    with owner_engine.connect() as conn:
        trans = conn.begin()
        conn.execute(
            text("UPDATE report SET status = 'accepted' WHERE id = ANY(:ids)"), {"ids": ids}
        )
        assert sorted(conn.execute(text(KEPT)).all(), key=repr) != sorted(before, key=repr)
        trans.rollback()
    with owner_engine.begin() as conn:
        assert sorted(conn.execute(text(KEPT)).all(), key=repr) == sorted(before, key=repr)
        assert _differences(conn) == []


def test_concurrent_moves_in_one_street_add_up(demo_db, owner_engine: Engine) -> None:
    with owner_engine.begin() as conn:
        ids = _ensure_reported(conn, 40)
    halves = [ids[0::2], ids[1::2]]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def mover(mine: list, target: str) -> None:
        try:
            with owner_engine.begin() as conn:
                barrier.wait(timeout=10)
                for rid in mine:  # one statement per report, interleaved with the other thread
                    conn.execute(
                        text("UPDATE report SET status = :t WHERE id = :id"),
                        {"t": target, "id": rid},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=mover, args=(halves[0], "accepted")),
        threading.Thread(target=mover, args=(halves[1], "rejected")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    with owner_engine.begin() as conn:
        assert _differences(conn) == []
        moved = conn.execute(
            text("SELECT status, count(*) FROM report WHERE id = ANY(:ids) GROUP BY status"),
            {"ids": ids},
        ).all()
        assert dict(moved) == {"accepted": 20, "rejected": 20}
