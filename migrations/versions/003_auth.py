"""Row-level security on report, report_event, patrol and photo; audit log; login attempts.

The policies read transaction-local settings written by service.api.deps.set_rls_identity
(`wangge.user_id`, `wangge.role`, `wangge.district_id`, `wangge.street_id`,
`wangge.community_id`, `wangge.department_id`). With none set, the app role sees nothing.
RLS is ENABLEd, not FORCEd: the owner (migrations, demo loading, background jobs) keeps full
access; the app connects as wangge_app, which owns nothing and has no BYPASSRLS.

Revision ID: 003_auth
Revises: 0002
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "003_auth"
down_revision = "0002"
branch_labels = None
depends_on = None

RLS_TABLES = ("report", "report_event", "patrol", "photo")


def _setting(name: str) -> str:
    # A scalar sub-select: evaluated once per query (InitPlan), not once per row.
    return f"(SELECT wangge_setting_int('{name}'))"


def _sees_area(district: str, street: str, community: str, department: str | None) -> str:
    """The area rule shared by report and patrol, inlined so the planner can use it."""
    dept = f"AND {department} = {_setting('department_id')}" if department else "AND false"
    return f"""coalesce(CASE (SELECT wangge_setting('role'))
        WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                          OR {district} = {_setting("district_id")}
        WHEN 'district_bureau' THEN {district} = {_setting("district_id")}
        WHEN 'planner' THEN {district} = {_setting("district_id")}
        WHEN 'street_office' THEN {street} = {_setting("street_id")}
        WHEN 'community_staff' THEN {community} = {_setting("community_id")}
        WHEN 'grid_worker' THEN {community} = {_setting("community_id")}
        WHEN 'department' THEN {district} = {_setting("district_id")} {dept}
        ELSE false END, false)"""


REPORT_AREA = _sees_area("district_id", "street_id", "community_id", "department_id")
PATROL_AREA = _sees_area("district_id", "street_id", "community_id", None)
OWN_REPORT = (
    f"((SELECT wangge_setting('role')) = 'grid_worker' AND reporter_id = {_setting('user_id')})"
)


def upgrade() -> None:
    _create_helpers()
    _create_policies()
    _create_audit_and_attempts()
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT ON audit_log TO wangge_app;
            GRANT SELECT, INSERT, DELETE ON login_attempt TO wangge_app;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wangge_app;
            GRANT EXECUTE ON FUNCTION wangge_setting(text), wangge_setting_int(text)
              TO wangge_app;
          END IF;
        END $$;
        """
    )


def _create_helpers() -> None:
    op.execute(function_sql("wangge_setting", "f416a485aa4f"))
    op.execute(function_sql("wangge_setting_int", "6db1a2cacb7d"))


def _create_policies() -> None:
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"""
        CREATE POLICY report_visible ON report FOR SELECT USING ({REPORT_AREA} OR {OWN_REPORT});
        CREATE POLICY report_update ON report FOR UPDATE USING ({REPORT_AREA} OR {OWN_REPORT});
        CREATE POLICY report_insert ON report FOR INSERT WITH CHECK (
          reporter_id = {_setting("user_id")} AND district_id = {_setting("district_id")});

        CREATE POLICY report_event_visible ON report_event FOR SELECT USING (
          EXISTS (SELECT 1 FROM report r WHERE r.id = report_event.report_id));
        CREATE POLICY report_event_insert ON report_event FOR INSERT WITH CHECK (
          EXISTS (SELECT 1 FROM report r WHERE r.id = report_event.report_id));

        CREATE POLICY photo_visible ON photo FOR SELECT USING (
          EXISTS (SELECT 1 FROM report r WHERE r.id = photo.report_id));
        CREATE POLICY photo_insert ON photo FOR INSERT WITH CHECK (
          EXISTS (SELECT 1 FROM report r WHERE r.id = photo.report_id));
        CREATE POLICY photo_update ON photo FOR UPDATE USING (
          EXISTS (SELECT 1 FROM report r WHERE r.id = photo.report_id));

        CREATE POLICY patrol_visible ON patrol FOR SELECT USING (
          worker_id = {_setting("user_id")} OR {PATROL_AREA});
        CREATE POLICY patrol_update ON patrol FOR UPDATE USING (
          worker_id = {_setting("user_id")} OR {PATROL_AREA});
        CREATE POLICY patrol_insert ON patrol FOR INSERT WITH CHECK (
          worker_id = {_setting("user_id")});
        """
    )


def _create_audit_and_attempts() -> None:
    op.execute(
        """
        CREATE TABLE audit_log (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          user_id integer REFERENCES app_user(id),
          username text NOT NULL,
          action text NOT NULL,
          method text NOT NULL,
          path text NOT NULL,
          object_type text,
          object_id text,
          client_addr text,
          summary jsonb NOT NULL DEFAULT '{}'::jsonb
        );
        CREATE INDEX audit_log_at_idx ON audit_log (at);
        CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);
        CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
        CREATE TRIGGER audit_log_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();

        CREATE TABLE login_attempt (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          username text NOT NULL,
          client_addr text NOT NULL,
          attempted_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX login_attempt_user_idx ON login_attempt (username, attempted_at);
        CREATE INDEX login_attempt_addr_idx ON login_attempt (client_addr, attempted_at);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS login_attempt;
        DROP TABLE IF EXISTS audit_log;
        DROP POLICY IF EXISTS report_visible ON report;
        DROP POLICY IF EXISTS report_update ON report;
        DROP POLICY IF EXISTS report_insert ON report;
        DROP POLICY IF EXISTS report_event_visible ON report_event;
        DROP POLICY IF EXISTS report_event_insert ON report_event;
        DROP POLICY IF EXISTS photo_visible ON photo;
        DROP POLICY IF EXISTS photo_insert ON photo;
        DROP POLICY IF EXISTS photo_update ON photo;
        DROP POLICY IF EXISTS patrol_visible ON patrol;
        DROP POLICY IF EXISTS patrol_update ON patrol;
        DROP POLICY IF EXISTS patrol_insert ON patrol;
        ALTER TABLE report DISABLE ROW LEVEL SECURITY;
        ALTER TABLE report_event DISABLE ROW LEVEL SECURITY;
        ALTER TABLE patrol DISABLE ROW LEVEL SECURITY;
        ALTER TABLE photo DISABLE ROW LEVEL SECURITY;
        DROP FUNCTION IF EXISTS wangge_setting_int(text);
        DROP FUNCTION IF EXISTS wangge_setting(text);
        """
    )
