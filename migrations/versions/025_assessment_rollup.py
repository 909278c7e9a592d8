"""The performance assessment from a roll-up kept with each change: a quarter of the district
sums a few thousand tally rows instead of grouping a quarter of reports.

- `report_assessment_tally`: its sums by (district, created day in China time, street,
  community, department) are the assessment's additive figures of the reports with that key
  (received, rejected, closed, on time, handling hours and their number, reopened, closed late,
  escalated) and of each one's last return visit in its district (visited, satisfied).
  `hours_scale` (the numeric scale of a closed report's handling hours, also in the key) lets
  `wangge_assessment_counts` divide the mean handling time at the scale avg() would: the same
  value to the last digit. Every report is in it, open ones too: only what depends on the time
  of asking (an open report past its deadline) is counted live.
- The statement-level triggers `report_assessment_tally_*` (function `wangge_assessment_tally`)
  append each statement's change as signed rows in the same transaction, as 020's
  `report_case_tally` does; a changed report leaves with its old figures and comes back with its
  new ones (reopened: no longer closed; rejected: no longer in the rates). `return_visit`'s
  trigger (`wangge_assessment_tally_visit`) moves a report's visit figures from its previous last
  visit to its new one. `wangge_assessment_tally_compact` folds the rows (run by each escalation
  pass, after 020's compaction); the sums are right with or without it.
- `wangge_assessment_counts` sums the tally over the period's whole China-time days (the API's
  months and quarters start and end at midnight +08:00, so a day never straddles a period),
  counts the open reports past their deadline over `report_assessment_late_idx`, and counts a
  period's part days (a start or end not at midnight) report by report as before.
- The upgrade fills the tally from the existing reports and visits (with both tables locked
  against writes meanwhile).

Revision ID: 025_assessment_rollup
Revises: 024_assessment_speed
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "025_assessment_rollup"
down_revision = "024_assessment_speed"
branch_labels = None
depends_on = None

GROUPED_PIN = "0b8d41460c48"  # 024's one grouped pass
COUNTS_PIN = "6fa90df4e213"
TALLY_PIN = "5495e44d02b9"
VISIT_PIN = "4aa321fa3bfb"
COMPACT_PIN = "49e5b4e1ddf9"
KEY = "district_id, created_day, street_id, community_id, department_id, hours_scale"
FIGURES = (
    "received, rejected, closed, on_time, hours, hours_n, reopened, overdue_closed, escalated,"
    " visited, satisfied"
)
HOURS = "extract(epoch FROM r.closed_at - r.created_at) / 3600.0"
BACKFILL = f"""
INSERT INTO report_assessment_tally ({KEY}, {FIGURES})
SELECT r.district_id, (r.created_at AT TIME ZONE 'Asia/Shanghai')::date, r.street_id,
  r.community_id, r.department_id, CASE WHEN r.status = 'closed' THEN scale({HOURS}) END,
  count(*), count(*) FILTER (WHERE r.status = 'rejected'),
  count(*) FILTER (WHERE r.status = 'closed'),
  count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at <= r.deadline_at),
  sum({HOURS}) FILTER (WHERE r.status = 'closed'),
  count({HOURS}) FILTER (WHERE r.status = 'closed'),
  count(*) FILTER (WHERE r.status <> 'rejected' AND r.reopened_count > 0),
  count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at > r.deadline_at),
  count(*) FILTER (WHERE r.status <> 'rejected' AND r.escalation_level <> 'community'),
  count(lv.result), count(*) FILTER (WHERE lv.result IN ('satisfied', 'basically'))
FROM report r
LEFT JOIN (SELECT DISTINCT ON (v.report_id, v.district_id) v.report_id, v.district_id, v.result
           FROM return_visit v
           ORDER BY v.report_id, v.district_id, v.created_at DESC, v.id DESC) lv
  ON lv.report_id = r.id AND lv.district_id = r.district_id
GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 - constants of this file only


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE report_assessment_tally (
          district_id integer NOT NULL,
          created_day date NOT NULL,
          street_id integer,
          community_id integer,
          department_id integer,
          hours_scale integer,
          received bigint NOT NULL,
          rejected bigint NOT NULL,
          closed bigint NOT NULL,
          on_time bigint NOT NULL,
          hours numeric,
          hours_n bigint NOT NULL,
          reopened bigint NOT NULL,
          overdue_closed bigint NOT NULL,
          escalated bigint NOT NULL,
          visited bigint NOT NULL,
          satisfied bigint NOT NULL
        );
        CREATE INDEX report_assessment_tally_day_idx ON report_assessment_tally
          (district_id, created_day);
        ALTER TABLE report_assessment_tally ENABLE ROW LEVEL SECURITY;
        REVOKE ALL ON report_assessment_tally FROM PUBLIC;
        """
    )
    op.execute(function_sql("wangge_assessment_tally", TALLY_PIN))
    op.execute(function_sql("wangge_assessment_tally_visit", VISIT_PIN))
    op.execute(function_sql("wangge_assessment_tally_compact", COMPACT_PIN))
    op.execute("LOCK TABLE report, return_visit IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL)
    op.execute(
        """
        CREATE TRIGGER report_assessment_tally_insert AFTER INSERT ON report
          REFERENCING NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_assessment_tally();
        CREATE TRIGGER report_assessment_tally_update AFTER UPDATE ON report
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_assessment_tally();
        CREATE TRIGGER report_assessment_tally_delete AFTER DELETE ON report
          REFERENCING OLD TABLE AS old_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_assessment_tally();
        CREATE TRIGGER return_visit_assessment_tally AFTER INSERT ON return_visit
          REFERENCING NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_assessment_tally_visit();
        -- the open reports past their deadline, the one figure counted live
        CREATE INDEX report_assessment_late_idx ON report (district_id, deadline_at)
          INCLUDE (created_at, street_id, community_id, department_id)
          WHERE status NOT IN ('closed', 'rejected');
        """
    )
    op.execute(function_sql("wangge_assessment_counts", COUNTS_PIN))


def downgrade() -> None:
    op.execute(function_sql("wangge_assessment_counts", GROUPED_PIN))
    op.execute(
        """
        DROP INDEX IF EXISTS report_assessment_late_idx;
        DROP TRIGGER IF EXISTS return_visit_assessment_tally ON return_visit;
        DROP TRIGGER IF EXISTS report_assessment_tally_insert ON report;
        DROP TRIGGER IF EXISTS report_assessment_tally_update ON report;
        DROP TRIGGER IF EXISTS report_assessment_tally_delete ON report;
        DROP FUNCTION IF EXISTS wangge_assessment_tally_visit();
        DROP FUNCTION IF EXISTS wangge_assessment_tally();
        DROP FUNCTION IF EXISTS wangge_assessment_tally_compact();
        DROP TABLE IF EXISTS report_assessment_tally;
        """
    )
