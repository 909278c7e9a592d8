CREATE OR REPLACE FUNCTION wangge_case_tally() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- Keeps the sums of report_case_tally by its key equal to count(*) of report by the same key:
-- each statement that changes reports appends its change (+n, -n per key) in its own
-- transaction, so a rollback takes it back. Appending, not updating one row per key: two
-- transactions moving reports of one street never wait for each other (nor deadlock).
-- wangge_case_tally_compact folds the rows now and then. A change that leaves every key as it
-- was writes nothing.
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO report_case_tally (district_id, status, closed_day, street_id,
      community_id, department_id, escalation_level, n)
    SELECT district_id, status, closed_day, street_id, community_id, department_id,
      escalation_level, count(*)
    FROM (SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
            THEN (closed_at AT TIME ZONE 'UTC')::date END AS closed_day, street_id,
            community_id, department_id, CASE WHEN status NOT IN ('closed', 'rejected')
            THEN escalation_level END AS escalation_level FROM new_rows) k
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO report_case_tally (district_id, status, closed_day, street_id,
      community_id, department_id, escalation_level, n)
    SELECT district_id, status, closed_day, street_id, community_id, department_id,
      escalation_level, -count(*)
    FROM (SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
            THEN (closed_at AT TIME ZONE 'UTC')::date END AS closed_day, street_id,
            community_id, department_id, CASE WHEN status NOT IN ('closed', 'rejected')
            THEN escalation_level END AS escalation_level FROM old_rows) k
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
  ELSE
    INSERT INTO report_case_tally (district_id, status, closed_day, street_id,
      community_id, department_id, escalation_level, n)
    SELECT district_id, status, closed_day, street_id, community_id, department_id,
      escalation_level, sum(d)
    FROM (SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
            THEN (closed_at AT TIME ZONE 'UTC')::date END AS closed_day, street_id,
            community_id, department_id, CASE WHEN status NOT IN ('closed', 'rejected')
            THEN escalation_level END AS escalation_level, -1 AS d FROM old_rows
          UNION ALL
          SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
            THEN (closed_at AT TIME ZONE 'UTC')::date END AS closed_day, street_id,
            community_id, department_id, CASE WHEN status NOT IN ('closed', 'rejected')
            THEN escalation_level END AS escalation_level, 1 AS d FROM new_rows) k
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0;
  END IF;
  RETURN NULL;
END $$;
