"""Overdue reports climb community → street → district (run with the owner's connection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from service.domain.vocabulary import AWAITING_HANDLING, sql_list

ESCALATE_SQL = text(
    f"""
    WITH due AS (
      SELECT id,
        CASE escalation_level WHEN 'community' THEN 'street' ELSE 'district' END AS next_level
      FROM report
      WHERE status IN ({sql_list(AWAITING_HANDLING)})
        AND ((escalation_level = 'community' AND deadline_at < :now)
          -- a second full deadline period late: the district takes it over
          OR (escalation_level = 'street' AND deadline_at + (deadline_at - created_at) < :now))
      FOR UPDATE SKIP LOCKED),
    up AS (
      UPDATE report r SET escalation_level = due.next_level, updated_at = now()
      FROM due WHERE r.id = due.id
      RETURNING r.id, r.status, r.street_id, r.district_id, r.escalation_level)
    INSERT INTO report_event (report_id, from_status, to_status, actor_id, note,
                              street_id, district_id)
    SELECT id, status, status, NULL,
      CASE escalation_level WHEN 'street' THEN '超期升级至街道 escalated to street'
           ELSE '超期升级至区 escalated to district' END,
      street_id, district_id
    FROM up
    RETURNING report_id
    """  # noqa: S608 - the vocabulary's constants only
)


def escalate_overdue(conn: Connection, now: datetime | None = None) -> int:
    """Escalate every overdue open report one level; the number escalated."""
    rows = conn.execute(ESCALATE_SQL, {"now": now or datetime.now().astimezone()}).all()
    return len(rows)


def compact_case_tally(conn: Connection) -> int:
    """Fold the rows the case counts' tally gained since the last pass (020_case_speed): the
    counts stay as they are, their sums get shorter. Rows folded."""
    return int(conn.execute(text("SELECT wangge_case_tally_compact()")).scalar_one())


def compact_assessment_tally(conn: Connection) -> int:
    """Fold the rows the assessment's roll-up gained since the last pass (025_assessment_rollup):
    the figures stay as they are, their sums get shorter. Rows folded."""
    return int(conn.execute(text("SELECT wangge_assessment_tally_compact()")).scalar_one())
