CREATE OR REPLACE FUNCTION wangge_setting_int(name text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('wangge.' || name, true), '')::integer
$$;
