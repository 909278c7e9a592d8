CREATE OR REPLACE FUNCTION wangge_cell_fact_from_user() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM wangge_refresh_cell_fact(a.cell_id) FROM grid_assignment a
   WHERE a.worker_id = NEW.id AND a.is_primary AND a.valid_to IS NULL;
  RETURN NULL;
END $$;
