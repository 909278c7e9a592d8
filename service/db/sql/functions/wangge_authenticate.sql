CREATE OR REPLACE FUNCTION wangge_authenticate(p_digest text)
RETURNS TABLE (id integer, username text, role text, district_id integer, street_id integer,
               community_id integer, department_id integer, csrf_token text)
LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
  u record;
BEGIN
  SELECT a.id, a.username, a.role, a.district_id, a.street_id, a.community_id,
         a.department_id, t.csrf_token
    INTO u
    FROM auth_token t JOIN app_user a ON a.id = t.user_id
   WHERE t.token_sha256 = p_digest AND t.revoked_at IS NULL AND t.expires_at > now()
     AND a.is_active;
  IF NOT FOUND THEN
    RETURN;  -- nothing is set for an unknown, revoked or expired token
  END IF;
  PERFORM set_config('wangge.user_id', u.id::text, true),
          set_config('wangge.role', u.role, true),
          set_config('wangge.district_id', COALESCE(u.district_id::text, ''), true),
          set_config('wangge.street_id', COALESCE(u.street_id::text, ''), true),
          set_config('wangge.community_id', COALESCE(u.community_id::text, ''), true),
          set_config('wangge.department_id', COALESCE(u.department_id::text, ''), true);
  RETURN QUERY SELECT u.id, u.username, u.role, u.district_id, u.street_id, u.community_id,
                      u.department_id, u.csrf_token;
END $$;
