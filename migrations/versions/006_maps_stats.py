"""Maps and statistics: per-小区 fact table and a data version per table for tile caches.

residential_area_fact carries each 小区's district/street/community ids and coverage facts so
statistics group by integer ids (no spatial join, no chain of joins at query time). Row triggers
keep it current on every write to residential_area and on a community moving street.
wangge_data_version holds one counter per table, bumped by statement triggers, so tile and
statistics caches keyed on it see every edit at once.

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
          district_id integer NOT NULL,
          street_id integer NOT NULL,
          community_id integer NOT NULL,
          households integer NOT NULL,
          build_year integer,
          property_service_mode text NOT NULL,
          party_org_status text NOT NULL,
          owners_committee_status text NOT NULL,
          renovation_status text NOT NULL,
          renovation_planned_year integer
        );
        CREATE INDEX residential_area_fact_street_idx ON residential_area_fact (street_id);
        CREATE INDEX residential_area_fact_district_idx ON residential_area_fact (district_id);
        CREATE INDEX residential_area_fact_community_idx ON residential_area_fact (community_id);

        CREATE FUNCTION wangge_refresh_area_fact() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO residential_area_fact AS f
          SELECT NEW.id, s.district_id, c.street_id, NEW.community_id, NEW.households,
                 NEW.build_year, NEW.property_service_mode, NEW.party_org_status,
                 NEW.owners_committee_status, NEW.renovation_status,
                 NEW.renovation_planned_year
          FROM community c JOIN street s ON s.id = c.street_id
          WHERE c.id = NEW.community_id
          ON CONFLICT (residential_area_id) DO UPDATE SET
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

        CREATE FUNCTION wangge_move_community_facts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE residential_area_fact f
             SET street_id = NEW.street_id,
                 district_id = (SELECT district_id FROM street WHERE id = NEW.street_id)
           WHERE f.community_id = NEW.id;
          RETURN NULL;
        END $$;
        CREATE TRIGGER community_moves_area_facts
          AFTER UPDATE OF street_id ON community
          FOR EACH ROW EXECUTE FUNCTION wangge_move_community_facts();

        INSERT INTO residential_area_fact
        SELECT r.id, s.district_id, c.street_id, r.community_id, r.households, r.build_year,
               r.property_service_mode, r.party_org_status, r.owners_committee_status,
               r.renovation_status, r.renovation_planned_year
        FROM residential_area r JOIN community c ON c.id = r.community_id
        JOIN street s ON s.id = c.street_id;

        CREATE TABLE wangge_data_version (
          table_name text PRIMARY KEY,
          version bigint NOT NULL DEFAULT 1,
          changed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE FUNCTION wangge_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
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
            GRANT SELECT, INSERT, UPDATE, DELETE ON residential_area_fact TO wangge_app;
            GRANT SELECT, UPDATE ON wangge_data_version TO wangge_app;
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
        DROP FUNCTION IF EXISTS wangge_move_community_facts();
        DROP FUNCTION IF EXISTS wangge_refresh_area_fact();
        DROP FUNCTION IF EXISTS wangge_bump_data_version();
        DROP TABLE IF EXISTS wangge_data_version;
        DROP TABLE IF EXISTS residential_area_fact;
        """
    )
