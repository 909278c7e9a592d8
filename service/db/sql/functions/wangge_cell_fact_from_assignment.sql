CREATE OR REPLACE FUNCTION wangge_cell_fact_from_assignment() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM wangge_refresh_cell_fact(OLD.cell_id); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM wangge_refresh_cell_fact(NEW.cell_id); END IF;
  RETURN NULL;
END $$;
