"""`wangge_assessment_counts` applies the caller's reach itself: for every role, its figures
equal the naive grouped query run through the app role under row-level security (a
department: only its routed reports), on the demo city's reports, for every kind of unit."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import TestDatabase

NAIVE = """
SELECT {unit} AS unit_id, count(*) AS received,
  count(*) FILTER (WHERE status = 'rejected') AS rejected,
  count(*) FILTER (WHERE status = 'closed') AS closed,
  count(*) FILTER (WHERE status = 'closed' AND closed_at <= deadline_at) AS on_time,
  count(*) FILTER (WHERE status <> 'rejected' AND reopened_count > 0) AS reopened,
  count(visit) AS visited,
  count(*) FILTER (WHERE visit IN ('satisfied', 'basically')) AS satisfied,
  count(*) FILTER (WHERE (status = 'closed' AND closed_at > deadline_at)
    OR (status NOT IN ('closed', 'rejected') AND deadline_at < now())) AS overdue,
  count(*) FILTER (WHERE status <> 'rejected' AND escalation_level <> 'community') AS escalated
FROM (SELECT r.*, (SELECT v.result FROM return_visit v WHERE v.report_id = r.id
                   ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS visit
      FROM report r WHERE r.district_id = %(d)s AND r.created_at >= now() - interval '3 years'
        AND (%(dept)s::integer IS NULL OR r.department_id = %(dept)s)) x
GROUP BY 1
"""
FAST = """
SELECT unit_id, received, rejected, closed, on_time, reopened, visited, satisfied, overdue,
  escalated
FROM wangge_assessment_counts(%(by)s, %(d)s, now() - interval '3 years', now() + interval '1 day',
                              now())
"""
USERS = ("district", "planner", "street1", "community1", "dept-fire", "admin", "worker1")


@pytest.fixture
def app_conn(demo_db: TestDatabase) -> Iterator[psycopg.Connection]:
    if demo_db.app_url == demo_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(demo_db.libpq("app")) as conn:
        yield conn
        conn.rollback()


def _as(conn: psycopg.Connection, username: str) -> tuple[int | None, int | None, str]:
    row = conn.execute(
        "SELECT id, role, district_id, street_id, community_id, department_id"
        " FROM app_user WHERE username = %s",
        (username,),
    ).fetchone()
    assert row is not None
    names = ("user_id", "role", "district_id", "street_id", "community_id", "department_id")
    for name, value in zip(names, row, strict=True):
        conn.execute(
            "SELECT set_config(%s, %s, true)",
            (f"wangge.{name}", "" if value is None else str(value)),
        )
    return row[2], row[5], row[1]


@pytest.mark.parametrize("username", USERS)
def test_the_function_equals_the_naive_query_under_rls(app_conn, username) -> None:
    district, department, role = _as(app_conn, username)
    if district is None:  # the demo admin is bound to no district: ask for the first
        district = app_conn.execute("SELECT min(id) FROM district").fetchone()[0]
    dept = department if role == "department" else None
    for by, unit in (("street", "street_id"), ("community", "community_id"),
                     ("department", "department_id")):  # fmt: skip
        fast = sorted(app_conn.execute(FAST, {"by": by, "d": district}).fetchall())
        if role == "grid_worker":
            assert fast == []  # not a reader of the assessment (it sees its own reports only)
            continue
        naive = sorted(
            app_conn.execute(NAIVE.format(unit=unit), {"d": district, "dept": dept}).fetchall()
        )
        assert fast == naive, (username, by)
        if username in ("district", "street1", "dept-fire"):
            assert sum(r[1] for r in fast) > 0, (username, by)
