CREATE OR REPLACE FUNCTION wangge_tally_forget(p_part regclass)
RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  -- A month of reports leaving the live table (`wangge partitions detach`) leaves both
  -- roll-ups with it, so queue counts and the assessment keep equalling the reports they
  -- count: the figures those reports contribute (as the backfills of 020 and 025 compute
  -- them, each report's last return visit included), negated. Called in the detaching
  -- transaction, after DETACH, with the detached partition.
  EXECUTE format($q$
    INSERT INTO report_case_tally (district_id, status, closed_day, street_id, community_id,
                                   department_id, escalation_level, n)
    SELECT district_id, status, CASE WHEN status IN ('closed', 'rejected')
        THEN (closed_at AT TIME ZONE 'UTC')::date END, street_id, community_id,
      department_id, CASE WHEN status NOT IN ('closed', 'rejected') THEN escalation_level END,
      -count(*)
    FROM %s GROUP BY 1, 2, 3, 4, 5, 6, 7 $q$, p_part);
  EXECUTE format($q$
    INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
      department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
      overdue_closed, escalated, visited, satisfied)
    SELECT r.district_id, (r.created_at AT TIME ZONE 'Asia/Shanghai')::date, r.street_id,
      r.community_id, r.department_id,
      CASE WHEN r.status = 'closed'
        THEN scale(extract(epoch FROM r.closed_at - r.created_at) / 3600.0) END,
      -count(*), -count(*) FILTER (WHERE r.status = 'rejected'),
      -count(*) FILTER (WHERE r.status = 'closed'),
      -count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at <= r.deadline_at),
      -sum(extract(epoch FROM r.closed_at - r.created_at) / 3600.0)
        FILTER (WHERE r.status = 'closed'),
      -count(extract(epoch FROM r.closed_at - r.created_at) / 3600.0)
        FILTER (WHERE r.status = 'closed'),
      -count(*) FILTER (WHERE r.status <> 'rejected' AND r.reopened_count > 0),
      -count(*) FILTER (WHERE r.status = 'closed' AND r.closed_at > r.deadline_at),
      -count(*) FILTER (WHERE r.status <> 'rejected' AND r.escalation_level <> 'community'),
      -count(lv.result), -count(*) FILTER (WHERE lv.result IN ('satisfied', 'basically'))
    FROM %s r
    LEFT JOIN LATERAL (SELECT v.result FROM return_visit v
                       WHERE v.report_id = r.id AND v.district_id = r.district_id
                       ORDER BY v.created_at DESC, v.id DESC LIMIT 1) lv ON true
    GROUP BY 1, 2, 3, 4, 5, 6 $q$, p_part);
END $$;
