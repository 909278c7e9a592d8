CREATE OR REPLACE FUNCTION wangge_cell_fact_from_patrol() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE grid_cell_fact SET last_patrol_at = greatest(last_patrol_at, NEW.started_at)
     WHERE grid_cell_id = NEW.grid_cell_id;
  ELSE
    IF OLD.grid_cell_id IS NOT NULL THEN
      PERFORM wangge_refresh_cell_fact(OLD.grid_cell_id);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.grid_cell_id IS NOT NULL THEN
      PERFORM wangge_refresh_cell_fact(NEW.grid_cell_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
