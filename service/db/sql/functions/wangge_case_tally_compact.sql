CREATE OR REPLACE FUNCTION wangge_case_tally_compact() RETURNS bigint LANGUAGE sql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- Folds report_case_tally to one row per key (dropping keys that sum to 0); the sums stay as
-- they were for every reader. Rows appended meanwhile by other transactions are not in this
-- statement's snapshot and stay as they are. Returns the number of rows folded.
  WITH gone AS (DELETE FROM report_case_tally RETURNING *),
  folded AS (
    INSERT INTO report_case_tally (district_id, status, closed_day, street_id, community_id,
      department_id, escalation_level, n)
    SELECT district_id, status, closed_day, street_id, community_id, department_id,
      escalation_level, sum(n)
    FROM gone GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0
    RETURNING 1)
  SELECT count(*) - (SELECT count(*) FROM folded) FROM gone
$$;
