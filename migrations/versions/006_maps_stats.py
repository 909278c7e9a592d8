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

from service.db.sql_functions import function_sql

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

        """
    )
    op.execute(function_sql("wangge_refresh_area_fact", "c53a57c4589b"))
    op.execute(
        """
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

        """
    )
    # one active cell's row, rebuilt from the base tables (deleted when retired)
    op.execute(function_sql("wangge_refresh_cell_fact", "697430317949"))
    op.execute(function_sql("wangge_cell_fact_from_cell", "49704720636a"))
    op.execute(
        """
        CREATE TRIGGER grid_cell_fact_sync AFTER INSERT OR UPDATE ON grid_cell
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_cell();
        """
    )
    op.execute(function_sql("wangge_cell_fact_from_assignment", "90eb2401b957"))
    op.execute(
        """
        CREATE TRIGGER grid_cell_fact_worker AFTER INSERT OR UPDATE OR DELETE
          ON grid_assignment FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_assignment();
        """
    )
    op.execute(function_sql("wangge_cell_fact_from_patrol", "eeb2b7eedb2d"))
    op.execute(
        """
        CREATE TRIGGER grid_cell_fact_patrol AFTER INSERT OR UPDATE OR DELETE ON patrol
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_patrol();
        """
    )
    op.execute(function_sql("wangge_cell_fact_from_user", "6ad6bf2c2950"))
    op.execute(
        """
        CREATE TRIGGER grid_cell_fact_worker_name AFTER UPDATE OF display_name ON app_user
          FOR EACH ROW EXECUTE FUNCTION wangge_cell_fact_from_user();
        SELECT wangge_refresh_cell_fact(id) FROM grid_cell WHERE is_active;

        """
    )
    op.execute(function_sql("wangge_move_community_facts", "034c3bfe76ce"))
    op.execute(
        """
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
        """
    )
    op.execute(function_sql("wangge_bump_data_version", "8a2d7228f794"))
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
