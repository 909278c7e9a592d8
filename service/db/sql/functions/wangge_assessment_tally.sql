CREATE OR REPLACE FUNCTION wangge_assessment_tally() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- Keeps the sums of report_assessment_tally by its key (district, created day in China time,
-- street, community, department) equal to the assessment's additive figures of the reports
-- with that key, each with its last return visit in its district: each statement that changes
-- reports appends its change (signed, per key) in its own transaction, as wangge_case_tally
-- does for the queue counts, so a rollback takes it back and concurrent changes never wait on
-- a tally row. Only what depends on the time of asking (an open report past its deadline) is
-- left to wangge_assessment_counts to count live. A changed report leaves with its old figures
-- and comes back with its new ones (a closed report reopened loses closed/on time/handling
-- hours; a closed one keeps them); a change to no counted column writes nothing. A new report
-- has no visit yet, and a report with visits cannot be deleted (return_visit's foreign key), so
-- visits are looked up only for the changed rows of an UPDATE. hours_scale, the numeric scale
-- of a closed report's handling hours, is part of the key so that the mean handling time can
-- be divided at the scale avg() would use (wangge_assessment_counts): the same digits.
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
      department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
      overdue_closed, escalated, visited, satisfied)
    SELECT district_id, created_day, street_id, community_id, department_id, hours_scale,
      count(*),
      sum(rejected), sum(closed), sum(on_time), sum(hours), count(hours), sum(reopened),
      sum(overdue_closed), sum(escalated), 0, 0
    FROM (SELECT n.district_id, (n.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day,
            n.street_id, n.community_id, n.department_id,
            (n.status = 'rejected')::int AS rejected, (n.status = 'closed')::int AS closed,
            coalesce(n.status = 'closed' AND n.closed_at <= n.deadline_at, false)::int AS on_time,
            CASE WHEN n.status = 'closed'
              THEN extract(epoch FROM n.closed_at - n.created_at) / 3600.0 END AS hours,
            CASE WHEN n.status = 'closed' THEN
              scale(extract(epoch FROM n.closed_at - n.created_at) / 3600.0) END AS hours_scale,
            (n.status <> 'rejected' AND n.reopened_count > 0)::int AS reopened,
            coalesce(n.status = 'closed' AND n.closed_at > n.deadline_at, false)::int
              AS overdue_closed,
            (n.status <> 'rejected' AND n.escalation_level <> 'community')::int AS escalated
          FROM new_rows n) k
    GROUP BY 1, 2, 3, 4, 5, 6;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
      department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
      overdue_closed, escalated, visited, satisfied)
    SELECT district_id, created_day, street_id, community_id, department_id, hours_scale,
      -count(*),
      -sum(rejected), -sum(closed), -sum(on_time), -sum(hours), -count(hours), -sum(reopened),
      -sum(overdue_closed), -sum(escalated), 0, 0
    FROM (SELECT o.district_id, (o.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day,
            o.street_id, o.community_id, o.department_id,
            (o.status = 'rejected')::int AS rejected, (o.status = 'closed')::int AS closed,
            coalesce(o.status = 'closed' AND o.closed_at <= o.deadline_at, false)::int AS on_time,
            CASE WHEN o.status = 'closed'
              THEN extract(epoch FROM o.closed_at - o.created_at) / 3600.0 END AS hours,
            CASE WHEN o.status = 'closed' THEN
              scale(extract(epoch FROM o.closed_at - o.created_at) / 3600.0) END AS hours_scale,
            (o.status <> 'rejected' AND o.reopened_count > 0)::int AS reopened,
            coalesce(o.status = 'closed' AND o.closed_at > o.deadline_at, false)::int
              AS overdue_closed,
            (o.status <> 'rejected' AND o.escalation_level <> 'community')::int AS escalated
          FROM old_rows o) k
    GROUP BY 1, 2, 3, 4, 5, 6;
  ELSE
    -- the rows whose counted columns changed: the old ones leave (-1), the new ones come (+1)
    INSERT INTO report_assessment_tally (district_id, created_day, street_id, community_id,
      department_id, hours_scale, received, rejected, closed, on_time, hours, hours_n, reopened,
      overdue_closed, escalated, visited, satisfied)
    SELECT district_id, created_day, street_id, community_id, department_id, hours_scale,
      sum(d),
      sum(d * rejected), sum(d * closed), sum(d * on_time), sum(d * hours),
      sum(d * (hours IS NOT NULL)::int), sum(d * reopened), sum(d * overdue_closed),
      sum(d * escalated), sum(d * (visit IS NOT NULL)::int),
      sum(d * coalesce(visit IN ('satisfied', 'basically'), false)::int)
    FROM (SELECT c.d, c.district_id,
            (c.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day,
            c.street_id, c.community_id, c.department_id,
            (c.status = 'rejected')::int AS rejected, (c.status = 'closed')::int AS closed,
            coalesce(c.status = 'closed' AND c.closed_at <= c.deadline_at, false)::int AS on_time,
            CASE WHEN c.status = 'closed'
              THEN extract(epoch FROM c.closed_at - c.created_at) / 3600.0 END AS hours,
            CASE WHEN c.status = 'closed' THEN
              scale(extract(epoch FROM c.closed_at - c.created_at) / 3600.0) END AS hours_scale,
            (c.status <> 'rejected' AND c.reopened_count > 0)::int AS reopened,
            coalesce(c.status = 'closed' AND c.closed_at > c.deadline_at, false)::int
              AS overdue_closed,
            (c.status <> 'rejected' AND c.escalation_level <> 'community')::int AS escalated,
            (SELECT v.result FROM return_visit v
             WHERE v.report_id = c.id AND v.district_id = c.district_id
             ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS visit
          FROM ((SELECT -1 AS d, x.* FROM (
                   SELECT id, district_id, created_at, street_id, community_id, department_id,
                     status, closed_at, deadline_at, reopened_count, escalation_level
                   FROM old_rows
                   EXCEPT ALL
                   SELECT id, district_id, created_at, street_id, community_id, department_id,
                     status, closed_at, deadline_at, reopened_count, escalation_level
                   FROM new_rows) x)
                UNION ALL
                (SELECT 1 AS d, y.* FROM (
                   SELECT id, district_id, created_at, street_id, community_id, department_id,
                     status, closed_at, deadline_at, reopened_count, escalation_level
                   FROM new_rows
                   EXCEPT ALL
                   SELECT id, district_id, created_at, street_id, community_id, department_id,
                     status, closed_at, deadline_at, reopened_count, escalation_level
                   FROM old_rows) y)) c) k
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(d) <> 0 OR sum(d * rejected) <> 0 OR sum(d * closed) <> 0
      OR sum(d * on_time) <> 0 OR sum(d * hours) <> 0 OR sum(d * (hours IS NOT NULL)::int) <> 0
      OR sum(d * reopened) <> 0 OR sum(d * overdue_closed) <> 0 OR sum(d * escalated) <> 0
      OR sum(d * (visit IS NOT NULL)::int) <> 0
      OR sum(d * coalesce(visit IN ('satisfied', 'basically'), false)::int) <> 0;
  END IF;
  RETURN NULL;
END $$;
