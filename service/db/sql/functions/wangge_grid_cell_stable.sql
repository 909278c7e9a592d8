CREATE OR REPLACE FUNCTION wangge_grid_cell_stable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF NOT OLD.is_active THEN
      RAISE EXCEPTION 'grid cell % is retired and kept for history', OLD.code
        USING ERRCODE = 'P0001';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.code <> OLD.code THEN
    RAISE EXCEPTION 'grid cell code % cannot change', OLD.code USING ERRCODE = 'P0001';
  END IF;
  IF NOT OLD.is_active AND (NEW.is_active OR NOT ST_Equals(NEW.geom, OLD.geom)) THEN
    RAISE EXCEPTION 'grid cell % is retired for good', OLD.code USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
