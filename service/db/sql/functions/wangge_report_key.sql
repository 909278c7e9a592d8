CREATE OR REPLACE FUNCTION wangge_report_key() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- report is partitioned by month, so its primary key is (id, created_at): report_key keeps
-- one row per report id, which is what makes an id unique across months, what the other
-- tables' foreign keys point at, and where (district_id, external_ref) stays unique.
-- BEFORE INSERT: a second row under a known id is refused as a primary key would refuse it,
-- or skipped when the filing function asked for it (wangge.report_id_conflict = 'skip', set
-- around its INSERT ... ON CONFLICT DO NOTHING): it then reads the earlier report and answers
-- replay or conflict, as before partitioning.
-- BEFORE DELETE: the key goes with the report; a row still pointing at it refuses the delete
-- at the end of the statement (NO ACTION), and a row moved to another month's partition
-- (DELETE + INSERT inside one UPDATE) puts its key back before that check.
DECLARE
  n integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO report_key (id, created_at, district_id, external_ref)
    VALUES (NEW.id, NEW.created_at, NEW.district_id, NEW.external_ref)
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
      IF current_setting('wangge.report_id_conflict', true) = 'skip' THEN
        RETURN NULL;
      END IF;
      RAISE EXCEPTION 'duplicate key value violates unique constraint "report_pkey"'
        USING ERRCODE = '23505', CONSTRAINT = 'report_pkey', TABLE = 'report',
              DETAIL = format('Key (id)=(%s) already exists.', NEW.id);
    END IF;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
      RAISE EXCEPTION 'a report''s id does not change' USING ERRCODE = '23514';
    END IF;
    IF (NEW.created_at, NEW.district_id, NEW.external_ref)
       IS DISTINCT FROM (OLD.created_at, OLD.district_id, OLD.external_ref) THEN
      UPDATE report_key SET created_at = NEW.created_at, district_id = NEW.district_id,
                            external_ref = NEW.external_ref
       WHERE id = NEW.id;
    END IF;
    RETURN NEW;
  ELSE
    DELETE FROM report_key WHERE id = OLD.id;
    RETURN OLD;
  END IF;
END $$;
