"""The workbench counts in one pass, with a kept plan and indexes for the finished queue.

- `wangge_case_counts` counts the open queues with count(*) FILTER over one scan of the
  jurisdiction's open reports instead of three, and the "new since" badges in one pass; it is
  plpgsql with plan_cache_mode = force_custom_plan (a generic plan, not knowing the
  jurisdiction's ids, ran 350-450 ms at 1,000,000 reports). The jurisdiction branches are the
  same text as before.
- The finished (已办结) count walked every report of a street and intersected it with recent
  closures; each level now has a partial index on (level, closed_at) over finished reports.

Revision ID: 018_case_counts_speed
Revises: 017_residents
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "018_case_counts_speed"
down_revision = "017_residents"
branch_labels = None
depends_on = None

# the text migration 015 loaded, kept in service/db/sql/history/
UNION_PIN = "e9e0c443f786"
ONE_PASS_PIN = "73a3a333abce"
FINISHED = "'closed', 'rejected'"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE INDEX report_finished_district_idx ON report (district_id, closed_at)
          INCLUDE (status, department_id, id) WHERE status IN ({FINISHED});
        CREATE INDEX report_finished_street_idx ON report (street_id, closed_at)
          INCLUDE (status) WHERE status IN ({FINISHED});
        CREATE INDEX report_finished_community_idx ON report (community_id, closed_at)
          INCLUDE (status) WHERE status IN ({FINISHED});
        """
    )
    op.execute(function_sql("wangge_case_counts", ONE_PASS_PIN))


def downgrade() -> None:
    op.execute(function_sql("wangge_case_counts", UNION_PIN))
    op.execute(
        """
        DROP INDEX IF EXISTS report_finished_district_idx;
        DROP INDEX IF EXISTS report_finished_street_idx;
        DROP INDEX IF EXISTS report_finished_community_idx;
        """
    )
