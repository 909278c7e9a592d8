CREATE OR REPLACE FUNCTION wangge_case_counts(p_now timestamptz, p_since timestamptz,
                                   p_recent timestamptz, p_level text)
RETURNS TABLE (
  accept bigint, new_accept bigint, dispatch bigint, new_dispatch bigint, handling bigint, new_handling bigint, verify bigint, new_verify bigint, close bigint, new_close bigint, overdue bigint, new_overdue bigint, escalated bigint, new_escalated bigint,
               finished bigint, new_finished bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  -- custom plans: a generic plan (jurisdiction ids unknown) chose 350-450 ms plans at
  -- 1,000,000 reports where a custom one runs in about 55 ms
  RETURN QUERY
  -- One pass over the jurisdiction's open reports (an index-only scan of a report_case_*_idx:
  -- each carries status, deadline_at and escalation_level) counts every open queue with
  -- FILTER; one branch per role, the others cut by their constant role test.
  WITH open AS (
    SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
      count(*) FILTER (WHERE status = 'accepted') AS dispatch,
      count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
      count(*) FILTER (WHERE status = 'handled') AS verify,
      count(*) FILTER (WHERE status = 'verified') AS close,
      count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
      count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated
    FROM (SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) = 'admin' AND (SELECT wangge_setting('district_id')) IS NULL
      UNION ALL SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) IN ('admin', 'district_bureau') AND r.district_id = (SELECT wangge_setting_int('district_id'))
      UNION ALL SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) = 'street_office' AND r.street_id = (SELECT wangge_setting_int('street_id'))
      UNION ALL SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) = 'community_staff' AND r.community_id = (SELECT wangge_setting_int('community_id'))
      UNION ALL SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id = (SELECT wangge_setting_int('department_id'))
      UNION ALL SELECT r.status, r.deadline_at, r.escalation_level FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id <> (SELECT wangge_setting_int('department_id')) AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = (SELECT wangge_setting_int('department_id')))) x),
  fresh AS (
    SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
      count(*) FILTER (WHERE status = 'accepted') AS dispatch,
      count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
      count(*) FILTER (WHERE status = 'handled') AS verify,
      count(*) FILTER (WHERE status = 'verified') AS close,
      count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND late) AS overdue,
      count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalated) AS escalated,
      count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
    FROM (SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) = 'admin' AND (SELECT wangge_setting('district_id')) IS NULL
      UNION ALL SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) IN ('admin', 'district_bureau') AND r.district_id = (SELECT wangge_setting_int('district_id'))
      UNION ALL SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) = 'street_office' AND r.street_id = (SELECT wangge_setting_int('street_id'))
      UNION ALL SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) = 'community_staff' AND r.community_id = (SELECT wangge_setting_int('community_id'))
      UNION ALL SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id = (SELECT wangge_setting_int('department_id'))
      UNION ALL SELECT r.status, r.deadline_at < p_now AS late, r.escalation_level = p_level AS escalated, r.closed_at FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = (SELECT wangge_setting_int('district_id')) AND e.created_at > p_since) AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id <> (SELECT wangge_setting_int('department_id')) AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = (SELECT wangge_setting_int('department_id')))) x)
  SELECT o.accept, f.accept, o.dispatch, f.dispatch, o.handling, f.handling, o.verify, f.verify,
    o.close, f.close, o.overdue, f.overdue, o.escalated, f.escalated,
    (SELECT count(*) FROM (SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) = 'admin' AND (SELECT wangge_setting('district_id')) IS NULL
      UNION ALL SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) IN ('admin', 'district_bureau') AND r.district_id = (SELECT wangge_setting_int('district_id'))
      UNION ALL SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) = 'street_office' AND r.street_id = (SELECT wangge_setting_int('street_id'))
      UNION ALL SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) = 'community_staff' AND r.community_id = (SELECT wangge_setting_int('community_id'))
      UNION ALL SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id = (SELECT wangge_setting_int('department_id'))
      UNION ALL SELECT 1 FROM report r WHERE r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND (SELECT wangge_setting('role')) = 'department' AND r.district_id = (SELECT wangge_setting_int('district_id')) AND r.department_id <> (SELECT wangge_setting_int('department_id')) AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = (SELECT wangge_setting_int('department_id')))) x),
    f.finished
  FROM open o, fresh f;
END
$$;
