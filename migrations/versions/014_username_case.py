"""Usernames unique regardless of case: "Admin" can no longer sit beside "admin".

Existing accounts whose names differ only in case are resolved before the index is built: in
each group the earliest account (lowest id) keeps its name; every later one is renamed to
`<name>-dup<id>` (cut to fit the 64-character rule), its tokens are revoked so nobody stays
signed in under a name that changed, and an audit row records the rename. Nothing is deleted
and no account loses its records; an administrator tells the renamed account's owner the new
name (or deactivates it, if it was an impostor).

Revision ID: 014_username_case
Revises: 013_filer_sees_own_reports
"""

from alembic import op

revision = "014_username_case"
down_revision = "013_filer_sees_own_reports"
branch_labels = None
depends_on = None

RESOLVE_DUPLICATES = """
WITH ranked AS (
  SELECT id, username,
         row_number() OVER (PARTITION BY lower(username) ORDER BY id) AS n
    FROM app_user
), renamed AS (
  UPDATE app_user u
     SET username = left(r.username, 64 - length('-dup' || u.id)) || '-dup' || u.id
    FROM ranked r
   WHERE r.id = u.id AND r.n > 1
  RETURNING u.id, r.username AS old_name, u.username AS new_name
), revoked AS (
  UPDATE auth_token t SET revoked_at = now()
    FROM renamed r
   WHERE t.user_id = r.id AND t.revoked_at IS NULL
)
INSERT INTO audit_log (user_id, username, action, method, path, object_type, object_id, summary)
SELECT NULL, 'migration', 'rename_duplicate_username', 'MIGRATION', '014_username_case',
       'user', r.id::text,
       jsonb_build_object('old_username', r.old_name, 'new_username', r.new_name)
  FROM renamed r
"""


def upgrade() -> None:
    op.execute(RESOLVE_DUPLICATES)
    op.execute("CREATE UNIQUE INDEX app_user_username_lower_key ON app_user (lower(username))")


def downgrade() -> None:
    # The renames stay: the names they replaced are not unique any more once reverted.
    op.execute("DROP INDEX IF EXISTS app_user_username_lower_key")
