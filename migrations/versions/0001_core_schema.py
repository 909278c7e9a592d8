"""Core schema: territory, residential areas, grid cells, users, catalogue, reports, patrols.

Geometry is EPSG:4326 (treated as CGCS2000). Every geometry column carries a CHECK through
wangge_geometry_ok(), so the database itself refuses invalid, empty, non-finite or
outside-China geometry whatever code path writes it.

Revision ID: 0001
Revises:
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# China's extent (incl. the South China Sea islands), lon/lat degrees.
CHINA_BBOX = (73.4, 3.8, 135.1, 53.6)

ENUMS = {
    "property_service_mode": (
        "professional",
        "large_scale",
        "quasi",
        "unit_self",
        "owner_self",
        "emergency_custody",
        "none",
    ),
    "owners_committee_status": ("established", "interim_committee", "none"),
    "party_org_status": ("own_branch", "joint_branch", "party_group", "instructor_only", "none"),
    "renovation_status": ("not_listed", "planned", "in_progress", "completed", "accepted"),
    "credit_grade": ("A", "B", "C", "D"),
    "list_status": ("none", "red", "black", "grey"),
    "user_role": (
        "grid_worker",
        "community_staff",
        "street_office",
        "district_bureau",
        "department",
        "planner",
        "admin",
    ),
    "report_status": (
        "reported",
        "accepted",
        "rejected",
        "dispatched",
        "in_progress",
        "handled",
        "verified",
        "closed",
    ),
    "coordinate_system": ("wgs84", "gcj02", "bd09"),
    "gb_class": (
        "city_appearance",
        "advertising",
        "construction",
        "street_order",
        "emergency",
        "extended",
    ),
}


def _in(column: str, enum: str) -> str:
    values = ", ".join(f"'{v}'" for v in ENUMS[enum])
    return f"CHECK ({column} IN ({values}))"


def _geom_check(table: str) -> str:
    return f"CONSTRAINT {table}_geom_ok CHECK (wangge_geometry_ok(geom))"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # every vertex inside China's extent (CHINA_BBOX); NaN and infinities fail BETWEEN
    op.execute(function_sql("wangge_geometry_ok", "e8446f4a9d81"))
    op.execute(
        f"""
        CREATE TABLE district (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{{6}}$'),
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
          geom geometry(MultiPolygon, 4326) NOT NULL,
          {_geom_check("district")}
        );
        CREATE TABLE street (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{{9}}$'),
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
          district_id integer NOT NULL REFERENCES district(id),
          geom geometry(MultiPolygon, 4326) NOT NULL,
          {_geom_check("street")}
        );
        CREATE TABLE community (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{{12}}$'),
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
          street_id integer NOT NULL REFERENCES street(id),
          geom geometry(MultiPolygon, 4326) NOT NULL,
          {_geom_check("community")}
        );
        CREATE TABLE property_company (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
          credit_grade text NOT NULL DEFAULT 'B' {_in("credit_grade", "credit_grade")},
          list_status text NOT NULL DEFAULT 'none' {_in("list_status", "list_status")}
        );
        CREATE TABLE residential_area (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{{12}}R[0-9]{{3}}$'),
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
          community_id integer NOT NULL REFERENCES community(id),
          geom geometry(MultiPolygon, 4326) NOT NULL,
          households integer NOT NULL CHECK (households >= 0),
          buildings integer NOT NULL CHECK (buildings >= 0),
          build_year integer CHECK (build_year BETWEEN 1900 AND 2100),
          property_service_mode text NOT NULL DEFAULT 'none'
            {_in("property_service_mode", "property_service_mode")},
          property_company_id integer REFERENCES property_company(id),
          owners_committee_status text NOT NULL DEFAULT 'none'
            {_in("owners_committee_status", "owners_committee_status")},
          owners_committee_party_share numeric(4, 3)
            CHECK (owners_committee_party_share BETWEEN 0 AND 1),
          party_org_status text NOT NULL DEFAULT 'none'
            {_in("party_org_status", "party_org_status")},
          renovation_eligible boolean NOT NULL DEFAULT false,
          renovation_status text NOT NULL DEFAULT 'not_listed'
            {_in("renovation_status", "renovation_status")},
          renovation_planned_year integer CHECK (renovation_planned_year BETWEEN 2000 AND 2100),
          renovation_items text[] NOT NULL DEFAULT '{{}}',
          has_property_office boolean NOT NULL DEFAULT false,
          maintenance_fund_ratio numeric(6, 3) CHECK (maintenance_fund_ratio >= 0),
          updated_at timestamptz NOT NULL DEFAULT now(),
          {_geom_check("residential_area")},
          CONSTRAINT residential_area_company_needs_mode CHECK (
            property_company_id IS NULL
            OR property_service_mode IN ('professional', 'large_scale', 'emergency_custody'))
        );
        CREATE TABLE app_user (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          username text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{{2,64}}$'),
          display_name text NOT NULL DEFAULT '',
          password_hash text NOT NULL,
          role text NOT NULL {_in("role", "user_role")},
          district_id integer REFERENCES district(id),
          street_id integer REFERENCES street(id),
          community_id integer REFERENCES community(id),
          department_id integer,
          is_active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          -- exactly one jurisdiction level, except admin which may have none
          CONSTRAINT app_user_one_jurisdiction CHECK (
            num_nonnulls(street_id, community_id) <= 1
            AND (role = 'admin' OR district_id IS NOT NULL)),
          CONSTRAINT app_user_worker_in_community CHECK (
            role NOT IN ('grid_worker', 'community_staff') OR community_id IS NOT NULL),
          CONSTRAINT app_user_street_office_in_street CHECK (
            role <> 'street_office' OR street_id IS NOT NULL),
          CONSTRAINT app_user_department_has_department CHECK (
            role <> 'department' OR department_id IS NOT NULL)
        );
        CREATE TABLE residential_area_change (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          residential_area_id integer NOT NULL REFERENCES residential_area(id),
          attribute text NOT NULL,
          old_value text,
          new_value text,
          changed_by integer REFERENCES app_user(id),
          changed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE grid_cell (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          -- unique over active and retired cells alike: a retired code is never reused
          code text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{{15}}$'),
          community_id integer NOT NULL REFERENCES community(id),
          geom geometry(MultiPolygon, 4326) NOT NULL,
          households integer NOT NULL DEFAULT 0 CHECK (households >= 0),
          is_active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          retired_at timestamptz,
          {_geom_check("grid_cell")},
          CONSTRAINT grid_cell_retired_consistent CHECK (is_active = (retired_at IS NULL))
        );
        CREATE TABLE grid_cell_lineage (
          cell_id integer NOT NULL REFERENCES grid_cell(id),
          replaces_cell_id integer NOT NULL REFERENCES grid_cell(id),
          PRIMARY KEY (cell_id, replaces_cell_id),
          CHECK (cell_id <> replaces_cell_id)
        );
        CREATE TABLE grid_assignment (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          worker_id integer NOT NULL REFERENCES app_user(id),
          cell_id integer NOT NULL REFERENCES grid_cell(id),
          is_primary boolean NOT NULL DEFAULT false,
          valid_from date NOT NULL DEFAULT current_date,
          valid_to date,
          CHECK (valid_to IS NULL OR valid_to >= valid_from)
        );
        CREATE TABLE department (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[a-z_]{{2,40}}$'),
          name_zh text NOT NULL,
          name_en text NOT NULL
        );
        ALTER TABLE app_user ADD CONSTRAINT app_user_department_fk
          FOREIGN KEY (department_id) REFERENCES department(id);
        CREATE TABLE event_category (
          code text PRIMARY KEY CHECK (code ~ '^[a-z_]{{2,60}}$'),
          name_zh text NOT NULL,
          name_en text NOT NULL,
          gb_class text NOT NULL {_in("gb_class", "gb_class")},
          department_id integer NOT NULL REFERENCES department(id),
          deadline_hours integer NOT NULL CHECK (deadline_hours > 0),
          is_active boolean NOT NULL DEFAULT true
        );
        CREATE TABLE patrol (
          id uuid PRIMARY KEY,
          worker_id integer NOT NULL REFERENCES app_user(id),
          grid_cell_id integer REFERENCES grid_cell(id),
          community_id integer REFERENCES community(id),
          street_id integer REFERENCES street(id),
          district_id integer REFERENCES district(id),
          started_at timestamptz NOT NULL,
          ended_at timestamptz,
          geom geometry(LineString, 4326),
          track_accuracy_m real[],
          checklist jsonb NOT NULL DEFAULT '{{}}'::jsonb,
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          content_hash text,
          created_at timestamptz NOT NULL DEFAULT now(),
          {_geom_check("patrol")},
          CHECK (ended_at IS NULL OR ended_at >= started_at)
        );
        CREATE TABLE report (
          id uuid PRIMARY KEY,
          geom geometry(Point, 4326) NOT NULL,
          accuracy_m real CHECK (accuracy_m >= 0 AND accuracy_m < 100000),
          coordinate_system text NOT NULL DEFAULT 'wgs84'
            {_in("coordinate_system", "coordinate_system")},
          placed_by_hand boolean NOT NULL DEFAULT false,
          category_code text NOT NULL REFERENCES event_category(code),
          description text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
          status text NOT NULL DEFAULT 'reported' {_in("status", "report_status")},
          reporter_id integer NOT NULL REFERENCES app_user(id),
          patrol_id uuid REFERENCES patrol(id),
          grid_cell_id integer REFERENCES grid_cell(id),
          residential_area_id integer REFERENCES residential_area(id),
          community_id integer REFERENCES community(id),
          street_id integer REFERENCES street(id),
          district_id integer NOT NULL REFERENCES district(id),
          department_id integer NOT NULL REFERENCES department(id),
          deadline_at timestamptz NOT NULL,
          escalation_level text NOT NULL DEFAULT 'community'
            CHECK (escalation_level IN ('community', 'street', 'district')),
          duplicate_of uuid REFERENCES report(id),
          content_hash text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          closed_at timestamptz,
          {_geom_check("report")}
        );
        CREATE TABLE report_event (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          report_id uuid NOT NULL REFERENCES report(id),
          from_status text,
          to_status text NOT NULL {_in("to_status", "report_status")},
          actor_id integer REFERENCES app_user(id),
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          street_id integer REFERENCES street(id),
          district_id integer REFERENCES district(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE photo (
          id uuid PRIMARY KEY,
          report_id uuid NOT NULL REFERENCES report(id),
          storage_key text NOT NULL UNIQUE,
          content_type text NOT NULL
            CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
          bytes integer NOT NULL CHECK (bytes > 0),
          width integer NOT NULL CHECK (width > 0),
          height integer NOT NULL CHECK (height > 0),
          sha256 text NOT NULL,
          is_evidence boolean NOT NULL DEFAULT false,
          uploaded_by integer REFERENCES app_user(id),
          street_id integer REFERENCES street(id),
          district_id integer REFERENCES district(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )
    # Spatial and lookup indexes.
    for table in (
        "district",
        "street",
        "community",
        "residential_area",
        "grid_cell",
        "report",
        "patrol",
    ):
        op.execute(f"CREATE INDEX {table}_geom_gist ON {table} USING gist (geom)")
    op.execute(
        """
        CREATE INDEX street_district_idx ON street (district_id);
        CREATE INDEX community_street_idx ON community (street_id);
        CREATE INDEX residential_area_community_idx ON residential_area (community_id);
        CREATE INDEX residential_area_change_area_idx
          ON residential_area_change (residential_area_id, changed_at);
        CREATE INDEX grid_cell_community_idx ON grid_cell (community_id) WHERE is_active;
        CREATE INDEX grid_cell_active_geom_gist ON grid_cell USING gist (geom) WHERE is_active;
        CREATE INDEX grid_assignment_cell_idx ON grid_assignment (cell_id);
        CREATE INDEX grid_assignment_worker_idx ON grid_assignment (worker_id);
        -- one current primary per cell, enforced by the database, not check-then-write
        CREATE UNIQUE INDEX grid_assignment_one_primary
          ON grid_assignment (cell_id) WHERE is_primary AND valid_to IS NULL;
        CREATE INDEX report_street_status_idx ON report (street_id, status);
        CREATE INDEX report_community_idx ON report (community_id);
        CREATE INDEX report_department_idx ON report (department_id, status);
        CREATE INDEX report_created_idx ON report (created_at);
        CREATE INDEX report_cell_idx ON report (grid_cell_id);
        CREATE INDEX report_event_report_idx ON report_event (report_id, created_at);
        CREATE INDEX photo_report_idx ON photo (report_id);
        CREATE INDEX patrol_worker_idx ON patrol (worker_id, started_at);
        CREATE INDEX patrol_cell_idx ON patrol (grid_cell_id, started_at);
        """
    )
    # report_event is an append-only history: no update, no delete, for anyone.
    op.execute(function_sql("wangge_append_only", "42839c8734cf"))
    op.execute(
        """
        CREATE TRIGGER report_event_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON report_event
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();
        CREATE TRIGGER residential_area_change_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON residential_area_change
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();
        """
    )
    _seed_catalogue()
    _grant_app_role()


def _grant_app_role() -> None:
    # The app role (created by the operator; optional elsewhere) gets rows, never DDL.
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT USAGE ON SCHEMA public TO wangge_app;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO wangge_app;
            REVOKE UPDATE, DELETE ON report_event, residential_area_change FROM wangge_app;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wangge_app;
          END IF;
        END $$;
        """
    )


def _seed_catalogue() -> None:
    from sqlalchemy import text

    from migrations.catalogue_0001 import CATEGORIES, DEPARTMENTS

    bind = op.get_bind()
    bind.execute(
        text("INSERT INTO department (code, name_zh, name_en) VALUES (:code, :zh, :en)"),
        [{"code": c, "zh": zh, "en": en} for c, zh, en in DEPARTMENTS],
    )
    bind.execute(
        text(
            "INSERT INTO event_category (code, name_zh, name_en, gb_class, department_id,"
            " deadline_hours) SELECT :code, :zh, :en, :gb, id, :hours"
            " FROM department WHERE code = :dept"
        ),
        [
            {"code": c, "zh": zh, "en": en, "gb": gb, "dept": dept, "hours": hours}
            for c, zh, en, gb, dept, hours in CATEGORIES
        ],
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS photo, report_event, report, patrol, event_category,
          grid_assignment, grid_cell_lineage, grid_cell, residential_area_change, app_user,
          department, residential_area, property_company, community, street, district CASCADE;
        DROP FUNCTION IF EXISTS wangge_append_only();
        DROP FUNCTION IF EXISTS wangge_geometry_ok(geometry);
        """
    )
