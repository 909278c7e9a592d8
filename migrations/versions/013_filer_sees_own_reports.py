"""Whoever files a report may read that report back: filing next door is a 201, not a 500.

POLICY lets staff file anywhere in their district (report:create is district-wide), but a
street office or community filing just outside its own area could not see the new row, and
`wangge_file_report`'s INSERT ... RETURNING (and the first history row, whose policy checks the
report is visible) then failed with a row-level-security violation: 500. A second, permissive
SELECT policy lets the filer see the rows they filed (grid workers already could); updates
keep the area rule, so filing next door gives no right to handle the neighbour's report.

Revision ID: 013_filer_sees_own_reports
Revises: 011_filing_function
"""

from alembic import op

revision = "013_filer_sees_own_reports"
down_revision = "011_filing_function"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE POLICY report_visible_to_filer ON report FOR SELECT
          USING (reporter_id = (SELECT wangge_setting_int('user_id')))
        """
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS report_visible_to_filer ON report")
