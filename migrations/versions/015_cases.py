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

from service.db.sql_functions import function_sql

revision = "015_cases"
down_revision = "016_records"
branch_labels = None
depends_on = None

# the open and the closed statuses (service/domain/vocabulary.py): the queues' IN lists match
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


# The workbench's live counts. Under row-level security every counted row pays for the policy
# expression (about 1.5 µs a row: 150 ms for a street with 100,000 open reports), so the counts
# run as the owner in wangge_case_counts (service/db/sql/functions/), which applies the
# jurisdiction itself from the same transaction-local identity the policies read.
CASE_COUNTS_PIN = "e9e0c443f786"


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
    op.execute(function_sql("wangge_case_counts", CASE_COUNTS_PIN))
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
