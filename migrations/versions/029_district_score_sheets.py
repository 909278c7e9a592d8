"""A score sheet per district: one district's bureau can no longer replace another's items.

016 kept one global list of assessment items. `PUT /api/assessment-items` by a district bureau
retired every item and wrote its own, so the last district to save set every district's sheet,
and the next sheet saved anywhere was totalled on it. Items now carry the district whose sheet
they belong to; the rows without a district are the default sheet (016's, the seeds' criteria),
used by every district that has not saved its own. A district's sheet is all of its rows, active
or retired, so a district that once saved one never falls back to the default.

Revision ID: 029_district_score_sheets
Revises: 028_open_geom_index
"""

from alembic import op

revision = "029_district_score_sheets"
down_revision = "028_open_geom_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE assessment_item DROP CONSTRAINT assessment_item_pkey;
        ALTER TABLE assessment_item
          ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          ADD COLUMN district_id integer REFERENCES district(id);
        ALTER TABLE assessment_item
          ADD CONSTRAINT assessment_item_sheet_code UNIQUE NULLS NOT DISTINCT (district_id, code);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DELETE FROM assessment_item WHERE district_id IS NOT NULL;
        ALTER TABLE assessment_item DROP CONSTRAINT assessment_item_sheet_code;
        ALTER TABLE assessment_item DROP COLUMN district_id;
        ALTER TABLE assessment_item DROP COLUMN id;
        ALTER TABLE assessment_item ADD PRIMARY KEY (code);
        """
    )
