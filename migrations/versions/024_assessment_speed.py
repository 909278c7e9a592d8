"""The performance assessment in one grouped pass as the owner, over a covering index.

- `wangge_assessment_counts` (service/db/sql/functions/) counts a period's figures per street,
  community or department; it applies the caller's reach itself (the identity
  `wangge_authenticate` set), as `wangge_case_counts` does, instead of row-level security row by
  row, and joins each report's last return visit once instead of a sub-select per report.
- report_assessment_idx replaces report_district_created_idx (migration 017): the same key,
  with what the assessment reads included, so the quarter is an index-only scan.

025_assessment_rollup replaces the function with sums of a roll-up kept by triggers (this text
stays in service/db/sql/history/ for this migration and 025's downgrade); the index stays for
the part days of a window not cut at midnight.

Revision ID: 024_assessment_speed
Revises: 023_surveys
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "024_assessment_speed"
down_revision = "023_surveys"
branch_labels = None
depends_on = None

PIN = "0b8d41460c48"
SIGNATURE = "wangge_assessment_counts(text, integer, timestamptz, timestamptz, timestamptz)"


def upgrade() -> None:
    op.execute(
        """
        CREATE INDEX report_assessment_idx ON report (district_id, created_at)
          INCLUDE (street_id, community_id, department_id, status, closed_at, deadline_at,
                   reopened_count, escalation_level, id);
        DROP INDEX IF EXISTS report_district_created_idx;
        CREATE INDEX IF NOT EXISTS return_visit_district_idx
          ON return_visit (district_id, created_at) INCLUDE (report_id, id, result);
        """
    )
    op.execute(function_sql("wangge_assessment_counts", PIN))
    op.execute(f"REVOKE EXECUTE ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(
        f"""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT EXECUTE ON FUNCTION {SIGNATURE} TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        DROP FUNCTION IF EXISTS {SIGNATURE};
        DROP INDEX IF EXISTS return_visit_district_idx;
        CREATE INDEX report_district_created_idx ON report (district_id, created_at);
        DROP INDEX IF EXISTS report_assessment_idx;
        """
    )
