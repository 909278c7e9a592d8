CREATE OR REPLACE FUNCTION wangge_case_counts(p_now timestamptz, p_since timestamptz,
                                   p_recent timestamptz, p_level text)
RETURNS TABLE (
  accept bigint, new_accept bigint, dispatch bigint, new_dispatch bigint, handling bigint, new_handling bigint, verify bigint, new_verify bigint, close bigint, new_close bigint, overdue bigint, new_overdue bigint, escalated bigint, new_escalated bigint,
               finished bigint, new_finished bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
-- The workbench's queue counts for the identity wangge_authenticate set (the same settings the
-- row-level security policies read), one query per kind of jurisdiction.
-- The status queues, 已升级 and 已办结's whole days are sums over report_case_tally, kept by
-- wangge_case_tally in the transaction of every change to report. Counted live from indexes:
-- what depends on the clock (已超期: report_late_*_idx; the first UTC day of 已办结:
-- report_finished_*_idx), a department's assisted reports (联合处置, few) and the "new since"
-- badges (report_event by district and time).
DECLARE
  v_role text := wangge_setting('role');
  v_district integer := wangge_setting_int('district_id');
  v_street integer := wangge_setting_int('street_id');
  v_community integer := wangge_setting_int('community_id');
  v_department integer := wangge_setting_int('department_id');
  v_day0 date := (p_recent AT TIME ZONE 'UTC')::date;
  v_day0_end timestamptz := (v_day0 + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF v_role = 'admin' AND v_district IS NULL THEN
    RETURN QUERY
    WITH tally AS (
      SELECT coalesce(sum(n) FILTER (WHERE status = 'reported'), 0)::bigint AS accept,
        coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::bigint AS dispatch,
        coalesce(sum(n) FILTER (WHERE status IN ('dispatched', 'in_progress')), 0)::bigint AS handling,
        coalesce(sum(n) FILTER (WHERE status = 'handled'), 0)::bigint AS verify,
        coalesce(sum(n) FILTER (WHERE status = 'verified'), 0)::bigint AS close,
        coalesce(sum(n) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level), 0)::bigint AS escalated,
        coalesce(sum(n) FILTER (WHERE status IN ('closed', 'rejected') AND closed_day > v_day0), 0)::bigint AS finished
      FROM report_case_tally t WHERE true
        AND (t.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') OR (t.status IN ('closed', 'rejected') AND t.closed_day > v_day0))),
    late AS (SELECT count(*) AS overdue FROM report r
      WHERE true AND r.status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND r.deadline_at < p_now),
    edge AS (SELECT count(*) AS finished FROM report r
      WHERE true AND r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND r.closed_at < v_day0_end),
    fresh AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND true
        AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.created_at > p_since))
    SELECT t.accept, f.accept, t.dispatch, f.dispatch,
      t.handling, f.handling, t.verify, f.verify,
      t.close, f.close, l.overdue, f.overdue,
      t.escalated, f.escalated, t.finished + e.finished, f.finished
    FROM tally t, late l, edge e, fresh f;
  ELSIF v_role IN ('admin', 'district_bureau') THEN
    RETURN QUERY
    WITH tally AS (
      SELECT coalesce(sum(n) FILTER (WHERE status = 'reported'), 0)::bigint AS accept,
        coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::bigint AS dispatch,
        coalesce(sum(n) FILTER (WHERE status IN ('dispatched', 'in_progress')), 0)::bigint AS handling,
        coalesce(sum(n) FILTER (WHERE status = 'handled'), 0)::bigint AS verify,
        coalesce(sum(n) FILTER (WHERE status = 'verified'), 0)::bigint AS close,
        coalesce(sum(n) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level), 0)::bigint AS escalated,
        coalesce(sum(n) FILTER (WHERE status IN ('closed', 'rejected') AND closed_day > v_day0), 0)::bigint AS finished
      FROM report_case_tally t WHERE t.district_id = v_district
        AND (t.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') OR (t.status IN ('closed', 'rejected') AND t.closed_day > v_day0))),
    late AS (SELECT count(*) AS overdue FROM report r
      WHERE r.district_id = v_district AND r.status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND r.deadline_at < p_now),
    edge AS (SELECT count(*) AS finished FROM report r
      WHERE r.district_id = v_district AND r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND r.closed_at < v_day0_end),
    fresh AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.district_id = v_district
        AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = v_district AND e.created_at > p_since))
    SELECT t.accept, f.accept, t.dispatch, f.dispatch,
      t.handling, f.handling, t.verify, f.verify,
      t.close, f.close, l.overdue, f.overdue,
      t.escalated, f.escalated, t.finished + e.finished, f.finished
    FROM tally t, late l, edge e, fresh f;
  ELSIF v_role = 'street_office' THEN
    RETURN QUERY
    WITH tally AS (
      SELECT coalesce(sum(n) FILTER (WHERE status = 'reported'), 0)::bigint AS accept,
        coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::bigint AS dispatch,
        coalesce(sum(n) FILTER (WHERE status IN ('dispatched', 'in_progress')), 0)::bigint AS handling,
        coalesce(sum(n) FILTER (WHERE status = 'handled'), 0)::bigint AS verify,
        coalesce(sum(n) FILTER (WHERE status = 'verified'), 0)::bigint AS close,
        coalesce(sum(n) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level), 0)::bigint AS escalated,
        coalesce(sum(n) FILTER (WHERE status IN ('closed', 'rejected') AND closed_day > v_day0), 0)::bigint AS finished
      FROM report_case_tally t WHERE t.street_id = v_street
        AND (t.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') OR (t.status IN ('closed', 'rejected') AND t.closed_day > v_day0))),
    late AS (SELECT count(*) AS overdue FROM report r
      WHERE r.street_id = v_street AND r.status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND r.deadline_at < p_now),
    edge AS (SELECT count(*) AS finished FROM report r
      WHERE r.street_id = v_street AND r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND r.closed_at < v_day0_end),
    fresh AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.street_id = v_street
        AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = v_district AND e.created_at > p_since))
    SELECT t.accept, f.accept, t.dispatch, f.dispatch,
      t.handling, f.handling, t.verify, f.verify,
      t.close, f.close, l.overdue, f.overdue,
      t.escalated, f.escalated, t.finished + e.finished, f.finished
    FROM tally t, late l, edge e, fresh f;
  ELSIF v_role = 'community_staff' THEN
    RETURN QUERY
    WITH tally AS (
      SELECT coalesce(sum(n) FILTER (WHERE status = 'reported'), 0)::bigint AS accept,
        coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::bigint AS dispatch,
        coalesce(sum(n) FILTER (WHERE status IN ('dispatched', 'in_progress')), 0)::bigint AS handling,
        coalesce(sum(n) FILTER (WHERE status = 'handled'), 0)::bigint AS verify,
        coalesce(sum(n) FILTER (WHERE status = 'verified'), 0)::bigint AS close,
        coalesce(sum(n) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level), 0)::bigint AS escalated,
        coalesce(sum(n) FILTER (WHERE status IN ('closed', 'rejected') AND closed_day > v_day0), 0)::bigint AS finished
      FROM report_case_tally t WHERE t.community_id = v_community
        AND (t.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') OR (t.status IN ('closed', 'rejected') AND t.closed_day > v_day0))),
    late AS (SELECT count(*) AS overdue FROM report r
      WHERE r.community_id = v_community AND r.status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND r.deadline_at < p_now),
    edge AS (SELECT count(*) AS finished FROM report r
      WHERE r.community_id = v_community AND r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND r.closed_at < v_day0_end),
    fresh AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.community_id = v_community
        AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = v_district AND e.created_at > p_since))
    SELECT t.accept, f.accept, t.dispatch, f.dispatch,
      t.handling, f.handling, t.verify, f.verify,
      t.close, f.close, l.overdue, f.overdue,
      t.escalated, f.escalated, t.finished + e.finished, f.finished
    FROM tally t, late l, edge e, fresh f;
  ELSIF v_role = 'department' THEN
    RETURN QUERY
    WITH tally AS (
      SELECT coalesce(sum(n) FILTER (WHERE status = 'reported'), 0)::bigint AS accept,
        coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::bigint AS dispatch,
        coalesce(sum(n) FILTER (WHERE status IN ('dispatched', 'in_progress')), 0)::bigint AS handling,
        coalesce(sum(n) FILTER (WHERE status = 'handled'), 0)::bigint AS verify,
        coalesce(sum(n) FILTER (WHERE status = 'verified'), 0)::bigint AS close,
        coalesce(sum(n) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level), 0)::bigint AS escalated,
        coalesce(sum(n) FILTER (WHERE status IN ('closed', 'rejected') AND closed_day > v_day0), 0)::bigint AS finished
      FROM report_case_tally t WHERE t.district_id = v_district AND t.department_id = v_department
        AND (t.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') OR (t.status IN ('closed', 'rejected') AND t.closed_day > v_day0))),
    late AS (SELECT count(*) AS overdue FROM report r
      WHERE r.district_id = v_district AND r.department_id = v_department AND r.status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND r.deadline_at < p_now),
    edge AS (SELECT count(*) AS finished FROM report r
      WHERE r.district_id = v_district AND r.department_id = v_department AND r.status IN ('closed', 'rejected') AND r.closed_at >= p_recent AND r.closed_at < v_day0_end),
    assisted AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND r.district_id = v_district AND r.department_id <> v_department AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = v_department)),
    fresh AS (
      SELECT count(*) FILTER (WHERE status = 'reported') AS accept,
        count(*) FILTER (WHERE status = 'accepted') AS dispatch,
        count(*) FILTER (WHERE status IN ('dispatched', 'in_progress')) AS handling,
        count(*) FILTER (WHERE status = 'handled') AS verify,
        count(*) FILTER (WHERE status = 'verified') AS close,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND deadline_at < p_now) AS overdue,
        count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress') AND escalation_level = p_level) AS escalated,
        count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at >= p_recent) AS finished
      FROM report r WHERE r.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected') AND (r.district_id = v_district AND r.department_id = v_department OR (r.district_id = v_district AND r.department_id <> v_department AND r.id IN (SELECT report_id FROM report_assist WHERE department_id = v_department)))
        AND r.id IN (SELECT e.report_id FROM report_event e WHERE e.district_id = v_district AND e.created_at > p_since))
    SELECT t.accept + a.accept, f.accept, t.dispatch + a.dispatch, f.dispatch,
      t.handling + a.handling, f.handling, t.verify + a.verify, f.verify,
      t.close + a.close, f.close, l.overdue + a.overdue, f.overdue,
      t.escalated + a.escalated, f.escalated, t.finished + e.finished + a.finished, f.finished
    FROM tally t, late l, edge e, assisted a, fresh f;
  ELSE
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
      0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
      0::bigint, 0::bigint;
  END IF;
END
$$;
