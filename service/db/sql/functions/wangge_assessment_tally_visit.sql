CREATE OR REPLACE FUNCTION wangge_assessment_tally_visit() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- New return visits (the table is append-only): the assessment counts a report's LAST visit in
-- its district, so for each report visited the result it had before this statement leaves
-- report_assessment_tally and the one it has now comes in (nothing is written when a visit
-- dated before the report's last one changes nothing). The rows go to the report's key as
-- wangge_assessment_tally keeps it (with the scale of its handling hours, if closed).
BEGIN
  -- The visited reports are locked first so that two transactions visiting one report (or one
  -- visiting while another moves it) take turns: the statement below then reads, in a new
  -- snapshot, the visits and the report as the other left them, and its delta adds to theirs.
  PERFORM 1 FROM report r WHERE r.id IN (SELECT report_id FROM new_rows)
    ORDER BY r.id FOR NO KEY UPDATE;
  INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
    department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
    overdue_closed, escalated, visited, satisfied)
  SELECT district_id, created_day, street_id, community_id, department_id, hours_scale,
    0, 0, 0, 0, NULL, 0, 0, 0, 0, sum((now_last IS NOT NULL)::int - (was_last IS NOT NULL)::int),
    sum(coalesce(now_last IN ('satisfied', 'basically'), false)::int
        - coalesce(was_last IN ('satisfied', 'basically'), false)::int)
  FROM (SELECT r.district_id, (r.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day,
          r.street_id, r.community_id, r.department_id,
          CASE WHEN r.status = 'closed' THEN
            scale(extract(epoch FROM r.closed_at - r.created_at) / 3600.0) END AS hours_scale,
          (SELECT v.result FROM return_visit v
           WHERE v.report_id = r.id AND v.district_id = r.district_id
           ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS now_last,
          (SELECT v.result FROM return_visit v
           WHERE v.report_id = r.id AND v.district_id = r.district_id
             AND v.id NOT IN (SELECT id FROM new_rows)
           ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS was_last
        FROM report r WHERE r.id IN (SELECT report_id FROM new_rows)) k
  GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum((now_last IS NOT NULL)::int - (was_last IS NOT NULL)::int) <> 0
    OR sum(coalesce(now_last IN ('satisfied', 'basically'), false)::int
           - coalesce(was_last IN ('satisfied', 'basically'), false)::int) <> 0;
  RETURN NULL;
END $$;
