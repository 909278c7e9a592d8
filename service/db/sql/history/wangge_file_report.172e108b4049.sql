CREATE OR REPLACE FUNCTION wangge_file_report(
  p_digest text, p_csrf text, p_roles text[], p_action text, p_path text, p_client_addr text,
  p_id uuid, p_lon double precision, p_lat double precision, p_crs text,
  p_accuracy double precision, p_by_hand boolean, p_category text, p_description text,
  p_patrol_id uuid, p_hash text)
RETURNS TABLE (
  outcome text, actor_id integer, actor_role text, reporter text,
  id uuid, category text, category_name_zh text, lon double precision, lat double precision,
  crs text, accuracy_m real, placed_by_hand boolean, description text, status text,
  patrol_id uuid, duplicate_of uuid, grid_code text, residential_area_code text,
  community_code text, street_code text, district_code text, department text,
  department_name_zh text, escalation_level text, created_at timestamptz,
  updated_at timestamptz, closed_at timestamptz, deadline_at timestamptz, district_id integer,
  street_id integer, community_id integer, grid_cell_id integer, department_id integer)
LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
  me record;
  cat record;
  loc record;
  ra record;
  cell record;
  prior record;
  r report%ROWTYPE;
  pt geometry := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326);
BEGIN
  SELECT * INTO me FROM wangge_authenticate(p_digest);
  IF NOT FOUND THEN
    outcome := 'unauthenticated';
    RETURN NEXT;
    RETURN;
  END IF;
  actor_id := me.id;
  actor_role := me.role;
  reporter := me.username;
  -- A cookie session must echo its CSRF token; the hashes are compared, not the secrets.
  IF p_csrf IS NOT NULL AND (me.csrf_token IS NULL
      OR sha256(convert_to(me.csrf_token, 'UTF8')) <> sha256(convert_to(p_csrf, 'UTF8'))) THEN
    outcome := 'csrf';
  ELSIF NOT (me.role = ANY (p_roles)) THEN
    outcome := 'forbidden';
  ELSIF me.district_id IS NULL THEN
    outcome := 'no_district';
  END IF;
  IF outcome IS NOT NULL THEN
    RETURN NEXT;
    RETURN;
  END IF;

  SELECT ec.department_id AS dep_id, ec.deadline_hours, ec.name_zh, dep.code AS dep_code,
         dep.name_zh AS dep_name_zh
    INTO cat
    FROM event_category ec JOIN department dep ON dep.id = ec.department_id
   WHERE ec.code = p_category AND ec.is_active;

  -- The cell gives its community, street and district (cells lie inside their community):
  -- only the small cell polygons are tested. Each statement is simple enough for a generic
  -- plan, which plpgsql makes once per connection; the explicit && lets the generic plan keep
  -- the index test (with ST_Intersects alone plpgsql kept re-planning: ~60 µs a lookup).
  SELECT gc.id, gc.code, gc.community_id INTO cell FROM grid_cell gc
   WHERE gc.is_active AND gc.geom && pt AND ST_Intersects(gc.geom, pt)
   ORDER BY gc.id LIMIT 1;
  IF FOUND THEN
    SELECT cell.id AS cell_id, cell.code AS cell_code, c.id AS com_id, c.code AS com_code,
           s.id AS st_id, s.code AS st_code, d.id AS dis_id, d.code AS dis_code
      INTO loc
      FROM community c JOIN street s ON s.id = c.street_id JOIN district d ON d.id = s.district_id
     WHERE c.id = cell.community_id AND s.district_id = me.district_id;
  END IF;
  IF NOT FOUND THEN
    -- no cell here (a community not yet divided into grids): the polygons above it
    SELECT NULL::integer AS cell_id, NULL::text AS cell_code, c.id AS com_id,
           c.code AS com_code, s.id AS st_id, s.code AS st_code, d.id AS dis_id,
           d.code AS dis_code
      INTO loc
      FROM street s JOIN district d ON d.id = s.district_id
      LEFT JOIN community c ON c.street_id = s.id AND c.geom && pt AND ST_Intersects(c.geom, pt)
     WHERE s.geom && pt AND ST_Intersects(s.geom, pt) AND s.district_id = me.district_id
     ORDER BY c.id LIMIT 1;
  END IF;
  IF NOT FOUND THEN
    -- in the district but in no street polygon (streets normally tile their district)
    SELECT NULL::integer AS cell_id, NULL::text AS cell_code, NULL::integer AS com_id,
           NULL::text AS com_code, NULL::integer AS st_id, NULL::text AS st_code,
           d.id AS dis_id, d.code AS dis_code
      INTO loc
      FROM district d WHERE d.id = me.district_id AND ST_Intersects(d.geom, pt);
  END IF;
  SELECT a.id, a.code INTO ra FROM residential_area a
   WHERE a.geom && pt AND ST_Intersects(a.geom, pt) ORDER BY a.id LIMIT 1;

  IF cat.dep_id IS NOT NULL AND loc.dis_id IS NOT NULL AND (p_patrol_id IS NULL
      OR EXISTS (SELECT 1 FROM patrol pa WHERE pa.id = p_patrol_id AND pa.worker_id = me.id))
  THEN
    INSERT INTO report AS n (id, geom, accuracy_m, coordinate_system, placed_by_hand,
      category_code, description, reporter_id, patrol_id, grid_cell_id, residential_area_id,
      community_id, street_id, district_id, department_id, deadline_at, content_hash)
    VALUES (p_id, pt, p_accuracy::real, p_crs, p_by_hand, p_category, p_description, me.id,
      p_patrol_id, loc.cell_id, ra.id, loc.com_id, loc.st_id, loc.dis_id, cat.dep_id,
      now() + cat.deadline_hours * interval '1 hour', p_hash)
    ON CONFLICT ON CONSTRAINT report_pkey DO NOTHING
    RETURNING n.* INTO r;
    IF FOUND THEN
      INSERT INTO report_event (report_id, from_status, to_status, actor_id, note, street_id,
                                district_id)
      VALUES (r.id, NULL, 'reported', me.id, '', r.street_id, r.district_id);
      outcome := 'created';
    END IF;
  END IF;

  IF outcome IS NULL THEN
    -- Not inserted: a retry of this user's own filing, another filing under the same id,
    -- or a lookup that refused it (the app says which). Hidden reports stay hidden (RLS).
    SELECT x.content_hash = p_hash AND x.reporter_id = me.id AS same INTO prior
      FROM report x WHERE x.id = p_id;
    outcome := CASE WHEN NOT FOUND THEN 'refused' WHEN prior.same THEN 'replay'
                    ELSE 'conflict' END;
    IF outcome <> 'replay' THEN
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  INSERT INTO audit_log (user_id, username, action, method, path, object_type, object_id,
                         client_addr, summary)
  VALUES (me.id, me.username, p_action, 'POST', p_path, 'report', p_id::text, p_client_addr,
          '{}'::jsonb);
  IF outcome = 'replay' THEN
    id := p_id;  -- the app reads the report as it is now
    RETURN NEXT;
    RETURN;
  END IF;

  id := r.id; category := r.category_code; category_name_zh := cat.name_zh;
  lon := ST_X(r.geom); lat := ST_Y(r.geom); crs := r.coordinate_system;
  accuracy_m := r.accuracy_m; placed_by_hand := r.placed_by_hand;
  description := r.description; status := r.status; patrol_id := r.patrol_id;
  duplicate_of := r.duplicate_of; grid_code := loc.cell_code; residential_area_code := ra.code;
  community_code := loc.com_code; street_code := loc.st_code; district_code := loc.dis_code;
  department := cat.dep_code; department_name_zh := cat.dep_name_zh;
  escalation_level := r.escalation_level; created_at := r.created_at;
  updated_at := r.updated_at; closed_at := r.closed_at; deadline_at := r.deadline_at;
  district_id := r.district_id; street_id := r.street_id; community_id := r.community_id;
  grid_cell_id := r.grid_cell_id; department_id := r.department_id;
  RETURN NEXT;
END $$;
