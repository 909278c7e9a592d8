"""A cell's fact row is upserted, so two transactions refreshing one cell never collide.

The old refresh deleted the row and inserted it again: two concurrent assignment edits on
one cell both deleted the same row, the second waited for the first, found nothing left to
delete, and its insert then hit the first one's new row (a unique violation → 500). Now the
row is inserted or updated in one statement (ON CONFLICT waits for the other transaction and
updates), and deleted only when the cell is no longer active.

Revision ID: 014_cell_fact_upsert
Revises: 014_username_case
"""

from alembic import op

from service.db.sql_functions import function_sql

revision = "014_cell_fact_upsert"
down_revision = "014_username_case"
branch_labels = None
depends_on = None

# the delete-and-insert text migration 006 loaded, kept in service/db/sql/history/
DELETE_INSERT_PIN = "697430317949"
UPSERT_PIN = "11f864256e32"


def upgrade() -> None:
    op.execute(function_sql("wangge_refresh_cell_fact", UPSERT_PIN))


def downgrade() -> None:
    op.execute(function_sql("wangge_refresh_cell_fact", DELETE_INSERT_PIN))
