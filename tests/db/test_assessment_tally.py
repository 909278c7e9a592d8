"""report_assessment_tally, from which the assessment sums its figures (migration
025_assessment_rollup), stays equal to the figures of the reports by its key, and
`wangge_assessment_counts` equals the naive grouped query to the last digit of the mean handling
time: after inserts, closing, reopening, rejecting, moving, deleting, return visits (a later
one replacing the last, an earlier-dated one not), compaction, a period cut at a day boundary
in China time, and two transactions visiting one report at once. The reports are made in 2019,
before anything else in the demo city, and rolled back (the concurrent ones stay, in 2018)."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from service.domain.performance import CHINA, parse_period

KEY = "district_id, created_day, street_id, community_id, department_id, hours_scale"
FIGURES = (
    "received", "rejected", "closed", "on_time", "hours", "hours_n", "reopened", "overdue_closed",
    "escalated", "visited", "satisfied",
)  # fmt: skip
HOURS = "extract(epoch FROM r.closed_at - r.created_at) / 3600.0"
# the figures of every report by the tally's key, from the reports and their last visits
ACTUAL = f"""
SELECT r.district_id, (r.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day,
  r.street_id, r.community_id, r.department_id,
  CASE WHEN r.status = 'closed' THEN scale({HOURS}) END AS hours_scale,
  count(*) AS received, count(*) FILTER (WHERE r.status = 'rejected') AS rejected,
  count(*) FILTER (WHERE r.status = 'closed') AS closed,
  count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at <= r.deadline_at) AS on_time,
  sum({HOURS}) FILTER (WHERE r.status = 'closed') AS hours,
  count({HOURS}) FILTER (WHERE r.status = 'closed') AS hours_n,
  count(*) FILTER (WHERE r.status <> 'rejected' AND r.reopened_count > 0) AS reopened,
  count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at > r.deadline_at) AS overdue_closed,
  count(*) FILTER (WHERE r.status <> 'rejected' AND r.escalation_level <> 'community')
    AS escalated,
  count(v.result) AS visited,
  count(*) FILTER (WHERE v.result IN ('satisfied', 'basically')) AS satisfied
FROM report r LEFT JOIN LATERAL (
  SELECT x.result FROM return_visit x WHERE x.report_id = r.id AND x.district_id = r.district_id
  ORDER BY x.created_at DESC, x.id DESC LIMIT 1) v ON true
GROUP BY 1, 2, 3, 4, 5, 6
"""
KEPT = f"""
SELECT {KEY}, {", ".join(f"sum({f}) AS {f}" for f in FIGURES)}
FROM report_assessment_tally GROUP BY {KEY}
HAVING {" OR ".join(f"sum({f}) <> 0" for f in FIGURES)}
"""  # noqa: S608 - constants
NAIVE = """
SELECT {unit} AS unit_id, count(*) AS received,
  count(*) FILTER (WHERE status = 'rejected') AS rejected,
  count(*) FILTER (WHERE status = 'closed') AS closed,
  count(*) FILTER (WHERE status = 'closed' AND closed_at <= deadline_at) AS on_time,
  avg(extract(epoch FROM closed_at - created_at) / 3600.0)
    FILTER (WHERE status = 'closed')::double precision AS handling_hours,
  count(*) FILTER (WHERE status <> 'rejected' AND reopened_count > 0) AS reopened,
  count(visit) AS visited,
  count(*) FILTER (WHERE visit IN ('satisfied', 'basically')) AS satisfied,
  count(*) FILTER (WHERE (status = 'closed' AND closed_at > deadline_at)
    OR (status NOT IN ('closed', 'rejected') AND deadline_at < :as_of)) AS overdue,
  count(*) FILTER (WHERE status <> 'rejected' AND escalation_level <> 'community') AS escalated
FROM (SELECT r.*, (SELECT v.result FROM return_visit v
                   WHERE v.report_id = r.id AND v.district_id = r.district_id
                   ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS visit
      FROM report r WHERE r.district_id = :d AND r.created_at >= :start
        AND r.created_at < :end) x
GROUP BY 1
"""
FAST = """
SELECT * FROM wangge_assessment_counts(:by, :d, :start, :end, :as_of)
"""
UNIT = {"street": "street_id", "community": "community_id", "department": "department_id"}
Q3 = parse_period("2019Q3")
AS_OF = datetime(2019, 9, 20, 12, tzinfo=CHINA)  # some of the open reports are late by then

NEW = """
INSERT INTO report (id, geom, category_code, reporter_id, community_id, street_id, district_id,
  department_id, deadline_at, created_at, closed_at, status, reopened_count, escalation_level,
  description)
SELECT gen_random_uuid(), ST_PointOnSurface(c.geom), 'fire_lane_blocked', u.id, c.id,
  c.street_id, s.district_id, (SELECT department_id FROM event_category
                               WHERE code = 'fire_lane_blocked'),
  :deadline, :created, :closed, :status, :reopened, :level, '考核汇总测试'
FROM community c JOIN street s ON s.id = c.street_id, app_user u
WHERE c.id = :c AND u.username = 'community1'
RETURNING id
"""


def _differences(conn: Connection) -> list:  # type: ignore[type-arg]
    return conn.execute(
        text(f"({ACTUAL} EXCEPT {KEPT}) UNION ALL ({KEPT} EXCEPT {ACTUAL})")  # noqa: S608
    ).all()


def _as_district(conn: Connection) -> int:
    district = conn.execute(
        text("SELECT district_id FROM app_user WHERE username = 'district'")
    ).scalar_one()
    conn.execute(
        text(
            "SELECT set_config('wangge.role', 'district_bureau', true),"
            " set_config('wangge.district_id', :d, true)"
        ),
        {"d": str(district)},
    )
    return int(district)


def _same_figures(conn: Connection, start: datetime, end: datetime, as_of: datetime) -> int:
    """The function's figures equal the naive query's for every kind of unit; the number of
    reports counted."""
    district = _as_district(conn)
    params = {"d": district, "start": start, "end": end, "as_of": as_of}
    counted = 0
    for by, unit in UNIT.items():
        fast = sorted(tuple(r) for r in conn.execute(text(FAST), {**params, "by": by}).all())
        naive = sorted(tuple(r) for r in conn.execute(text(NAIVE.format(unit=unit)), params).all())
        assert fast == naive, by
        counted = sum(r[1] for r in fast)
    return counted


def _check(conn: Connection) -> int:
    assert _differences(conn) == []
    counted = _same_figures(conn, Q3.start, Q3.end, AS_OF)
    # a window that starts and ends inside days: its part days are counted report by report
    _same_figures(conn, Q3.start + timedelta(days=3, hours=5), Q3.end - timedelta(hours=30), AS_OF)
    _same_figures(conn, Q3.start + timedelta(hours=2), Q3.start + timedelta(hours=20), AS_OF)
    return counted


def _communities(conn: Connection) -> list[int]:
    """Two communities of street1's street and one of another street of the district."""
    rows = conn.execute(
        text(
            "SELECT c.id, c.street_id = u.street_id AS own FROM community c"
            " JOIN street s ON s.id = c.street_id, app_user u"
            " WHERE u.username = 'street1' AND s.district_id = u.district_id"
            " ORDER BY own DESC, c.code"
        )
    ).all()
    own = [r[0] for r in rows if r[1]]
    other = [r[0] for r in rows if not r[1]]
    return [own[0], own[1] if len(own) > 1 else own[0], other[0]]


def _at(day: int, hour: float) -> datetime:
    return datetime(2019, 7, day, tzinfo=CHINA) + timedelta(hours=hour)


def _new(conn: Connection, community: int, created: datetime, status: str = "reported",
         closed: datetime | None = None, *, deadline_h: float = 24, reopened: int = 0,
         level: str = "community") -> str:  # fmt: skip
    return str(
        conn.execute(
            text(NEW),
            {
                "c": community,
                "created": created,
                "deadline": created + timedelta(hours=deadline_h),
                "closed": closed,
                "status": status,
                "reopened": reopened,
                "level": level,
            },  # fmt: skip
        ).scalar_one()
    )


def _visit(conn: Connection, ids: list[str], results: list[str], at: datetime) -> None:
    conn.execute(
        text(
            "INSERT INTO return_visit (report_id, result, actor_id, district_id, created_at)"
            " SELECT r.id, x.result, u.id, r.district_id, :at + x.n * interval '1 minute'"
            " FROM unnest(CAST(:ids AS uuid[]), CAST(:results AS text[]))"
            "   WITH ORDINALITY AS x(rid, result, n)"
            " JOIN report r ON r.id = x.rid, app_user u WHERE u.username = 'community1'"
        ),
        {"ids": ids, "results": results, "at": at},
    )


def test_the_rollup_follows_every_change(demo_db, owner_engine: Engine) -> None:
    with owner_engine.connect() as conn:
        trans = conn.begin()
        assert _differences(conn) == []
        a, b, other = _communities(conn)
        # one statement at a time, as the app makes them
        open1 = _new(conn, a, _at(2, 8))
        open2 = _new(conn, a, _at(3, 9), level="street")
        open3 = _new(conn, b, _at(4, 10), reopened=1)
        quick = _new(conn, a, _at(5, 8), "closed", _at(5, 8.5))  # half an hour: a finer scale
        late = _new(conn, b, _at(6, 8), "closed", _at(9, 8))
        on_time = _new(conn, other, _at(7, 23.5), "closed", _at(8, 3))
        rejected = _new(conn, a, _at(8, 8), "rejected", _at(8, 9))
        no_close_time = _new(conn, other, _at(10, 8), "closed")
        assert _check(conn) == 8
        # several at once in one statement (the tally groups a statement's rows by key)
        conn.execute(
            text(
                "UPDATE report SET status = 'closed', closed_at = created_at + interval '5 hours'"
                " WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [open1, open2]},
        )
        _check(conn)
        # return visits: the latest counts, a second replaces the first, one dated earlier
        # than the last changes nothing, two for one report in one statement
        _visit(conn, [late], ["dissatisfied"], _at(12, 10))
        _check(conn)
        _visit(conn, [late], ["satisfied"], _at(13, 10))
        _check(conn)
        _visit(conn, [late], ["dissatisfied"], _at(11, 10))
        _check(conn)
        _visit(conn, [on_time, on_time, quick], ["satisfied", "dissatisfied", "basically"],
               _at(14, 10))  # fmt: skip
        _check(conn)
        # reopened after a dissatisfied visit: no longer closed, counted as reopened; the
        # half-hour report leaves its finer scale behind in the tally's rows
        conn.execute(
            text(
                "UPDATE report SET status = 'in_progress', closed_at = NULL,"
                " reopened_count = reopened_count + 1 WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [on_time, quick]},
        )
        _check(conn)
        # closed again, late this time
        conn.execute(
            text("UPDATE report SET status = 'closed', closed_at = :at WHERE id = :id"),
            {"at": _at(20, 8), "id": on_time},
        )
        _check(conn)
        # rejected, escalated, moved to another community and street (with its visits)
        conn.execute(
            text("UPDATE report SET status = 'rejected', closed_at = :at WHERE id = :id"),
            {"at": _at(4, 12), "id": open3},
        )
        conn.execute(
            text("UPDATE report SET escalation_level = 'district' WHERE id = :id"), {"id": quick}
        )
        conn.execute(
            text(
                "UPDATE report SET community_id = c.id, street_id = c.street_id"
                " FROM community c WHERE c.id = :c AND report.id = :id"
            ),
            {"c": other, "id": late},
        )
        # a change to no counted column writes nothing
        rows = conn.execute(text("SELECT count(*) FROM report_assessment_tally")).scalar_one()
        conn.execute(text("UPDATE report SET description = '改' WHERE id = :id"), {"id": rejected})
        assert conn.execute(text("SELECT count(*) FROM report_assessment_tally")).scalar_one() == (
            rows
        )
        _check(conn)
        # a report without visits can be deleted
        conn.execute(text("DELETE FROM report WHERE id = :id"), {"id": no_close_time})
        assert _check(conn) == 7
        # folding the appended rows changes no figure
        rows = conn.execute(text("SELECT count(*) FROM report_assessment_tally")).scalar_one()
        assert conn.execute(text("SELECT wangge_assessment_tally_compact()")).scalar_one() > 0
        assert conn.execute(text("SELECT count(*) FROM report_assessment_tally")).scalar_one() < (
            rows
        )
        assert _check(conn) == 7
        trans.rollback()


def test_a_day_never_straddles_a_period(demo_db, owner_engine: Engine) -> None:
    """A report made at 00:10 on 1 October in China time (16:10 UTC on 30 September) is in the
    tally's 1 October and in the fourth quarter, as parse_period cuts it."""
    q4 = parse_period("2019Q4")
    assert Q3.end == q4.start == datetime(2019, 10, 1, tzinfo=CHINA)
    with owner_engine.connect() as conn:
        trans = conn.begin()
        a, _, _ = _communities(conn)
        before = _new(conn, a, q4.start - timedelta(minutes=30))
        after = _new(conn, a, q4.start + timedelta(minutes=10))
        days = dict(
            conn.execute(
                text(
                    "SELECT id::text, (created_at AT TIME ZONE 'Asia/Shanghai')::date FROM report"
                    " WHERE id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": [before, after]},
            ).all()
        )
        assert (str(days[before]), str(days[after])) == ("2019-09-30", "2019-10-01")
        district = _as_district(conn)
        for period, expected in ((Q3, before), (q4, after)):
            assert _same_figures(conn, period.start, period.end, period.end) >= 1
            found = conn.execute(
                text(
                    "SELECT sum(received) FROM wangge_assessment_counts('street', :d, :s, :e, :e)"
                ),
                {"d": district, "s": period.start, "e": period.end},
            ).scalar_one()
            assert found == 1, expected
        trans.rollback()


def test_the_migrations_backfill_equals_the_tally(demo_db, owner_engine: Engine) -> None:
    """What 025's upgrade fills from the existing reports and visits is what the triggers keep."""
    migration = importlib.import_module("migrations.versions.025_assessment_rollup")
    with owner_engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("CREATE TEMP TABLE filled (LIKE report_assessment_tally)"))
        conn.execute(text(migration.BACKFILL.replace("report_assessment_tally", "filled", 1)))
        filled = KEPT.replace("report_assessment_tally", "filled")
        assert conn.execute(text(f"({filled} EXCEPT {KEPT}) UNION ALL ({KEPT} EXCEPT {filled})")
                            ).all() == []  # noqa: S608  # fmt: skip
        assert conn.execute(text("SELECT count(*) FROM filled")).scalar_one() > 0
        trans.rollback()


def test_two_transactions_visiting_one_report_add_up(demo_db, owner_engine: Engine) -> None:
    """The second visit's transaction waits for the first's (the trigger locks the report), so
    it takes the first's visit as the one it replaces."""
    with owner_engine.begin() as conn:
        a, _, _ = _communities(conn)
        created = datetime(2018, 5, 2, 8, tzinfo=CHINA)
        rid = _new(conn, a, created, "closed", created + timedelta(hours=3))
    first_in = threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        try:
            with owner_engine.begin() as conn:
                _visit(conn, [rid], ["dissatisfied"], created + timedelta(days=2))
                first_in.set()
                time.sleep(0.5)  # the second is waiting for the report meanwhile
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            first_in.set()

    def second() -> None:
        try:
            first_in.wait(timeout=10)
            with owner_engine.begin() as conn:
                _visit(conn, [rid], ["satisfied"], created + timedelta(days=3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    with owner_engine.begin() as conn:
        assert _differences(conn) == []
        district = _as_district(conn)
        start, end = datetime(2018, 5, 1, tzinfo=CHINA), datetime(2018, 6, 1, tzinfo=CHINA)
        assert _same_figures(conn, start, end, end) == 1
        visited, satisfied = conn.execute(
            text(
                "SELECT sum(visited), sum(satisfied)"
                " FROM wangge_assessment_counts('street', :d, :s, :e, :e)"
            ),
            {"d": district, "s": start, "e": end},
        ).one()
        assert (visited, satisfied) == (1, 1)


def test_each_escalation_pass_folds_the_rollup(demo_db, owner_engine: Engine, settings) -> None:
    """After the pass (which runs 020's compaction, then 025's) the tally holds one row per key
    with a figure, and the figures are as they were."""
    from service.services.escalation import run_escalation

    with owner_engine.begin() as conn:
        a, _, _ = _communities(conn)
        created = datetime(2018, 6, 3, 8, tzinfo=CHINA)
        rid = _new(conn, a, created, "closed", created + timedelta(hours=2))
        conn.execute(
            text("UPDATE report SET escalation_level = 'street' WHERE id = :id"), {"id": rid}
        )
    run_escalation(settings)
    with owner_engine.begin() as conn:
        assert _differences(conn) == []
        rows = conn.execute(text("SELECT count(*) FROM report_assessment_tally")).scalar_one()
        keys = conn.execute(text(f"SELECT count(*) FROM ({KEPT}) k")).scalar_one()  # noqa: S608
        assert rows == keys
