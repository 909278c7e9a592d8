CREATE OR REPLACE FUNCTION wangge_assessment_counts(p_by text, p_district integer,
                                                    p_start timestamptz, p_end timestamptz,
                                                    p_as_of timestamptz)
RETURNS TABLE (unit_id integer, received bigint, rejected bigint, closed bigint, on_time bigint,
               handling_hours double precision, reopened bigint, visited bigint,
               satisfied bigint, overdue bigint, escalated bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  v_role text := wangge_setting('role');
  v_district integer := wangge_setting_int('district_id');
  v_street integer := wangge_setting_int('street_id');
  v_community integer := wangge_setting_int('community_id');
  v_department integer := wangge_setting_int('department_id');
BEGIN
  -- The performance assessment's figures per unit for the reports created in [p_start, p_end)
  -- in district p_district, as the owner: one grouped pass over an index-only scan of
  -- report_assessment_idx instead of row-level security row by row (about 1.5 us a row). The
  -- caller's reach is applied here as the policies of report would: the district for the
  -- district's staff and planners, the street, the community, a department's routed reports
  -- (an assisting department is not assessed on reports it only assists).
  IF v_role IS NULL OR v_role NOT IN ('admin', 'district_bureau', 'planner', 'street_office',
                                      'community_staff', 'department') THEN
    RETURN;
  END IF;
  IF NOT (v_role = 'admin' AND v_district IS NULL) AND p_district IS DISTINCT FROM v_district THEN
    RETURN;
  END IF;
  IF p_by NOT IN ('street', 'community', 'department') THEN
    RAISE EXCEPTION 'unknown unit %', p_by;
  END IF;
  RETURN QUERY
  WITH cohort AS (
    SELECT CASE p_by WHEN 'street' THEN r.street_id WHEN 'community' THEN r.community_id
                     ELSE r.department_id END AS unit_id,
           r.id, r.status, r.created_at, r.closed_at, r.deadline_at, r.reopened_count,
           r.escalation_level
    FROM report r
    WHERE r.district_id = p_district AND r.created_at >= p_start AND r.created_at < p_end
      AND (v_role IN ('admin', 'district_bureau', 'planner')
           OR (v_role = 'street_office' AND r.street_id = v_street)
           OR (v_role = 'community_staff' AND r.community_id = v_community)
           OR (v_role = 'department' AND r.department_id = v_department))),
  -- a report's visits come after it was made: only the period's and later visits count
  last_visit AS (
    SELECT DISTINCT ON (v.report_id) v.report_id, v.result
    FROM return_visit v WHERE v.district_id = p_district AND v.created_at >= p_start
    ORDER BY v.report_id, v.created_at DESC, v.id DESC)
  SELECT c.unit_id, count(*),
    count(*) FILTER (WHERE c.status = 'rejected'),
    count(*) FILTER (WHERE c.status = 'closed'),
    count(*) FILTER (WHERE c.status = 'closed' AND c.closed_at <= c.deadline_at),
    avg(extract(epoch FROM c.closed_at - c.created_at) / 3600.0)
      FILTER (WHERE c.status = 'closed')::double precision,
    count(*) FILTER (WHERE c.status <> 'rejected' AND c.reopened_count > 0),
    count(lv.result),
    count(*) FILTER (WHERE lv.result IN ('satisfied', 'basically')),
    count(*) FILTER (WHERE (c.status = 'closed' AND c.closed_at > c.deadline_at)
      OR (c.status NOT IN ('closed', 'rejected') AND c.deadline_at < p_as_of)),
    count(*) FILTER (WHERE c.status <> 'rejected' AND c.escalation_level <> 'community')
  FROM cohort c LEFT JOIN last_visit lv ON lv.report_id = c.id
  GROUP BY c.unit_id;
END
$$;
