"""Residents' voice: intake channels, the caller's private contact, hotline order numbers,
satisfaction return visits (回访) and reopened cases.

- `report.channel`: how the case came in (网格巡查 for every existing report).
- `report.external_ref`: the 12345 hotline's work-order number, unique per district, so a
  second import of the same export finds its duplicates.
- `report.caller_masked`: the caller's contact with most digits hidden (张** 138****5678),
  what anyone who may read the case sees; never exported.
- `report_contact`: the caller's name and phone in a table of their own, readable only by the
  handling roles (community, street, district, department) for a report they may see. Row-level
  security enforces it: a grid worker, a planner, an export or an OGC reader cannot select it
  even by mistake, since nothing that serves them joins it and the policy refuses them anyway.
- `return_visit`: append-only satisfaction visits after 销号; `report.reopened_count` counts the
  reopenings a 不满意 visit caused (for the reopened rate of the assessment).

Revision ID: 017_residents
Revises: 015_cases
"""

from alembic import op

revision = "017_residents"
down_revision = "015_cases"
branch_labels = None
depends_on = None

CHANNELS = "'patrol', 'complaint', 'hotline', 'petition', 'other'"
HANDLING_ROLES = "'community_staff', 'street_office', 'district_bureau', 'department', 'admin'"
ROLE = "(SELECT wangge_setting('role'))"
# The report's own policies decide whether the caller may see it (jurisdiction, routed
# department, assisting department); on top of that only handling roles read the contact.
CONTACT_VISIBLE = f"""{ROLE} IN ({HANDLING_ROLES})
  AND EXISTS (SELECT 1 FROM report r WHERE r.id = report_contact.report_id)"""
VISIT_VISIBLE = "EXISTS (SELECT 1 FROM report r WHERE r.id = return_visit.report_id)"
STAFF_ROLES = "'community_staff', 'street_office', 'district_bureau', 'admin'"


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE report
          ADD COLUMN channel text NOT NULL DEFAULT 'patrol' CHECK (channel IN ({CHANNELS})),
          ADD COLUMN external_ref text CHECK (length(external_ref) BETWEEN 1 AND 60),
          ADD COLUMN caller_masked text CHECK (length(caller_masked) <= 80),
          ADD COLUMN reopened_count integer NOT NULL DEFAULT 0 CHECK (reopened_count >= 0);
        CREATE UNIQUE INDEX report_external_ref_idx ON report (district_id, external_ref)
          WHERE external_ref IS NOT NULL;
        -- the assessment groups a period's reports by unit
        CREATE INDEX report_district_created_idx ON report (district_id, created_at);

        CREATE TABLE report_contact (
          report_id uuid PRIMARY KEY REFERENCES report(id),
          caller_name text NOT NULL DEFAULT '' CHECK (length(caller_name) <= 60),
          caller_phone text NOT NULL DEFAULT '' CHECK (length(caller_phone) <= 30),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        ALTER TABLE report_contact ENABLE ROW LEVEL SECURITY;
        CREATE POLICY report_contact_visible ON report_contact FOR SELECT
          USING ({CONTACT_VISIBLE});
        CREATE POLICY report_contact_insert ON report_contact FOR INSERT
          WITH CHECK ({CONTACT_VISIBLE});

        CREATE TABLE return_visit (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          report_id uuid NOT NULL REFERENCES report(id),
          result text NOT NULL CHECK (result IN ('satisfied', 'basically', 'dissatisfied')),
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          reopened boolean NOT NULL DEFAULT false,
          actor_id integer NOT NULL REFERENCES app_user(id),
          district_id integer NOT NULL REFERENCES district(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX return_visit_report_idx ON return_visit (report_id, created_at);
        CREATE TRIGGER return_visit_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON return_visit
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();
        ALTER TABLE return_visit ENABLE ROW LEVEL SECURITY;
        CREATE POLICY return_visit_visible ON return_visit FOR SELECT USING ({VISIT_VISIBLE});
        CREATE POLICY return_visit_insert ON return_visit FOR INSERT WITH CHECK (
          {ROLE} IN ({STAFF_ROLES}) AND actor_id = (SELECT wangge_setting_int('user_id'))
          AND {VISIT_VISIBLE});
        """
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT ON report_contact, return_visit TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS return_visit;
        DROP TABLE IF EXISTS report_contact;
        DROP INDEX IF EXISTS report_district_created_idx;
        DROP INDEX IF EXISTS report_external_ref_idx;
        ALTER TABLE report DROP COLUMN IF EXISTS reopened_count,
          DROP COLUMN IF EXISTS caller_masked, DROP COLUMN IF EXISTS external_ref,
          DROP COLUMN IF EXISTS channel;
        """
    )
