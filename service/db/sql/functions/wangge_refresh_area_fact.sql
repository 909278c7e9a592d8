CREATE OR REPLACE FUNCTION wangge_refresh_area_fact() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO residential_area_fact AS f
  SELECT NEW.id, NEW.code, NEW.name, s.district_id, c.street_id, NEW.community_id,
         NEW.households, NEW.build_year, NEW.property_service_mode,
         NEW.party_org_status, NEW.owners_committee_status, NEW.renovation_status,
         NEW.renovation_planned_year, ST_Transform(NEW.geom, 3857)
  FROM community c JOIN street s ON s.id = c.street_id
  WHERE c.id = NEW.community_id
  ON CONFLICT (residential_area_id) DO UPDATE SET
    code = EXCLUDED.code, name = EXCLUDED.name, geom_3857 = EXCLUDED.geom_3857,
    district_id = EXCLUDED.district_id, street_id = EXCLUDED.street_id,
    community_id = EXCLUDED.community_id, households = EXCLUDED.households,
    build_year = EXCLUDED.build_year,
    property_service_mode = EXCLUDED.property_service_mode,
    party_org_status = EXCLUDED.party_org_status,
    owners_committee_status = EXCLUDED.owners_committee_status,
    renovation_status = EXCLUDED.renovation_status,
    renovation_planned_year = EXCLUDED.renovation_planned_year;
  RETURN NULL;
END $$;
