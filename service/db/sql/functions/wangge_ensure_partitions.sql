CREATE OR REPLACE FUNCTION wangge_ensure_partitions(months_ahead integer DEFAULT 3)
RETURNS integer LANGUAGE plpgsql AS $$
-- Monthly partitions of report, report_event and audit_log from this month to
-- `months_ahead` months ahead (UTC months); returns how many it created. A month whose rows
-- already sit in the DEFAULT partition is left to the operator (NOTICE): creating it would
-- have to move those rows, which is a maintenance step, not something a scheduler pass does.
DECLARE
  t record;
  m date;
  part text;
  created integer := 0;
  has_rows boolean;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %', months_ahead
      USING ERRCODE = '22023';
  END IF;
  FOR t IN SELECT * FROM (VALUES ('report', 'created_at'), ('report_event', 'created_at'),
                                 ('audit_log', 'at')) AS v(name, key) LOOP
    FOR i IN 0..months_ahead LOOP
      m := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
      part := format('%s_y%sm%s', t.name, to_char(m, 'YYYY'), to_char(m, 'MM'));
      CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL
                 OR to_regclass(format('wangge_archive.%I', part)) IS NOT NULL;
      -- serialises concurrent ensure passes (scheduler and CLI) on the same month
      PERFORM pg_advisory_xact_lock(hashtext('wangge_ensure_partitions'));
      CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
      IF EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = format('public.%I', t.name)::regclass
                    AND c.relname = t.name || '_default') THEN
        EXECUTE format('SELECT EXISTS (SELECT FROM public.%I WHERE %I >= %L::timestamptz'
                       ' AND %I < %L::timestamptz)', t.name || '_default', t.key,
                       m::text || ' 00:00+00', t.key,
                       (m + interval '1 month')::date::text || ' 00:00+00')
          INTO STRICT has_rows;
        IF has_rows THEN
          RAISE NOTICE '% rows of % are in %_default: month left to the operator',
            t.name, to_char(m, 'YYYY-MM'), t.name;
          CONTINUE;
        END IF;
      END IF;
      EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I'
                     ' FOR VALUES FROM (%L) TO (%L)', part, t.name,
                     m::text || ' 00:00+00', (m + interval '1 month')::date::text || ' 00:00+00');
      created := created + 1;
    END LOOP;
  END LOOP;
  RETURN created;
END $$;
