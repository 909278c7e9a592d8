"""Case handling: queue indexes, joint handling (联合处置) parts, and their row-level security.

The workbench lists each queue of a jurisdiction sorted by deadline and pages by keyset
(deadline_at, id); its counts come from one pass over the open reports of the jurisdiction.
Partial covering indexes hold exactly the open reports (plus verified ones waiting for 销号),
keyed by each jurisdiction level, and carry every column the queue filters and the
`report_visible` policy read, so both are index-only scans.

`report_assist` holds the assisting departments of a jointly handled report, each with its own
part and progress. It carries the report's area columns so that its policy needs no look-up in
`report` (whose own policy looks up `report_assist`: a policy cycle PostgreSQL refuses).

Revision ID: 015_cases
Revises: 016_records
"""

from alembic import op

revision = "015_cases"
down_revision = "016_records"
branch_labels = None
depends_on = None

# service/db/repositories/case_queues.py CASE_STATUSES: the queries' IN list must match it
CASE_OPEN = "'reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified'"
FINISHED = "'closed', 'rejected'"
CARRIED = "district_id, street_id, community_id, department_id, reporter_id, escalation_level"
LEVELS = ("district_id", "street_id", "community_id", "department_id")


def _setting(name: str) -> str:
    return f"(SELECT wangge_setting_int('{name}'))"


ASSIST_AREA = f"""coalesce(CASE (SELECT wangge_setting('role'))
    WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                      OR district_id = {_setting("district_id")}
    WHEN 'district_bureau' THEN district_id = {_setting("district_id")}
    WHEN 'planner' THEN district_id = {_setting("district_id")}
    WHEN 'street_office' THEN street_id = {_setting("street_id")}
    WHEN 'community_staff' THEN community_id = {_setting("community_id")}
    WHEN 'grid_worker' THEN community_id = {_setting("community_id")}
    WHEN 'department' THEN district_id = {_setting("district_id")}
    ELSE false END, false)"""

ASSISTED_BY_ME = f"""((SELECT wangge_setting('role')) = 'department' AND EXISTS (
    SELECT 1 FROM report_assist a WHERE a.report_id = report.id
      AND a.department_id = {_setting("department_id")}))"""


def _rows(columns: str, statuses: str, extra: str = "true") -> str:
    """The caller's reports in `statuses`, one UNION branch per kind of jurisdiction; each
    branch is gated by a one-time test of the role, so only the caller's own branch runs."""
    role = "(SELECT wangge_setting('role'))"
    d, s, c, dep = (_setting(n) for n in ("district_id", "street_id", "community_id",
                                          "department_id"))  # fmt: skip
    conds = [
        f"{role} = 'admin' AND (SELECT wangge_setting('district_id')) IS NULL",
        f"{role} IN ('admin', 'district_bureau') AND r.district_id = {d}",
        f"{role} = 'street_office' AND r.street_id = {s}",
        f"{role} = 'community_staff' AND r.community_id = {c}",
        f"{role} = 'department' AND r.district_id = {d} AND r.department_id = {dep}",
        f"{role} = 'department' AND r.district_id = {d} AND r.department_id <> {dep}"
        f" AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = {dep})",
    ]
    return " UNION ALL ".join(
        f"SELECT {columns} FROM report r WHERE r.status IN ({statuses}) AND {extra} AND {cond}"
        for cond in conds
    )


OVERDUE = "'reported', 'accepted', 'dispatched', 'in_progress'"
# queue → condition on a row of `fresh` (status, late, escalated) and the status of its count
QUEUE_STATUS = {
    "accept": "'reported'",
    "dispatch": "'accepted'",
    "handling": "'dispatched', 'in_progress'",
    "verify": "'handled'",
    "close": "'verified'",
}
CHANGED = (
    "r.id IN (SELECT e.report_id FROM report_event e"
    " WHERE e.district_id = (SELECT wangge_setting_int('district_id'))"
    " AND e.created_at > p_since)"
)
# The workbench's live counts. Under row-level security every counted row pays for the policy
# expression (about 1.5 µs a row: 150 ms for a street with 100,000 open reports), so the counts
# run as the owner in this function, which applies the same jurisdiction rule itself from the
# same transaction-local identity the policies read (set by wangge_authenticate with the token).
# Each count is a plain index-only count (by status, or an index range of the deadline); what
# is new since `p_since` comes from the append-only history, which is small for a recent time.
CASE_COUNTS = f"""
CREATE FUNCTION wangge_case_counts(p_now timestamptz, p_since timestamptz,
                                   p_recent timestamptz, p_level text)
RETURNS TABLE ({", ".join(f"{q} bigint, new_{q} bigint" for q in (*QUEUE_STATUS, "overdue", "escalated"))},
               finished bigint, new_finished bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH by_status AS (
    SELECT status, count(*) AS n FROM ({_rows("r.status", CASE_OPEN)}) x GROUP BY status),
  fresh AS ({_rows("r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at", CASE_OPEN + ", " + FINISHED, CHANGED)})
  SELECT {", ".join(f"(SELECT coalesce(sum(n), 0)::bigint FROM by_status WHERE status IN ({st})), (SELECT count(*) FROM fresh WHERE status IN ({st}))" for st in QUEUE_STATUS.values())},
    (SELECT count(*) FROM ({_rows("1", OVERDUE, "r.deadline_at < p_now")}) x),
    (SELECT count(*) FROM fresh WHERE status IN ({OVERDUE}) AND late),
    (SELECT count(*) FROM ({_rows("1", OVERDUE, "r.escalation_level = p_level")}) x),
    (SELECT count(*) FROM fresh WHERE status IN ({OVERDUE}) AND escalated),
    (SELECT count(*) FROM ({_rows("1", FINISHED, "r.closed_at >= p_recent")}) x),
    (SELECT count(*) FROM fresh WHERE status IN ({FINISHED}) AND closed_at >= p_recent)
$$
"""  # noqa: E501


def upgrade() -> None:
    for level in LEVELS:
        name = level.removesuffix("_id")
        op.execute(
            f"""
            CREATE INDEX report_case_{name}_idx ON report ({level}, status, deadline_at, id)
              INCLUDE ({CARRIED}, updated_at) WHERE status IN ({CASE_OPEN})
            """
        )
    # the overdue and escalated queues walk a jurisdiction's open reports in deadline order
    op.execute(
        f"""
        CREATE INDEX report_case_street_deadline_idx ON report (street_id, deadline_at, id)
          INCLUDE ({CARRIED}, status) WHERE status IN ({CASE_OPEN});
        CREATE INDEX report_case_finished_idx ON report (closed_at, id)
          INCLUDE ({CARRIED}, status) WHERE status IN ({FINISHED});
        CREATE INDEX report_reporter_updated_idx ON report (reporter_id, updated_at, id);
        CREATE INDEX report_event_district_created_idx ON report_event (district_id, created_at);
        """
    )
    op.execute(
        f"""
        CREATE TABLE report_assist (
          report_id uuid NOT NULL REFERENCES report(id),
          department_id integer NOT NULL REFERENCES department(id),
          part text NOT NULL CHECK (length(part) BETWEEN 1 AND 1000),
          status text NOT NULL DEFAULT 'dispatched'
            CHECK (status IN ('dispatched', 'in_progress', 'handled')),
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          district_id integer NOT NULL REFERENCES district(id),
          street_id integer REFERENCES street(id),
          community_id integer REFERENCES community(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (report_id, department_id)
        );
        CREATE INDEX report_assist_department_idx ON report_assist (department_id, status);
        ALTER TABLE report_assist ENABLE ROW LEVEL SECURITY;
        CREATE POLICY report_assist_visible ON report_assist FOR SELECT USING ({ASSIST_AREA});
        CREATE POLICY report_assist_insert ON report_assist FOR INSERT WITH CHECK ({ASSIST_AREA});
        CREATE POLICY report_assist_update ON report_assist FOR UPDATE USING ({ASSIST_AREA});
        -- an assisting department sees and works the report it was asked to help with
        CREATE POLICY report_visible_assist ON report FOR SELECT USING ({ASSISTED_BY_ME});
        CREATE POLICY report_update_assist ON report FOR UPDATE USING ({ASSISTED_BY_ME});
        """
    )
    op.execute(CASE_COUNTS)
    op.execute(
        "REVOKE EXECUTE ON FUNCTION wangge_case_counts(timestamptz, timestamptz, timestamptz,"
        " text) FROM PUBLIC"
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT, UPDATE ON report_assist TO wangge_app;
            GRANT EXECUTE ON FUNCTION wangge_case_counts(timestamptz, timestamptz, timestamptz,
              text) TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP FUNCTION IF EXISTS wangge_case_counts(timestamptz, timestamptz, timestamptz, text);
        DROP POLICY IF EXISTS report_visible_assist ON report;
        DROP POLICY IF EXISTS report_update_assist ON report;
        DROP TABLE IF EXISTS report_assist;
        DROP INDEX IF EXISTS report_reporter_updated_idx;
        DROP INDEX IF EXISTS report_event_district_created_idx;
        DROP INDEX IF EXISTS report_case_finished_idx;
        DROP INDEX IF EXISTS report_case_street_deadline_idx;
        """
    )
    for level in LEVELS:
        op.execute(f"DROP INDEX IF EXISTS report_case_{level.removesuffix('_id')}_idx")
