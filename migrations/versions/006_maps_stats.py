"""Maps and statistics: per-小区 and per-cell fact tables, and a data version per table.

residential_area_fact and grid_cell_fact carry each 小区's / active cell's district, street and
community ids, the attributes the map and statistics show, and the geometry already in
EPSG:3857: statistics group by integer ids (no spatial join, no chain of joins) and a tile reads
one table (no transform, no join). Row triggers keep them current on every write to the base
tables (residential_area; grid_cell, grid_assignment, patrol, a worker's name; a community
moving street). wangge_data_version holds one counter per table, bumped by statement triggers,
so tile caches keyed on it see every edit at once.

Revision ID: 006_maps_stats
Revises: 0002
"""

from alembic import op

revision = "006_maps_stats"
down_revision = "0002"
branch_labels = None
depends_on = None

VERSIONED = (
    "district",
    "street",
    "community",
    "residential_area",
    "grid_cell",
    "grid_assignment",
    "report",
    "patrol",
    "app_user",
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE residential_area_fact (
          residential_area_id integer PRIMARY KEY
            REFERENCES residential_area(id) ON DELETE CASCADE,
          code text NOT NULL,
          name text NOT NULL,
          district_id integer NOT NULL,
          street_id integer NOT NULL,
          community_id integer NOT NULL,
          households integer NOT NULL,
          build_year integer,
          property_service_mode text NOT NULL,
          party_org_status text NOT NULL,
          owners_committee_status text NOT NULL,
          renovation_status text NOT NULL,
          renovation_planned_year integer,
          geom_3857 geometry(MultiPolygon, 3857) NOT NULL
        );
        CREATE INDEX residential_area_fact_geom_gist
          ON residential_area_fact USING gist (geom_3857);
        CREATE INDEX residential_area_fact_street_idx ON residential_area_fact (street_id);
        CREATE INDEX residential_area_fact_district_idx ON residential_area_fact (district_id);
        CREATE INDEX residential_area_fact_community_idx ON residential_area_fact (community_id);

        CREATE FUNCTION wangge_refresh_area_fact() RETURNS trigger LANGUAGE plpgsql
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
        CREATE TRIGGER residential_area_fact_sync
          AFTER INSERT OR UPDATE ON residential_area
          FOR EACH ROW EXECUTE FUNCTION wangge_refresh_area_fact();

        CREATE TABLE grid_cell_fact (
          grid_cell_id integer PRIMARY KEY REFERENCES grid_cell(id) ON DELETE CASCADE,
          code text NOT NULL,
          district_id integer NOT NULL,
          street_id integer NOT NULL,
          community_id integer NOT NULL,
          households integer NOT NULL,
          primary_worker text,
          last_patrol_at timestamptz,
          geom_3857 geometry(MultiPolygon, 3857) NOT NULL
        );
        CREATE INDEX grid_cell_fact_geom_gist ON grid_cell_fact USING gist (geom_3857);

        -- one active cell's row, rebuilt from the base tables (deleted when retired)
        CREATE FUNCTION wangge_refresh_cell_fact(cell integer) RETURNS void
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
        CREATE FUNCTION wangge_cell_fact_from_cell() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN PERFORM wangge_refresh_cell_fact(NEW.id); RETURN NULL; END $$;
        CREATE TRIGGER grid_cell_fact_sync AFTER INSERT OR UPDATE ON grid_cell
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_cell();
        CREATE FUNCTION wangge_cell_fact_from_assignment() RETURNS trigger
        LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN PERFORM wangge_refresh_cell_fact(OLD.cell_id); END IF;
          IF TG_OP <> 'DELETE' THEN PERFORM wangge_refresh_cell_fact(NEW.cell_id); END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER grid_cell_fact_worker AFTER INSERT OR UPDATE OR DELETE
          ON grid_assignment FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_assignment();
        CREATE FUNCTION wangge_cell_fact_from_patrol() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            UPDATE grid_cell_fact SET last_patrol_at = greatest(last_patrol_at, NEW.started_at)
             WHERE grid_cell_id = NEW.grid_cell_id;
          ELSE
            IF OLD.grid_cell_id IS NOT NULL THEN
              PERFORM wangge_refresh_cell_fact(OLD.grid_cell_id);
            END IF;
            IF TG_OP = 'UPDATE' AND NEW.grid_cell_id IS NOT NULL THEN
              PERFORM wangge_refresh_cell_fact(NEW.grid_cell_id);
            END IF;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER grid_cell_fact_patrol AFTER INSERT OR UPDATE OR DELETE ON patrol
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_patrol();
        CREATE FUNCTION wangge_cell_fact_from_user() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          PERFORM wangge_refresh_cell_fact(a.cell_id) FROM grid_assignment a
           WHERE a.worker_id = NEW.id AND a.is_primary AND a.valid_to IS NULL;
          RETURN NULL;
        END $$;
        CREATE TRIGGER grid_cell_fact_worker_name AFTER UPDATE OF display_name ON app_user
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_user();
        SELECT wangge_refresh_cell_fact(id) FROM grid_cell WHERE is_active;

        CREATE FUNCTION wangge_move_community_facts() RETURNS trigger LANGUAGE plpgsql
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
        CREATE TRIGGER community_moves_area_facts
          AFTER UPDATE OF street_id ON community
          FOR EACH ROW EXECUTE FUNCTION wangge_move_community_facts();

        INSERT INTO residential_area_fact
        SELECT r.id, r.code, r.name, s.district_id, c.street_id, r.community_id, r.households,
               r.build_year, r.property_service_mode, r.party_org_status,
               r.owners_committee_status, r.renovation_status, r.renovation_planned_year,
               ST_Transform(r.geom, 3857)
        FROM residential_area r JOIN community c ON c.id = r.community_id
        JOIN street s ON s.id = c.street_id;

        CREATE TABLE wangge_data_version (
          table_name text PRIMARY KEY,
          version bigint NOT NULL DEFAULT 1,
          changed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE FUNCTION wangge_bump_data_version() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          UPDATE wangge_data_version SET version = version + 1, changed_at = now()
           WHERE table_name = TG_TABLE_NAME;
          RETURN NULL;
        END $$;
        """
    )
    for table in VERSIONED:
        op.execute(
            f"""
            INSERT INTO wangge_data_version (table_name) VALUES ('{table}');
            CREATE TRIGGER {table}_bumps_data_version
              AFTER INSERT OR UPDATE OR DELETE ON {table}
              FOR EACH STATEMENT EXECUTE FUNCTION wangge_bump_data_version();
            """
        )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            -- read only: the triggers that write them run as the owner (SECURITY DEFINER),
            -- so row-level security on patrol cannot hide rows from a cell's last patrol
            GRANT SELECT ON residential_area_fact, grid_cell_fact, wangge_data_version
              TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_data_version ON {table}")
    op.execute(
        """
        DROP TRIGGER IF EXISTS community_moves_area_facts ON community;
        DROP TRIGGER IF EXISTS residential_area_fact_sync ON residential_area;
        DROP TRIGGER IF EXISTS grid_cell_fact_sync ON grid_cell;
        DROP TRIGGER IF EXISTS grid_cell_fact_worker ON grid_assignment;
        DROP TRIGGER IF EXISTS grid_cell_fact_patrol ON patrol;
        DROP TRIGGER IF EXISTS grid_cell_fact_worker_name ON app_user;
        DROP FUNCTION IF EXISTS wangge_cell_fact_from_cell();
        DROP FUNCTION IF EXISTS wangge_cell_fact_from_assignment();
        DROP FUNCTION IF EXISTS wangge_cell_fact_from_patrol();
        DROP FUNCTION IF EXISTS wangge_cell_fact_from_user();
        DROP FUNCTION IF EXISTS wangge_refresh_cell_fact(integer);
        DROP TABLE IF EXISTS grid_cell_fact;
        DROP FUNCTION IF EXISTS wangge_move_community_facts();
        DROP FUNCTION IF EXISTS wangge_refresh_area_fact();
        DROP FUNCTION IF EXISTS wangge_bump_data_version();
        DROP TABLE IF EXISTS wangge_data_version;
        DROP TABLE IF EXISTS residential_area_fact;
        """
    )
