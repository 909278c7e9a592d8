CREATE OR REPLACE FUNCTION wangge_setting(name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('wangge.' || name, true), '')
$$;
