"""Restorable backups: the geometry CHECK function resolves PostGIS with a fixed search_path.

pg_restore (like pg_dump's output) runs with an empty search_path, so a CHECK constraint whose
SQL function calls ST_SRID unqualified cannot load a single geometry row back. Pinning the
function's search_path makes `wangge backup` / `wangge restore` round-trip.

Revision ID: 008_reliability
Revises: 003_auth
"""

from alembic import op

revision = "008_reliability"
down_revision = "003_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION wangge_geometry_ok(geometry) SET search_path = public, pg_temp")


def downgrade() -> None:
    op.execute("ALTER FUNCTION wangge_geometry_ok(geometry) RESET search_path")
