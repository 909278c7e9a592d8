"""Field reporting: patrol track timestamps, finish fingerprint, open-report deadline index.

Revision ID: 005_field_reporting
Revises: 0002
"""

from alembic import op

revision = "005_field_reporting"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE patrol ADD COLUMN track_recorded_at timestamptz[];
        -- fingerprint of the finishing request (content_hash is the start's), for retries
        ALTER TABLE patrol ADD COLUMN finish_hash text;
        -- escalation scans open reports past their deadline
        CREATE INDEX report_open_deadline_idx ON report (deadline_at)
          WHERE status IN ('reported', 'accepted', 'dispatched', 'in_progress');
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX IF EXISTS report_open_deadline_idx;
        ALTER TABLE patrol DROP COLUMN IF EXISTS finish_hash;
        ALTER TABLE patrol DROP COLUMN IF EXISTS track_recorded_at;
        """
    )
