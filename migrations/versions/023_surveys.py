"""Resident satisfaction surveys per 小区 (满意度调查).

- survey_link: one public link code per 小区 (a random token; a new one replaces the old, so
  a leaked link can be withdrawn). Residents answer through /survey/{code} without login.
- satisfaction_survey: one answer sheet, entered by staff (source 'staff', who entered it) or
  by a resident through the link (source 'resident', no account).
- survey_client_log: a keyed digest of the answering client's address per 小区 and time, with
  no answers, to bound repeated answers from one client. Four questions answered 满意 / 基本满意 /
  不满意 and a comment; the quarter it counts for. Append-only.

Row-level security: staff read and enter the answers of 小区 in their area; an anonymous
request (no identity) may only insert a resident's answer for a 小区 that has a link.

Revision ID: 023_surveys
Revises: 022_joint_meetings
"""

from alembic import op

revision = "023_surveys"
down_revision = "022_joint_meetings"
branch_labels = None
depends_on = None

ANSWER = "IN ('satisfied', 'basically', 'dissatisfied')"
ROLE = "(SELECT wangge_setting('role'))"


def _int(name: str) -> str:
    return f"(SELECT wangge_setting_int('{name}'))"


STAFF_AREA = f"""coalesce(CASE {ROLE}
    WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                      OR district_id = {_int("district_id")}
    WHEN 'district_bureau' THEN district_id = {_int("district_id")}
    WHEN 'street_office' THEN street_id = {_int("street_id")}
    WHEN 'community_staff' THEN community_id = {_int("community_id")}
    ELSE false END, false)"""


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE survey_link (
          residential_area_id integer PRIMARY KEY REFERENCES residential_area(id),
          code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{{16,64}}$'),
          created_by integer NOT NULL REFERENCES app_user(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE satisfaction_survey (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          residential_area_id integer NOT NULL REFERENCES residential_area(id),
          district_id integer NOT NULL REFERENCES district(id),
          street_id integer NOT NULL REFERENCES street(id),
          community_id integer NOT NULL REFERENCES community(id),
          quarter text NOT NULL CHECK (quarter ~ '^[0-9]{{4}}Q[1-4]$'),
          source text NOT NULL CHECK (source IN ('staff', 'resident')),
          overall text NOT NULL CHECK (overall {ANSWER}),
          property_service text NOT NULL CHECK (property_service {ANSWER}),
          environment text NOT NULL CHECK (environment {ANSWER}),
          safety text NOT NULL CHECK (safety {ANSWER}),
          comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
          created_by integer REFERENCES app_user(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK ((source = 'staff') = (created_by IS NOT NULL))
        );
        CREATE INDEX satisfaction_survey_area_idx
          ON satisfaction_survey (residential_area_id, quarter);
        -- residents' answers per client, to bound repeats: no content, only a keyed digest
        CREATE TABLE survey_client_log (
          client_digest text NOT NULL CHECK (length(client_digest) <= 64),
          residential_area_id integer NOT NULL REFERENCES residential_area(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX survey_client_log_idx
          ON survey_client_log (client_digest, residential_area_id, created_at);
        CREATE TRIGGER satisfaction_survey_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON satisfaction_survey
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();

        ALTER TABLE satisfaction_survey ENABLE ROW LEVEL SECURITY;
        CREATE POLICY satisfaction_survey_visible ON satisfaction_survey FOR SELECT
          USING ({STAFF_AREA});
        CREATE POLICY satisfaction_survey_insert ON satisfaction_survey FOR INSERT WITH CHECK (
          ({STAFF_AREA} AND source = 'staff' AND created_by = {_int("user_id")})
          OR ({ROLE} IS NULL AND source = 'resident' AND created_by IS NULL
              AND EXISTS (SELECT 1 FROM survey_link l
                          WHERE l.residential_area_id = satisfaction_survey.residential_area_id)));
        """
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT ON satisfaction_survey TO wangge_app;
            GRANT SELECT, INSERT, UPDATE ON survey_link TO wangge_app;
            GRANT SELECT, INSERT ON survey_client_log TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS survey_client_log; DROP TABLE IF EXISTS satisfaction_survey;"
        " DROP TABLE IF EXISTS survey_link;"
    )
