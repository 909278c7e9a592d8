"""Join the feature branches of the history (grids, field reporting, maps, reliability).

Each feature was built on its own branch of revisions; this revision has no schema change of its
own. It makes `alembic upgrade head` (one head) work, and is where the next revision starts.

Revision ID: 009_merge
Revises: 004_grids, 005_field_reporting, 006_maps_stats, 008_reliability
"""

revision = "009_merge"
down_revision = ("004_grids", "005_field_reporting", "006_maps_stats", "008_reliability")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
