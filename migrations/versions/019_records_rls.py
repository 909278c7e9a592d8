"""Row-level security on the records tables: attribute history, score sheets, grades, lists.

The same second line as the reports' (migrations 003, 015, 017): the policies read the
transaction-local identity `wangge_authenticate` / `set_rls_identity` set, so the app role
(wangge_app: no BYPASSRLS, owns nothing) sees only rows of its jurisdiction even through a
query with no application filter; with no identity it sees nothing. RLS is ENABLEd, not
FORCEd: the owner (migrations, demo loading, background jobs) keeps full access.

- `residential_area_change` (the attribute history) and `property_assessment` (the quarterly
  score sheets): rows of the 小区 in the caller's jurisdiction, by the jurisdiction ids of
  `residential_area_fact` (one uncorrelated sub-select, hashed once per query, not a look-up
  per row). History is read by every role that reads records or statistics (department and
  planner: their district) and written only by the record editors, as themselves; score
  sheets are read by the roles of `assessment:read` and written by those of
  `assessment:write`, as themselves.
- `company_grade` and `company_list_entry`: public facts (/public discloses them), but per
  district: rows of companies registered in the caller's district or serving a 小区 in it (an
  administrator bound to no district: all). The unauthenticated /public page reads them as
  the pseudo-role `public` bound to the district of the street it shows. Written only by
  `grade:decide` (district bureau, admin). List entries are never deleted: no DELETE policy.

`property_company` also gets a data-version counter (`wangge_data_version`, bumped by a
statement trigger like the tables of migration 006): the company-grade map tiles are cached
under it, so a new grade recolours the map at the next request.

The registry (`property_company`), the score sheet's items (`assessment_item`) and the 小区
themselves stay without policies, like the other place tables (street, community, grid_cell):
every role reads them and the routes filter them.

Revision ID: 019_records_rls
Revises: 018_case_counts_speed
"""

from alembic import op

revision = "019_records_rls"
down_revision = "018_case_counts_speed"
branch_labels = None
depends_on = None

ROLE = "(SELECT wangge_setting('role'))"


def _setting(name: str) -> str:
    # A scalar sub-select: evaluated once per query (InitPlan), not once per row.
    return f"(SELECT wangge_setting_int('{name}'))"


def _roles(*names: str) -> str:
    return ", ".join(f"'{n}'" for n in names)


# The area rule of migrations 003 / 015 over the fact table's ids (a department and a planner
# reach their district: the scope `residential_area:read` and `stats:read` give them).
AREA = f"""coalesce(CASE {ROLE}
    WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                      OR f.district_id = {_setting("district_id")}
    WHEN 'district_bureau' THEN f.district_id = {_setting("district_id")}
    WHEN 'planner' THEN f.district_id = {_setting("district_id")}
    WHEN 'department' THEN f.district_id = {_setting("district_id")}
    WHEN 'street_office' THEN f.street_id = {_setting("street_id")}
    WHEN 'community_staff' THEN f.community_id = {_setting("community_id")}
    WHEN 'grid_worker' THEN f.community_id = {_setting("community_id")}
    ELSE false END, false)"""
AREAS_IN_REACH = f"(SELECT f.residential_area_id FROM residential_area_fact f WHERE {AREA})"

EDITORS = _roles("community_staff", "street_office", "admin")  # residential_area:edit
ASSESSORS = _roles("community_staff", "street_office", "admin")  # assessment:write
SHEET_READERS = _roles(  # assessment:read
    "community_staff", "street_office", "district_bureau", "planner", "admin"
)
DECIDERS = _roles("district_bureau", "admin")  # grade:decide
ME = _setting("user_id")

HISTORY_VISIBLE = f"residential_area_id IN {AREAS_IN_REACH}"
HISTORY_WRITE = f"{ROLE} IN ({EDITORS}) AND changed_by = {ME} AND {HISTORY_VISIBLE}"
SHEET_VISIBLE = f"{ROLE} IN ({SHEET_READERS}) AND residential_area_id IN {AREAS_IN_REACH}"
SHEET_AREA = f"{ROLE} IN ({ASSESSORS}) AND residential_area_id IN {AREAS_IN_REACH}"
SHEET_WRITE = f"{SHEET_AREA} AND assessed_by = {ME}"

# Companies registered in the caller's district or serving a 小区 in it (company:read).
COMPANIES_IN_DISTRICT = f"""(
    SELECT co.id FROM property_company co WHERE co.district_id = {_setting("district_id")}
    UNION ALL
    SELECT r.property_company_id FROM residential_area r
      JOIN residential_area_fact f ON f.residential_area_id = r.id
     WHERE f.district_id = {_setting("district_id")} AND r.property_company_id IS NOT NULL)"""
COMPANY_VISIBLE = f"""coalesce(CASE
    WHEN {ROLE} IS NULL THEN false
    WHEN {ROLE} = 'admin' AND (SELECT wangge_setting('district_id')) IS NULL THEN true
    WHEN (SELECT wangge_setting('district_id')) IS NULL THEN false
    ELSE company_id IN {COMPANIES_IN_DISTRICT} END, false)"""
COMPANY_WRITE = f"{ROLE} IN ({DECIDERS}) AND {COMPANY_VISIBLE}"

TABLES = ("residential_area_change", "property_assessment", "company_grade", "company_list_entry")
POLICIES = (
    ("residential_area_change", "residential_area_change_visible"),
    ("residential_area_change", "residential_area_change_insert"),
    ("property_assessment", "property_assessment_visible"),
    ("property_assessment", "property_assessment_insert"),
    ("property_assessment", "property_assessment_update"),
    ("company_grade", "company_grade_visible"),
    ("company_grade", "company_grade_insert"),
    ("company_grade", "company_grade_update"),
    ("company_list_entry", "company_list_entry_visible"),
    ("company_list_entry", "company_list_entry_insert"),
    ("company_list_entry", "company_list_entry_update"),
)


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO wangge_data_version (table_name) VALUES ('property_company')
          ON CONFLICT DO NOTHING;
        CREATE TRIGGER property_company_bumps_data_version
          AFTER INSERT OR UPDATE OR DELETE ON property_company
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_bump_data_version();
        """
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"""
        CREATE POLICY residential_area_change_visible ON residential_area_change FOR SELECT
          USING ({HISTORY_VISIBLE});
        CREATE POLICY residential_area_change_insert ON residential_area_change FOR INSERT
          WITH CHECK ({HISTORY_WRITE});

        CREATE POLICY property_assessment_visible ON property_assessment FOR SELECT
          USING ({SHEET_VISIBLE});
        CREATE POLICY property_assessment_insert ON property_assessment FOR INSERT
          WITH CHECK ({SHEET_WRITE});
        CREATE POLICY property_assessment_update ON property_assessment FOR UPDATE
          USING ({SHEET_AREA}) WITH CHECK ({SHEET_WRITE});

        CREATE POLICY company_grade_visible ON company_grade FOR SELECT
          USING ({COMPANY_VISIBLE});
        CREATE POLICY company_grade_insert ON company_grade FOR INSERT
          WITH CHECK ({COMPANY_WRITE} AND decided_by = {ME});
        CREATE POLICY company_grade_update ON company_grade FOR UPDATE
          USING ({COMPANY_WRITE}) WITH CHECK ({COMPANY_WRITE} AND decided_by = {ME});

        CREATE POLICY company_list_entry_visible ON company_list_entry FOR SELECT
          USING ({COMPANY_VISIBLE});
        CREATE POLICY company_list_entry_insert ON company_list_entry FOR INSERT
          WITH CHECK ({COMPANY_WRITE} AND created_by = {ME});
        CREATE POLICY company_list_entry_update ON company_list_entry FOR UPDATE
          USING ({COMPANY_WRITE}) WITH CHECK ({COMPANY_WRITE});
        """
    )


def downgrade() -> None:
    for table, policy in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        """
        DROP TRIGGER IF EXISTS property_company_bumps_data_version ON property_company;
        DELETE FROM wangge_data_version WHERE table_name = 'property_company';
        """
    )
