CREATE OR REPLACE FUNCTION wangge_bump_data_version() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE wangge_data_version SET version = version + 1, changed_at = now()
   WHERE table_name = TG_TABLE_NAME;
  RETURN NULL;
END $$;
