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
  -- the whole China-time days in [p_start, p_end): [v_first, v_last), from v_from to v_to
  v_first date := (p_start AT TIME ZONE 'Asia/Shanghai')::date;
  v_last date := (p_end AT TIME ZONE 'Asia/Shanghai')::date;
  v_from timestamptz;
  v_to timestamptz;
BEGIN
  -- The performance assessment's figures per unit for the reports created in [p_start, p_end)
  -- in district p_district, as the owner. The figures of the reports created on the period's
  -- whole days are sums of report_assessment_tally (migration 025_assessment_rollup, kept by
  -- the triggers on report and return_visit), all but one: an open report past its deadline
  -- depends on p_as_of, so it is counted live over report_assessment_late_idx. A period that
  -- does not start or end at midnight China time (the API's months and quarters do) has its
  -- part days counted live, report by report, as before. The caller's reach is applied here as
  -- the policies of report would: the district for the district's staff and planners, the
  -- street, the community, a department's routed reports (an assisting department is not
  -- assessed on reports it only assists).
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
  IF (v_first::timestamp AT TIME ZONE 'Asia/Shanghai') < p_start THEN
    v_first := v_first + 1;
  END IF;
  IF v_first < v_last THEN
    v_from := v_first::timestamp AT TIME ZONE 'Asia/Shanghai';
    v_to := v_last::timestamp AT TIME ZONE 'Asia/Shanghai';
  ELSE  -- not one whole day: all of it live
    v_first := NULL;
    v_last := NULL;
    v_from := p_end;
    v_to := p_end;
  END IF;
  RETURN QUERY
  WITH rolled AS (
    SELECT CASE p_by WHEN 'street' THEN t.street_id WHEN 'community' THEN t.community_id
                     ELSE t.department_id END AS unit_id, t.hours_scale,
           sum(t.received) AS received, sum(t.rejected) AS rejected, sum(t.closed) AS closed,
           sum(t.on_time) AS on_time, sum(t.hours) AS hours, sum(t.hours_n) AS hours_n,
           sum(t.reopened) AS reopened, sum(t.visited) AS visited,
           sum(t.satisfied) AS satisfied, sum(t.overdue_closed) AS overdue,
           sum(t.escalated) AS escalated
    FROM report_assessment_tally t
    WHERE t.district_id = p_district AND t.created_day >= v_first AND t.created_day < v_last
      AND (v_role IN ('admin', 'district_bureau', 'planner')
           OR (v_role = 'street_office' AND t.street_id = v_street)
           OR (v_role = 'community_staff' AND t.community_id = v_community)
           OR (v_role = 'department' AND t.department_id = v_department))
    GROUP BY 1, 2),
  -- open and past its deadline at p_as_of: the one figure of a whole day that is not rolled up
  late AS (
    SELECT CASE p_by WHEN 'street' THEN r.street_id WHEN 'community' THEN r.community_id
                     ELSE r.department_id END AS unit_id, count(*) AS overdue
    FROM report r
    WHERE r.district_id = p_district AND r.status NOT IN ('closed', 'rejected')
      AND r.deadline_at < p_as_of AND r.created_at >= v_from AND r.created_at < v_to
      AND (v_role IN ('admin', 'district_bureau', 'planner')
           OR (v_role = 'street_office' AND r.street_id = v_street)
           OR (v_role = 'community_staff' AND r.community_id = v_community)
           OR (v_role = 'department' AND r.department_id = v_department))
    GROUP BY 1),
  -- the part days at either end, report by report (a report's visits come after it was made:
  -- only the period's and later visits count)
  edge AS (
    SELECT CASE p_by WHEN 'street' THEN r.street_id WHEN 'community' THEN r.community_id
                     ELSE r.department_id END AS unit_id,
           r.status, r.created_at, r.closed_at, r.deadline_at, r.reopened_count,
           r.escalation_level, CASE WHEN r.status = 'closed'
             THEN scale(extract(epoch FROM r.closed_at - r.created_at) / 3600.0) END AS hours_scale,
           (SELECT v.result FROM return_visit v
            WHERE v.report_id = r.id AND v.district_id = p_district AND v.created_at >= p_start
            ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS visit
    FROM report r
    WHERE r.district_id = p_district
      AND ((r.created_at >= p_start AND r.created_at < v_from)
           OR (r.created_at >= v_to AND r.created_at < p_end))
      AND (v_role IN ('admin', 'district_bureau', 'planner')
           OR (v_role = 'street_office' AND r.street_id = v_street)
           OR (v_role = 'community_staff' AND r.community_id = v_community)
           OR (v_role = 'department' AND r.department_id = v_department))),
  parts AS (
    SELECT * FROM rolled
    UNION ALL
    SELECT l.unit_id, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, l.overdue, 0 FROM late l
    UNION ALL
    SELECT e.unit_id, e.hours_scale, count(*), count(*) FILTER (WHERE e.status = 'rejected'),
      count(*) FILTER (WHERE e.status = 'closed'),
      count(*) FILTER (WHERE e.status = 'closed' AND e.closed_at <= e.deadline_at),
      sum(extract(epoch FROM e.closed_at - e.created_at) / 3600.0)
        FILTER (WHERE e.status = 'closed'),
      count(extract(epoch FROM e.closed_at - e.created_at) / 3600.0)
        FILTER (WHERE e.status = 'closed'),
      count(*) FILTER (WHERE e.status <> 'rejected' AND e.reopened_count > 0),
      count(e.visit), count(*) FILTER (WHERE e.visit IN ('satisfied', 'basically')),
      count(*) FILTER (WHERE (e.status = 'closed' AND e.closed_at > e.deadline_at)
        OR (e.status NOT IN ('closed', 'rejected') AND e.deadline_at < p_as_of)),
      count(*) FILTER (WHERE e.status <> 'rejected' AND e.escalation_level <> 'community')
    FROM edge e GROUP BY 1, 2),
  -- by unit and scale of the handling hours, whose largest (of the reports counted) is the scale
  -- avg() would add them at
  scaled AS (
    SELECT p.unit_id, p.hours_scale, sum(p.received) AS received, sum(p.rejected) AS rejected,
      sum(p.closed) AS closed, sum(p.on_time) AS on_time, sum(p.hours) AS hours,
      sum(p.hours_n) AS hours_n, sum(p.reopened) AS reopened, sum(p.visited) AS visited,
      sum(p.satisfied) AS satisfied, sum(p.overdue) AS overdue, sum(p.escalated) AS escalated
    FROM parts p GROUP BY 1, 2)
  -- the mean handling time: the sum of the same per-report numeric terms avg() adds, at the
  -- scale it would have, over their number; the same value to the last digit
  SELECT s.unit_id, sum(s.received)::bigint, sum(s.rejected)::bigint, sum(s.closed)::bigint,
    sum(s.on_time)::bigint,
    (round(sum(s.hours), max(s.hours_scale) FILTER (WHERE s.hours_n > 0))
     / nullif(sum(s.hours_n), 0))::double precision,
    sum(s.reopened)::bigint, sum(s.visited)::bigint, sum(s.satisfied)::bigint,
    sum(s.overdue)::bigint, sum(s.escalated)::bigint
  FROM scaled s
  GROUP BY s.unit_id
  HAVING sum(s.received) > 0;
END
$$;
