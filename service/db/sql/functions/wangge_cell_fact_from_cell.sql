CREATE OR REPLACE FUNCTION wangge_cell_fact_from_cell() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN PERFORM wangge_refresh_cell_fact(NEW.id); RETURN NULL; END $$;
