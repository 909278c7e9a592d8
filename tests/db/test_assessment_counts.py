"""`wangge_assessment_counts` applies the caller's reach itself: for every role, its figures
equal the naive grouped query run through the app role under row-level security (a
department: only its routed reports; everyone: only their area, not what they filed elsewhere),
on the demo city's reports, for every kind of unit."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import TestDatabase
from tests.rls_identity import act_as

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
        AND (%(dept)s::integer IS NULL OR r.department_id = %(dept)s)
        AND (%(street)s::integer IS NULL OR r.street_id = %(street)s)
        AND (%(comm)s::integer IS NULL OR r.community_id = %(comm)s)) x
GROUP BY 1
"""
FAST = """
SELECT unit_id, received, rejected, closed, on_time, reopened, visited, satisfied, overdue,
  escalated
FROM wangge_assessment_counts(%(by)s, %(d)s, now() - interval '3 years', now() + interval '1 day',
                              now())
"""
USERS = ("district", "planner", "street1", "community1", "dept-fire", "admin", "worker1")


FILED_ELSEWHERE = """
INSERT INTO report (id, geom, accuracy_m, category_code, description, status, reporter_id,
  grid_cell_id, residential_area_id, community_id, street_id, district_id, department_id,
  deadline_at, created_at, updated_at)
SELECT gen_random_uuid(), r.geom, r.accuracy_m, r.category_code, '他处所报', 'reported', u.id,
  r.grid_cell_id, r.residential_area_id, r.community_id, r.street_id, r.district_id,
  r.department_id, now() + interval '1 day', now(), now()
FROM app_user u, LATERAL (SELECT * FROM report x WHERE x.street_id IS DISTINCT FROM u.street_id
  AND x.community_id IS DISTINCT FROM u.community_id AND x.district_id = u.district_id
  ORDER BY x.id LIMIT 1) r
WHERE u.username IN ('street1', 'community1')
"""


@pytest.fixture(scope="module")
def filed_elsewhere(demo_db: TestDatabase) -> None:
    """Reports street1 and community1 filed outside their area: row-level security shows them
    to their filers, the assessment of their area does not count them."""
    with psycopg.connect(demo_db.libpq("owner")) as owner:
        owner.execute(FILED_ELSEWHERE)
        owner.commit()


@pytest.fixture
def app_conn(demo_db: TestDatabase, filed_elsewhere: None) -> Iterator[psycopg.Connection]:
    if demo_db.app_url == demo_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(demo_db.libpq("app")) as conn:
        yield conn
        conn.rollback()


def _as(
    conn: psycopg.Connection, username: str
) -> tuple[int | None, int | None, str, int | None, int | None]:
    _, role, district, street, community, department = act_as(conn, username)
    return district, department, role, street, community


@pytest.mark.parametrize("username", USERS)
def test_the_function_equals_the_naive_query_under_rls(app_conn, username) -> None:
    district, department, role, street_id, community_id = _as(app_conn, username)
    if district is None:  # the demo admin is bound to no district: ask for the first
        district = app_conn.execute("SELECT min(id) FROM district").fetchone()[0]
    # the assessment covers the caller's area: row-level security also shows a user the
    # reports they filed elsewhere (and a department those it assists), which it does not count
    dept = department if role == "department" else None
    area = {"dept": dept, "street": street_id if role == "street_office" else None,
            "comm": community_id if role == "community_staff" else None}  # fmt: skip
    for by, unit in (("street", "street_id"), ("community", "community_id"),
                     ("department", "department_id")):  # fmt: skip
        fast = sorted(app_conn.execute(FAST, {"by": by, "d": district}).fetchall())
        if role == "grid_worker":
            assert fast == []  # not a reader of the assessment (it sees its own reports only)
            continue
        naive = sorted(
            app_conn.execute(NAIVE.format(unit=unit), {"d": district, **area}).fetchall()
        )
        assert fast == naive, (username, by)
        if username in ("district", "street1", "dept-fire"):
            assert sum(r[1] for r in fast) > 0, (username, by)
