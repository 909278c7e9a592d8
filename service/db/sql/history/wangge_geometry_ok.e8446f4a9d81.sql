CREATE OR REPLACE FUNCTION wangge_geometry_ok(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ST_SRID(g) = 4326
     AND NOT ST_IsEmpty(g)
     AND ST_IsValid(g)
     -- NaN sorts above every number in PostgreSQL and fails BETWEEN, as do infinities.
     AND NOT EXISTS (
       SELECT 1 FROM ST_DumpPoints(g) AS d
       WHERE NOT (ST_X(d.geom) BETWEEN 73.4 AND 135.1
              AND ST_Y(d.geom) BETWEEN 3.8 AND 53.6))
$$;
