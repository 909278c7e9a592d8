"""Score sheets keep where their owner-satisfaction score came from.

The 业主评价与满意度 item of a quarterly score sheet takes its score from the satisfaction
surveys of the 小区 in that quarter. The sheet keeps the basis beside the scores:

- satisfaction_basis: 'surveys' (the item is the surveys' score), 'override' (staff gave a
  different score, with a reason) or 'manual' (no survey answers that quarter; staff scored it
  by hand). NULL on sheets made before this revision and when the item is not on the sheet.
- survey_responses / survey_score: the answers counted and the score they give (0–100), as
  they stood when the sheet was saved (also kept with an override, so the gap stays visible).
- satisfaction_reason: why staff overrode the surveys (required then) or a note on the
  manual score.

Revision ID: 026_survey_scores
Revises: 025_assessment_rollup
"""

from alembic import op

revision = "026_survey_scores"
down_revision = "025_assessment_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE property_assessment
          ADD COLUMN satisfaction_basis text
            CHECK (satisfaction_basis IN ('surveys', 'override', 'manual')),
          ADD COLUMN survey_responses integer CHECK (survey_responses >= 0),
          ADD COLUMN survey_score numeric(4, 1) CHECK (survey_score BETWEEN 0 AND 100),
          ADD COLUMN satisfaction_reason text NOT NULL DEFAULT ''
            CHECK (length(satisfaction_reason) <= 500),
          ADD CONSTRAINT property_assessment_basis_ck CHECK (
            satisfaction_basis IS NULL
            OR (satisfaction_basis = 'manual' AND coalesce(survey_responses, 0) = 0)
            OR (satisfaction_basis IN ('surveys', 'override') AND survey_responses > 0
                AND survey_score IS NOT NULL)),
          ADD CONSTRAINT property_assessment_override_reason_ck CHECK (
            satisfaction_basis IS DISTINCT FROM 'override'
            OR length(btrim(satisfaction_reason)) > 0);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE property_assessment
          DROP CONSTRAINT IF EXISTS property_assessment_override_reason_ck,
          DROP CONSTRAINT IF EXISTS property_assessment_basis_ck,
          DROP COLUMN IF EXISTS satisfaction_reason,
          DROP COLUMN IF EXISTS survey_score,
          DROP COLUMN IF EXISTS survey_responses,
          DROP COLUMN IF EXISTS satisfaction_basis;
        """
    )
