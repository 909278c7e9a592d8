CREATE OR REPLACE FUNCTION wangge_move_community_facts() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE residential_area_fact f
     SET street_id = NEW.street_id,
         district_id = (SELECT district_id FROM street WHERE id = NEW.street_id)
   WHERE f.community_id = NEW.id;
  UPDATE grid_cell_fact f
     SET street_id = NEW.street_id,
         district_id = (SELECT district_id FROM street WHERE id = NEW.street_id)
   WHERE f.community_id = NEW.id;
  RETURN NULL;
END $$;
