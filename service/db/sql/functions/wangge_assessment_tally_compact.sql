CREATE OR REPLACE FUNCTION wangge_assessment_tally_compact() RETURNS bigint LANGUAGE sql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- Folds report_assessment_tally to one row per key (dropping keys whose figures are all 0); the
-- sums stay as they were for every reader. Rows appended meanwhile by other transactions are not
-- in this statement's snapshot and stay as they are. Returns the number of rows folded.
  WITH gone AS (DELETE FROM report_assessment_tally RETURNING *),
  folded AS (
    INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
      department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
      overdue_closed, escalated, visited, satisfied)
    SELECT district_id, created_day, street_id, community_id, department_id, hours_scale,
      sum(received),
      sum(rejected), sum(closed), sum(on_time), sum(hours), sum(hours_n), sum(reopened),
      sum(overdue_closed), sum(escalated), sum(visited), sum(satisfied)
    FROM gone GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(received) <> 0 OR sum(rejected) <> 0 OR sum(closed) <> 0 OR sum(on_time) <> 0
      OR sum(hours) <> 0 OR sum(hours_n) <> 0 OR sum(reopened) <> 0
      OR sum(overdue_closed) <> 0 OR sum(escalated) <> 0 OR sum(visited) <> 0
      OR sum(satisfied) <> 0
    RETURNING 1)
  SELECT count(*) - (SELECT count(*) FROM folded) FROM gone
$$;
