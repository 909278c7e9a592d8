-- The CHECK on every geometry column: EPSG:4326, not empty, valid, every vertex inside China
-- (NaN and infinities fail BETWEEN). plpgsql rather than SQL: PostgreSQL plans an SQL function
-- with a sub-select again in every statement that calls it (~70 µs per inserted report), a
-- plpgsql one once per connection; a point (every report) needs no validity test. Names are
-- schema-qualified, so pg_restore's empty search_path finds them without a SET clause (which
-- costs a settings change per call).
CREATE OR REPLACE FUNCTION wangge_geometry_ok(g geometry) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF public.GeometryType(g) = 'POINT' THEN
    RETURN public.ST_SRID(g) = 4326 AND NOT public.ST_IsEmpty(g)
       AND public.ST_X(g) BETWEEN 73.4 AND 135.1 AND public.ST_Y(g) BETWEEN 3.8 AND 53.6;
  END IF;
  RETURN public.ST_SRID(g) = 4326 AND NOT public.ST_IsEmpty(g) AND public.ST_IsValid(g)
     AND NOT EXISTS (
    SELECT 1 FROM public.ST_DumpPoints(g) AS d
    WHERE NOT (public.ST_X(d.geom) BETWEEN 73.4 AND 135.1
           AND public.ST_Y(d.geom) BETWEEN 3.8 AND 53.6));
END $$;
