"""小区 records kept by people, property companies and their quarterly assessment.

- residential_area gains a version (optimistic concurrency: If-Match / ETag), the property
  officer (物管员) and their phone, the owners' committee registration date, term end and
  member count, and a free note; the committee status gains 居委会代行 (residents' committee
  acting) beside 业主委员会 and 物业管理委员会.
- property_company gains its unified social credit code, contact, district and whether it has a
  party organisation of its own.
- assessment_item: the score sheet (items and weights; the seeds' criteria as the default).
- property_assessment: one community's or street's quarterly scores of a company for one 小区
  it serves, with evidence notes.
- company_grade: the district's combined credit grade of a company for a quarter, with rank.
- company_list_entry: red / black / grey list entries with reason and dates (history kept;
  an entry is ended, never deleted).

Revision ID: 016_records
Revises: 014_cell_fact_upsert
"""

from alembic import op

revision = "016_records"
down_revision = "014_cell_fact_upsert"
branch_labels = None
depends_on = None

COMMITTEE_STATUSES = ("established", "interim_committee", "residents_committee_acting", "none")
OLD_COMMITTEE_STATUSES = ("established", "interim_committee", "none")
QUARTER = r"'^[0-9]{4}Q[1-4]$'"
PHONE = r"'^[0-9+() -]{5,20}$'"
STATUS_CHECK = "residential_area_owners_committee_status_check"

# The seeds' criteria (service quality, owners' view, the community's and departments' view,
# safety, complaints, party building): code, Chinese name, weight.
DEFAULT_ITEMS = (
    ("service_quality", "服务质量（保洁、绿化、秩序、维修）", 30),
    ("owner_satisfaction", "业主评价与满意度", 25),
    ("complaint_handling", "投诉处理与矛盾调处", 15),
    ("safety", "安全生产（消防、电梯、燃气）", 15),
    ("local_cooperation", "配合社区、街道及部门管理", 10),
    ("party_building", "红色物业党建工作", 5),
)


def _status_check(values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return (
        f"ALTER TABLE residential_area ADD CONSTRAINT {STATUS_CHECK}"
        f" CHECK (owners_committee_status IN ({listed}))"
    )


def upgrade() -> None:
    op.execute(f"ALTER TABLE residential_area DROP CONSTRAINT {STATUS_CHECK}")
    op.execute(_status_check(COMMITTEE_STATUSES))
    op.execute(
        f"""
        ALTER TABLE residential_area
          ADD COLUMN version integer NOT NULL DEFAULT 1,
          ADD COLUMN property_officer_name text CHECK (length(property_officer_name) <= 50),
          ADD COLUMN property_officer_phone text CHECK (property_officer_phone ~ {PHONE}),
          ADD COLUMN owners_committee_registered_on date,
          ADD COLUMN owners_committee_term_end date,
          ADD COLUMN owners_committee_members integer
            CHECK (owners_committee_members BETWEEN 0 AND 99),
          ADD COLUMN note text CHECK (length(note) <= 2000);

        ALTER TABLE property_company
          ADD COLUMN credit_code text UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NP-RTUWXY]{{18}}$'),
          ADD COLUMN contact_name text CHECK (length(contact_name) <= 50),
          ADD COLUMN contact_phone text CHECK (contact_phone ~ {PHONE}),
          ADD COLUMN district_id integer REFERENCES district(id),
          ADD COLUMN has_party_org boolean NOT NULL DEFAULT false;

        CREATE TABLE assessment_item (
          code text PRIMARY KEY CHECK (code ~ '^[a-z_]{{2,40}}$'),
          name_zh text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 100),
          weight numeric(5, 2) NOT NULL CHECK (weight > 0),
          position integer NOT NULL DEFAULT 0,
          is_active boolean NOT NULL DEFAULT true
        );

        CREATE TABLE property_assessment (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          company_id integer NOT NULL REFERENCES property_company(id),
          residential_area_id integer NOT NULL REFERENCES residential_area(id),
          quarter text NOT NULL CHECK (quarter ~ {QUARTER}),
          scores jsonb NOT NULL,
          total numeric(5, 2) NOT NULL CHECK (total BETWEEN 0 AND 100),
          evidence text NOT NULL DEFAULT '' CHECK (length(evidence) <= 4000),
          assessed_by integer REFERENCES app_user(id),
          assessed_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (company_id, residential_area_id, quarter)
        );
        CREATE INDEX property_assessment_quarter_idx ON property_assessment (quarter, company_id);

        CREATE TABLE company_grade (
          company_id integer NOT NULL REFERENCES property_company(id),
          quarter text NOT NULL CHECK (quarter ~ {QUARTER}),
          score numeric(5, 2) NOT NULL,
          assessments integer NOT NULL,
          grade text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
          rank integer NOT NULL,
          decided_by integer REFERENCES app_user(id),
          decided_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (company_id, quarter)
        );

        CREATE TABLE company_list_entry (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          company_id integer NOT NULL REFERENCES property_company(id),
          list_kind text NOT NULL CHECK (list_kind IN ('red', 'black', 'grey')),
          reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
          quarter text CHECK (quarter ~ {QUARTER}),
          listed_on date NOT NULL DEFAULT current_date,
          ended_on date,
          created_by integer REFERENCES app_user(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK (ended_on IS NULL OR ended_on >= listed_on)
        );
        CREATE INDEX company_list_entry_company_idx ON company_list_entry (company_id, listed_on);
        """
    )
    from sqlalchemy import text

    op.get_bind().execute(
        text(
            "INSERT INTO assessment_item (code, name_zh, weight, position) VALUES (:c, :n, :w, :p)"
        ),
        [{"c": c, "n": n, "w": w, "p": i} for i, (c, n, w) in enumerate(DEFAULT_ITEMS)],
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT, UPDATE, DELETE ON assessment_item, property_assessment,
              company_grade TO wangge_app;
            -- list entries are history: ended with a date, never deleted
            GRANT SELECT, INSERT, UPDATE ON company_list_entry TO wangge_app;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS company_list_entry;
        DROP TABLE IF EXISTS company_grade;
        DROP TABLE IF EXISTS property_assessment;
        DROP TABLE IF EXISTS assessment_item;
        ALTER TABLE property_company
          DROP COLUMN IF EXISTS credit_code, DROP COLUMN IF EXISTS contact_name,
          DROP COLUMN IF EXISTS contact_phone, DROP COLUMN IF EXISTS district_id,
          DROP COLUMN IF EXISTS has_party_org;
        ALTER TABLE residential_area
          DROP COLUMN IF EXISTS version, DROP COLUMN IF EXISTS property_officer_name,
          DROP COLUMN IF EXISTS property_officer_phone,
          DROP COLUMN IF EXISTS owners_committee_registered_on,
          DROP COLUMN IF EXISTS owners_committee_term_end,
          DROP COLUMN IF EXISTS owners_committee_members, DROP COLUMN IF EXISTS note;
        UPDATE residential_area SET owners_committee_status = 'none'
         WHERE owners_committee_status = 'residents_committee_acting';
        """
    )
    op.execute(f"ALTER TABLE residential_area DROP CONSTRAINT {STATUS_CHECK}")
    op.execute(_status_check(OLD_COMMITTEE_STATUSES))
