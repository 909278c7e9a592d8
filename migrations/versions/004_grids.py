"""Grid management: split records of 小区, an append-only edit history, code stability.

- residential_area_split: a 小区 deliberately divided across grid cells (one row per cell
  holding a part). The integrity check accepts a 小区 in several active cells only when every
  one of them has a row here.
- grid_edit: who generated, split, merged or redrew which cells, and when (append-only).
- grid_cell_stable trigger: a code never changes, a retired cell never comes back and is
  never deleted, so a retired code is retired for good (code is UNIQUE over all cells).

Revision ID: 004_grids
Revises: 003_auth
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "004_grids"
# chained after the auth revision so the history has one head
down_revision = "003_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE residential_area_split (
          residential_area_id integer NOT NULL REFERENCES residential_area(id),
          cell_id integer NOT NULL REFERENCES grid_cell(id),
          households integer NOT NULL DEFAULT 0 CHECK (households >= 0),
          recorded_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (residential_area_id, cell_id)
        );
        CREATE INDEX residential_area_split_cell_idx ON residential_area_split (cell_id);
        CREATE TABLE grid_edit (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          community_id integer NOT NULL REFERENCES community(id),
          kind text NOT NULL
            CHECK (kind IN ('generate', 'split', 'merge', 'redraw', 'assign', 'unassign')),
          actor_id integer REFERENCES app_user(id),
          retired_codes text[] NOT NULL DEFAULT '{}',
          created_codes text[] NOT NULL DEFAULT '{}',
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          detail jsonb NOT NULL DEFAULT '{}'::jsonb,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX grid_edit_community_idx ON grid_edit (community_id, created_at);
        CREATE TRIGGER grid_edit_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON grid_edit
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();

        """
    )
    op.execute(function_sql("wangge_grid_cell_stable", "b03fa6f58806"))
    op.execute(
        """
        CREATE TRIGGER grid_cell_stable
          BEFORE UPDATE OR DELETE ON grid_cell
          FOR EACH ROW EXECUTE FUNCTION wangge_grid_cell_stable();

        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT, UPDATE, DELETE ON residential_area_split TO wangge_app;
            GRANT SELECT, INSERT ON grid_edit TO wangge_app;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER IF EXISTS grid_cell_stable ON grid_cell;
        DROP FUNCTION IF EXISTS wangge_grid_cell_stable();
        DROP TABLE IF EXISTS grid_edit;
        DROP TABLE IF EXISTS residential_area_split;
        """
    )
