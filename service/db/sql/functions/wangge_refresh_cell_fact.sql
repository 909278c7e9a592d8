CREATE OR REPLACE FUNCTION wangge_refresh_cell_fact(cell integer) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  DELETE FROM grid_cell_fact WHERE grid_cell_id = cell;
  INSERT INTO grid_cell_fact
  SELECT g.id, g.code, s.district_id, c.street_id, g.community_id, g.households,
         (SELECT w.display_name FROM grid_assignment a JOIN app_user w
            ON w.id = a.worker_id
          WHERE a.cell_id = g.id AND a.is_primary AND a.valid_to IS NULL LIMIT 1),
         (SELECT max(p.started_at) FROM patrol p WHERE p.grid_cell_id = g.id),
         ST_Transform(g.geom, 3857)
  FROM grid_cell g JOIN community c ON c.id = g.community_id
  JOIN street s ON s.id = c.street_id
  WHERE g.id = cell AND g.is_active;
$$;
