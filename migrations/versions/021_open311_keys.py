"""Open311 GeoReport v2 filing: API keys per client, their rate windows, and what a filing
brought with it.

- `open311_key`: one client (an external hotline, an app), bound to a district and to the
  channel its filings enter as (居民投诉 or 其他). The key itself is never stored: only its
  SHA-256 (a 256-bit random token needs no slow hash) and a short prefix to recognise it in
  lists. Each key files as an account of its own (`user_id`, a district bureau account that
  cannot log in), so the report's filer, its first history row and the audit row name it.
- `open311_key_window`: requests per key per minute (fixed one-minute windows), shared by every
  worker process; old windows are deleted as new ones open.
- `open311_request`: the filing's key and the `media_url` the client sent with it, the only
  picture Open311 answers show (never a staff evidence photo). Row-level security: visible with
  its report.

Revision ID: 021_open311_keys
Revises: 020_case_speed
"""

from alembic import op

revision = "021_open311_keys"
down_revision = "020_case_speed"
branch_labels = None
depends_on = None

REQUEST_VISIBLE = "EXISTS (SELECT 1 FROM report r WHERE r.id = open311_request.report_id)"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE open311_key (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 60),
          key_sha256 text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{{64}}$'),
          key_prefix text NOT NULL CHECK (length(key_prefix) <= 16),
          district_id integer NOT NULL REFERENCES district(id),
          channel text NOT NULL CHECK (channel IN ('complaint', 'other')),
          user_id integer NOT NULL UNIQUE REFERENCES app_user(id),
          per_minute integer NOT NULL CHECK (per_minute BETWEEN 1 AND 100000),
          created_at timestamptz NOT NULL DEFAULT now(),
          revoked_at timestamptz
        );
        CREATE TABLE open311_key_window (
          key_id integer NOT NULL REFERENCES open311_key(id),
          window_start timestamptz NOT NULL,
          hits integer NOT NULL CHECK (hits >= 0),
          PRIMARY KEY (key_id, window_start)
        );
        CREATE TABLE open311_request (
          report_id uuid PRIMARY KEY REFERENCES report(id),
          key_id integer NOT NULL REFERENCES open311_key(id),
          media_url text CHECK (length(media_url) <= 500),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX open311_request_key_idx ON open311_request (key_id, created_at);
        ALTER TABLE open311_request ENABLE ROW LEVEL SECURITY;
        CREATE POLICY open311_request_visible ON open311_request FOR SELECT
          USING ({REQUEST_VISIBLE});
        CREATE POLICY open311_request_insert ON open311_request FOR INSERT
          WITH CHECK ({REQUEST_VISIBLE});
        """
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT ON open311_key TO wangge_app;
            GRANT SELECT, INSERT, UPDATE, DELETE ON open311_key_window TO wangge_app;
            GRANT SELECT, INSERT ON open311_request TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS open311_request;
        DROP TABLE IF EXISTS open311_key_window;
        DROP TABLE IF EXISTS open311_key;
        """
    )
