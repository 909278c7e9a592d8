CREATE OR REPLACE FUNCTION wangge_fill_district() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- Every history and audit row carries its district (the distribution key of docs/scale.md):
-- the report's district when the row is about a report, else the acting user's.
-- TG_ARGV[0] names the table (TG_TABLE_NAME is the monthly partition's name).
BEGIN
  IF NEW.district_id IS NULL THEN
    IF TG_ARGV[0] = 'report_event' THEN
      SELECT k.district_id INTO NEW.district_id FROM report_key k WHERE k.id = NEW.report_id;
    ELSE
      IF NEW.object_type = 'report' AND NEW.object_id ~* '^[0-9a-f-]{36}$' THEN
        SELECT k.district_id INTO NEW.district_id FROM report_key k
         WHERE k.id = NEW.object_id::uuid;
      END IF;
      IF NEW.district_id IS NULL AND NEW.user_id IS NOT NULL THEN
        SELECT u.district_id INTO NEW.district_id FROM app_user u WHERE u.id = NEW.user_id;
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END $$;
