"""Filing a report in one round trip: token check, lookups, report, history and audit rows.

`wangge_authenticate(digest)` is the one definition of a valid token (unexpired, unrevoked, of
an active user): it returns the user and sets the transaction-local settings read by the
row-level security policies. Every request's authentication calls it.

`wangge_file_report(...)` is what `POST /api/reports` runs, as one statement in its own
transaction (the app calls it in autocommit mode, so the answer comes after the commit):
authenticate, check the role against the roles the app's POLICY allows, resolve the point to a
grid cell (which gives community, street and district through its parents, so only small
polygons are tested; a point in no cell falls back to the community and street polygons) and a
小区, insert the report, its first history row and the audit row. It runs as the caller
(SECURITY INVOKER): row-level security applies to every row it reads or writes. It returns one
row whose `outcome` says what happened; the app turns refusals into their HTTP answers.

Revision ID: 011_filing_function
Revises: 010_map_open_reports
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "011_filing_function"
down_revision = "010_map_open_reports"
branch_labels = None
depends_on = None

# The texts this revision creates (service/db/sql/functions/), pinned by content hash.
AUTHENTICATE = ("wangge_authenticate", "32ed5dcf9666")
FILE_REPORT = ("wangge_file_report", "172e108b4049")
# wangge_geometry_ok as plpgsql (why: in its file), and 0001's SQL version with 008's
# search_path, which the downgrade restores.
GEOMETRY_OK = ("wangge_geometry_ok", "493303708883")
GEOMETRY_OK_0001 = ("wangge_geometry_ok", "c950cc595c8d")


def upgrade() -> None:
    op.execute(function_sql(*GEOMETRY_OK))  # replaces the function's SET search_path of 008 too
    # Nothing reads the report table's data version (tile and statistics caches depend on the
    # territory, 小区, cells, assignments, patrols and users); its statement trigger made every
    # filing and transition wait for one counter row, locked until commit.
    op.execute("DROP TRIGGER IF EXISTS report_bumps_data_version ON report")
    op.execute("DELETE FROM wangge_data_version WHERE table_name = 'report'")
    op.execute(function_sql(*AUTHENTICATE))
    op.execute(function_sql(*FILE_REPORT))
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT EXECUTE ON FUNCTION wangge_authenticate(text) TO wangge_app;
            GRANT EXECUTE ON FUNCTION wangge_file_report(text, text, text[], text, text, text,
              uuid, double precision, double precision, text, double precision, boolean, text,
              text, uuid, text) TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS wangge_file_report")
    op.execute("DROP FUNCTION IF EXISTS wangge_authenticate(text)")
    op.execute(
        """
        INSERT INTO wangge_data_version (table_name) VALUES ('report') ON CONFLICT DO NOTHING;
        CREATE TRIGGER report_bumps_data_version AFTER INSERT OR UPDATE OR DELETE ON report
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_bump_data_version();
        """
    )
    op.execute(function_sql(*GEOMETRY_OK_0001))
