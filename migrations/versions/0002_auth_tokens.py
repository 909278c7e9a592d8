"""Server-side tokens for bearer and browser sessions (revocable, expiring).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE auth_token (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          user_id integer NOT NULL REFERENCES app_user(id),
          token_sha256 text NOT NULL UNIQUE,
          kind text NOT NULL CHECK (kind IN ('bearer', 'session')),
          csrf_token text,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          revoked_at timestamptz
        );
        CREATE INDEX auth_token_user_idx ON auth_token (user_id);
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT, UPDATE, DELETE ON auth_token TO wangge_app;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS auth_token")
