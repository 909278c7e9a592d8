"""Map performance: a covering index over open reports for the aggregated report layer.

The map's zoomed-out report layer counts every open report of the user's jurisdiction per
~32 px bucket. Under row-level security that meant reading ~240,000 heap rows per request at
benchmark size. This partial index holds exactly the open reports, keyed by the jurisdiction
columns and carrying everything the query and the `report_visible` policy read (department,
reporter, deadline, point), so PostgreSQL answers it with an index-only scan.

Revision ID: 010_map_open_reports
Revises: 009_merge
"""

from alembic import op

revision = "010_map_open_reports"
down_revision = "009_merge"
branch_labels = None
depends_on = None

# service/domain/vocabulary.py OPEN_STATUSES: the map query's IN list must match it
OPEN = "'reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified'"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE INDEX report_map_open_idx ON report (district_id, street_id, community_id)
          INCLUDE (department_id, reporter_id, deadline_at, geom)
          WHERE status IN ({OPEN})
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS report_map_open_idx")
