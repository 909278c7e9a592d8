"""One partial GiST index over the open reports' points, for the map and the duplicate search.

The map's report points (zoom 15 and up) ask for the open reports in a small box: every status
but closed and rejected. The only partial GiST index was over the statuses a new report may
duplicate (020's report_unresolved_geom_idx, without 'verified'), which that list does not
imply, so the points were found through the GiST index of every report and the closed ones
thrown away: at 10,000,000 reports a street-sized box held ten times the rows it did at
1,000,000 (28 ms against 6.5 ms). This index covers all open statuses; the duplicate search's
stricter list implies it, so it walks the same index nearest first and skips the few verified
reports it meets.

Revision ID: 028_open_geom_index
Revises: 027_partition_by_month
"""

from alembic import op

revision = "028_open_geom_index"
down_revision = "027_partition_by_month"
branch_labels = None
depends_on = None

OPEN = "'reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified'"
UNRESOLVED = "'reported', 'accepted', 'dispatched', 'in_progress', 'handled'"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE INDEX report_open_geom_idx ON report USING gist (geom)
          WHERE status IN ({OPEN});
        DROP INDEX report_unresolved_geom_idx;
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        CREATE INDEX report_unresolved_geom_idx ON report USING gist (geom)
          WHERE status IN ({UNRESOLVED});
        DROP INDEX report_open_geom_idx;
        """
    )
