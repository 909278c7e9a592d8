"""Case handling at benchmark size: queue counts from a tally kept with each change, and an
index for the nearby-duplicates look-up.

- `report_case_tally`: its sums by (district, status, closed day, street, community,
  department, escalation level) are count(*) of report by the same key. The statement-level
  triggers `report_case_tally_*` (function `wangge_case_tally`) append each statement's change
  in the same transaction, so the tally commits and rolls back with the reports; appending
  (not updating a row per key) keeps concurrent moves in one street from waiting on each
  other. `wangge_case_tally_compact` folds the rows (run by each escalation pass). The owner
  reads it in `wangge_case_counts` (applying the jurisdiction as before); the app role has no
  grant on it.
- `wangge_case_counts` sums the tally for the status queues, 已升级 and 已办结's whole days,
  and counts live only what depends on the clock (已超期, the first day of 已办结) and a
  department's assisted reports.
- `report_late_*_idx`: narrow partial indexes (level, deadline_at) over the reports that can be
  overdue, so that 已超期 is an index-only count of the overdue entries alone (the wide
  covering indexes of 015 took 11 ms for 14,000 entries, these about 1 ms).
- `report_unresolved_geom_idx`: a GiST index over the reports a new one may duplicate, for the
  case page's nearest-first look-up.

Revision ID: 020_case_speed
Revises: 019_records_rls
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "020_case_speed"
down_revision = "019_records_rls"
branch_labels = None
depends_on = None

ONE_PASS_PIN = "73a3a333abce"
TALLY_COUNTS_PIN = "b2df3ab39448"
TALLY_PIN = "be8d01c17d2c"
COMPACT_PIN = "33d63098f737"
KEY = "district_id, status, closed_day, street_id, community_id, department_id, escalation_level"
AWAITING = "'reported', 'accepted', 'dispatched', 'in_progress'"
LATE = {"district": "district_id", "street": "street_id", "community": "community_id",
        "department": "department_id, district_id"}  # fmt: skip
UNRESOLVED = "'reported', 'accepted', 'dispatched', 'in_progress', 'handled'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE report_case_tally (
          district_id integer,
          status text NOT NULL,
          closed_day date,
          street_id integer,
          community_id integer,
          department_id integer,
          escalation_level text,
          n bigint NOT NULL
        );
        CREATE INDEX report_case_tally_district_idx ON report_case_tally
          (district_id, status, closed_day);
        CREATE INDEX report_case_tally_street_idx ON report_case_tally
          (street_id, status, closed_day);
        CREATE INDEX report_case_tally_community_idx ON report_case_tally
          (community_id, status, closed_day);
        CREATE INDEX report_case_tally_department_idx ON report_case_tally
          (department_id, status, closed_day);
        ALTER TABLE report_case_tally ENABLE ROW LEVEL SECURITY;
        REVOKE ALL ON report_case_tally FROM PUBLIC;
        """
    )
    op.execute(function_sql("wangge_case_tally", TALLY_PIN))
    op.execute(function_sql("wangge_case_tally_compact", COMPACT_PIN))
    op.execute(
        f"""
        LOCK TABLE report IN SHARE ROW EXCLUSIVE MODE;
        INSERT INTO report_case_tally ({KEY}, n)
        SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
            THEN (closed_at AT TIME ZONE 'UTC')::date END, street_id, community_id,
          department_id, CASE WHEN status NOT IN ('closed', 'rejected') THEN escalation_level END,
          count(*)
        FROM report GROUP BY 1, 2, 3, 4, 5, 6, 7;
        CREATE TRIGGER report_case_tally_insert AFTER INSERT ON report
          REFERENCING NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_case_tally();
        CREATE TRIGGER report_case_tally_update AFTER UPDATE ON report
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_case_tally();
        CREATE TRIGGER report_case_tally_delete AFTER DELETE ON report
          REFERENCING OLD TABLE AS old_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_case_tally();
        CREATE INDEX report_unresolved_geom_idx ON report USING gist (geom)
          WHERE status IN ({UNRESOLVED});
        """
    )
    for name, cols in LATE.items():
        op.execute(
            f"CREATE INDEX report_late_{name}_idx ON report ({cols}, deadline_at)"
            f" WHERE status IN ({AWAITING})"
        )
    op.execute(function_sql("wangge_case_counts", TALLY_COUNTS_PIN))


def downgrade() -> None:
    op.execute(function_sql("wangge_case_counts", ONE_PASS_PIN))
    for name in LATE:
        op.execute(f"DROP INDEX IF EXISTS report_late_{name}_idx")
    op.execute(
        """
        DROP INDEX IF EXISTS report_unresolved_geom_idx;
        DROP TRIGGER IF EXISTS report_case_tally_insert ON report;
        DROP TRIGGER IF EXISTS report_case_tally_update ON report;
        DROP TRIGGER IF EXISTS report_case_tally_delete ON report;
        DROP FUNCTION IF EXISTS wangge_case_tally();
        DROP FUNCTION IF EXISTS wangge_case_tally_compact();
        DROP TABLE IF EXISTS report_case_tally;
        """
    )
