"""Joint meetings (联席会议, 吹哨报到): the meetings a street or community holds with the
departments, the agenda items taken up there (often an open or escalated case), the decisions,
who owns each one and by when.

- joint_meeting: one meeting of a street (community_id NULL) or of a community, its kind
  (street_joint monthly, grid_quarterly with the grid workers, community as needed), date,
  title, the departments taking part and a note.
- meeting_item: an agenda item with its decision, the owner (a department or a free-text
  owner), the follow-up deadline and when it was done. Items carry their meeting's area codes
  so the row-level security policies need no join.

Who sees what: the district, a planner-free staff view — admin/district bureau the district,
a street office its street, community staff their community's meetings and their street's
street-level meetings, a department the meetings it takes part in. Rows are never deleted; a
decision is marked done once.

Revision ID: 022_joint_meetings
Revises: 021_open311_keys
"""

from alembic import op

revision = "022_joint_meetings"
down_revision = "021_open311_keys"
branch_labels = None
depends_on = None

KINDS = "'street_joint', 'grid_quarterly', 'community'"


def _int(name: str) -> str:
    return f"(SELECT wangge_setting_int('{name}'))"


ROLE = "(SELECT wangge_setting('role'))"
MY_DEPARTMENT = f"(SELECT code FROM department WHERE id = {_int('department_id')})"


def _sees(m: str) -> str:
    """Who reads a meeting (columns prefixed by `m`): community staff also see their street's
    street-level meetings (they take part in them), a department those it attends."""
    return f"""coalesce(CASE {ROLE}
    WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                      OR {m}district_id = {_int("district_id")}
    WHEN 'district_bureau' THEN {m}district_id = {_int("district_id")}
    WHEN 'street_office' THEN {m}street_id = {_int("street_id")}
    WHEN 'community_staff' THEN {m}community_id = {_int("community_id")}
      OR ({m}community_id IS NULL AND {m}street_id = (SELECT street_id FROM community
                                                      WHERE id = {_int("community_id")}))
    WHEN 'department' THEN {m}district_id = {_int("district_id")}
      AND {m}participants @> ARRAY[{MY_DEPARTMENT}]
    ELSE false END, false)"""


def _writes(m: str) -> str:
    """Who writes a meeting and its items: staff of the meeting's own level."""
    return f"""coalesce(CASE {ROLE}
    WHEN 'admin' THEN (SELECT wangge_setting('district_id')) IS NULL
                      OR {m}district_id = {_int("district_id")}
    WHEN 'district_bureau' THEN {m}district_id = {_int("district_id")}
    WHEN 'street_office' THEN {m}street_id = {_int("street_id")}
    WHEN 'community_staff' THEN {m}community_id = {_int("community_id")}
    ELSE false END, false)"""


ITEM_OF_VISIBLE = "EXISTS (SELECT 1 FROM joint_meeting m WHERE m.id = meeting_item.meeting_id)"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE joint_meeting (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          district_id integer NOT NULL REFERENCES district(id),
          street_id integer NOT NULL REFERENCES street(id),
          community_id integer REFERENCES community(id),
          kind text NOT NULL CHECK (kind IN ({KINDS})),
          held_on date NOT NULL,
          title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
          participants text[] NOT NULL DEFAULT '{{}}' CHECK (cardinality(participants) <= 50),
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
          created_by integer NOT NULL REFERENCES app_user(id),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX joint_meeting_street_idx ON joint_meeting (street_id, held_on DESC);
        CREATE INDEX joint_meeting_participants_idx ON joint_meeting USING gin (participants);

        CREATE TABLE meeting_item (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          meeting_id bigint NOT NULL REFERENCES joint_meeting(id),
          report_id uuid REFERENCES report(id),
          topic text NOT NULL CHECK (length(topic) BETWEEN 1 AND 500),
          decision text NOT NULL DEFAULT '' CHECK (length(decision) <= 4000),
          owner_department text REFERENCES department(code),
          owner_text text NOT NULL DEFAULT '' CHECK (length(owner_text) <= 100),
          due_on date,
          done_at timestamptz,
          done_note text NOT NULL DEFAULT '' CHECK (length(done_note) <= 4000),
          done_by integer REFERENCES app_user(id),
          created_by integer NOT NULL REFERENCES app_user(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK ((done_at IS NULL) = (done_by IS NULL))
        );
        CREATE INDEX meeting_item_meeting_idx ON meeting_item (meeting_id, id);
        CREATE INDEX meeting_item_open_due_idx ON meeting_item (due_on) WHERE done_at IS NULL;
        CREATE INDEX meeting_item_report_idx ON meeting_item (report_id)
          WHERE report_id IS NOT NULL;

        ALTER TABLE joint_meeting ENABLE ROW LEVEL SECURITY;
        CREATE POLICY joint_meeting_visible ON joint_meeting FOR SELECT USING ({_sees("")});
        CREATE POLICY joint_meeting_insert ON joint_meeting FOR INSERT WITH CHECK (
          {_writes("")} AND created_by = {_int("user_id")});
        ALTER TABLE meeting_item ENABLE ROW LEVEL SECURITY;
        CREATE POLICY meeting_item_visible ON meeting_item FOR SELECT USING ({ITEM_OF_VISIBLE});
        CREATE POLICY meeting_item_insert ON meeting_item FOR INSERT WITH CHECK (
          created_by = {_int("user_id")} AND EXISTS (
            SELECT 1 FROM joint_meeting m WHERE m.id = meeting_item.meeting_id
              AND {_writes("m.")}));
        -- a decision is marked done by the meeting's staff or by its owner department
        CREATE POLICY meeting_item_done ON meeting_item FOR UPDATE USING (
          done_at IS NULL AND ({ITEM_OF_VISIBLE}) AND ({ROLE} <> 'department'
            OR owner_department = {MY_DEPARTMENT}))
          WITH CHECK (done_at IS NOT NULL AND done_by = {_int("user_id")});
        -- the meeting's facts are kept as written: only the done columns ever change
        REVOKE UPDATE ON meeting_item FROM PUBLIC;
        CREATE TRIGGER joint_meeting_append_only
          BEFORE UPDATE OR DELETE OR TRUNCATE ON joint_meeting
          FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();
        """
    )
    op.execute(
        """
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT SELECT, INSERT ON joint_meeting, meeting_item TO wangge_app;
            GRANT UPDATE (done_at, done_note, done_by) ON meeting_item TO wangge_app;
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS meeting_item; DROP TABLE IF EXISTS joint_meeting;")
