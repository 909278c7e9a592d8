"""Reports, their history and the audit log partitioned by month (docs/scale.md).

- report, report_event and audit_log become PARTITION BY RANGE (created_at / at) with one
  partition per UTC month (`report_y2026m12`), a DEFAULT partition as a safety net, and months
  created ahead by `wangge_ensure_partitions(months_ahead)` (this migration, the scheduler's
  pass and `wangge partitions ensure`).
- The primary keys include the partition key: report (id, created_at), report_event
  (id, created_at), audit_log (id, at). audit_log gains district_id; report_event's is filled
  where it was missing; a BEFORE INSERT trigger fills both from the report (or the actor).
- report_key (id, created_at, district_id, external_ref): one row per report, kept by a
  trigger on report. It keeps a report id unique across months (the filing function's
  idempotent ON CONFLICT relies on it: it now sets wangge.report_id_conflict = 'skip' around
  its INSERT so the trigger skips a known id instead of refusing it), the foreign keys that
  pointed at report(id) point at report_key(id) instead (same names, same NO ACTION
  behaviour), and (district_id, external_ref) stays unique there. Why this and not composite
  keys: docs/scale.md.
- Each table is rebuilt from what the catalogue says it has: columns, checks, defaults and
  identity by LIKE; indexes, triggers, row-level security policies (its own and those of other
  tables that read it), grants and foreign keys re-created from their definitions. Rows are
  copied with INSERT ... SELECT; the downgrade copies them back the same way.

Revision ID: 027_partition_by_month
Revises: 026_survey_scores
"""

from dataclasses import dataclass, field
from typing import Any

from alembic import op

from service.db.sql_functions import function_sql

revision = "027_partition_by_month"
down_revision = "026_survey_scores"
branch_labels = None
depends_on = None

PINS = {
    "wangge_ensure_partitions": "9d995670d891",
    "wangge_report_key": "4b08ddf3d17b",
    "wangge_file_report": "902323538d5f",
    "wangge_fill_district": "35c602d3fc72",
    "wangge_tally_forget": "1437ba862594",
}
TABLES = (("report", "created_at"), ("report_event", "created_at"), ("audit_log", "at"))
MONTHS_AHEAD = 3
# wangge_file_report as before this migration (its INSERT without the report_key flag)
FILE_REPORT_BEFORE = "172e108b4049"
NEW_TRIGGERS = ("report_key_sync", "report_event_fill_district", "audit_log_fill_district")


@dataclass
class Shape:
    """What the catalogue says a table has, captured before the table is renamed away."""

    indexes: list[tuple[str, str, bool]] = field(default_factory=list)  # name, def, is pkey
    triggers: list[str] = field(default_factory=list)
    policies: list[tuple[str, str, str]] = field(default_factory=list)  # table, name, create
    grants: list[str] = field(default_factory=list)
    fks_out: list[tuple[str, str]] = field(default_factory=list)
    fks_in: list[tuple[str, str, str]] = field(default_factory=list)  # table, name, def
    rls: bool = False
    force_rls: bool = False


def _rows(sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import text

    return list(op.get_bind().execute(text(sql), params))


def _capture(table: str) -> Shape:
    shape = Shape()
    for name, definition, primary in _rows(
        """
        SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = CAST(:t AS regclass)
         ORDER BY c.relname
        """,
        t=table,
    ):
        shape.indexes.append((name, definition, primary))
    shape.triggers = [
        d
        for (d,) in _rows(
            """
            SELECT pg_get_triggerdef(oid) FROM pg_trigger
             WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal AND tgparentid = 0
             ORDER BY tgname
            """,
            t=table,
        )
    ]
    # The table's own policies and every other table's policy that reads it (EXISTS ...).
    for tname, pname, permissive, roles, cmd, qual, check in _rows(
        """
        SELECT p.tablename, p.policyname, p.permissive, p.roles, p.cmd, p.qual, p.with_check
          FROM pg_policies p
         WHERE p.schemaname = 'public' AND (p.tablename = :t OR EXISTS (
                 SELECT FROM pg_policy pp JOIN pg_class pc ON pc.oid = pp.polrelid
                   JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = pp.oid
                  WHERE pc.relname = p.tablename AND pp.polname = p.policyname
                    AND d.refobjid = CAST(:t AS regclass)))
         ORDER BY p.tablename, p.policyname
        """,
        t=table,
    ):
        sql = f'CREATE POLICY "{pname}" ON public."{tname}" AS {permissive} FOR {cmd}'
        sql += " TO " + ", ".join(roles)
        if qual is not None:
            sql += f" USING ({qual})"
        if check is not None:
            sql += f" WITH CHECK ({check})"
        shape.policies.append((tname, pname, sql))
    shape.grants = [
        f'GRANT {priv} ON public."{table}" TO "{grantee}"'
        for priv, grantee in _rows(
            """
            SELECT a.privilege_type, r.rolname
              FROM pg_class c, aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
             WHERE c.oid = CAST(:t AS regclass) AND a.grantee <> c.relowner
             ORDER BY 2, 1
            """,
            t=table,
        )
    ]
    for name, definition in _rows(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname
        """,
        t=table,
    ):
        shape.fks_out.append((name, definition))
    for tname, name, definition in _rows(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE confrelid = CAST(:t AS regclass) AND contype = 'f'
           AND conrelid <> CAST(:t AS regclass) AND conparentid = 0
         ORDER BY 1, 2
        """,
        t=table,
    ):
        shape.fks_in.append((tname, name, definition))
    ((shape.rls, shape.force_rls),) = _rows(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)",
        t=table,
    )
    return shape


def _months(table: str, key: str) -> list[str]:
    """The first day of every month the table has rows in (as 'YYYY-MM-01')."""
    return [
        m
        for (m,) in _rows(
            f"""
            SELECT DISTINCT to_char(date_trunc('month', "{key}" AT TIME ZONE 'UTC'), 'YYYY-MM-DD')
              FROM public."{table}" ORDER BY 1
            """
        )
    ]


def _rebuild(table: str, key: str, partitioned: bool) -> None:
    """Re-create `table` partitioned by month (or plain again), rows and catalogue kept."""
    shape = _capture(table)
    months = _months(table, key) if partitioned else []
    old = f"{table}_before_027" if partitioned else f"{table}_partitioned_027"
    for tname, pname, _ in shape.policies:
        op.execute(f'DROP POLICY "{pname}" ON public."{tname}"')
    for tname, name, _ in shape.fks_in:
        op.execute(f'ALTER TABLE {tname} DROP CONSTRAINT "{name}"')
    for name, _ in shape.fks_out:
        op.execute(f'ALTER TABLE public."{table}" DROP CONSTRAINT "{name}"')
    op.execute(f'ALTER TABLE public."{table}" RENAME TO "{old}"')
    like = (
        f'LIKE public."{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY'
        " INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS"
    )
    part = f' PARTITION BY RANGE ("{key}")' if partitioned else ""
    op.execute(f'CREATE TABLE public."{table}" ({like}){part}')
    if partitioned:
        for m in months:
            op.execute(
                f"""
                DO $$ DECLARE m date := DATE '{m}'; BEGIN
                  EXECUTE format('CREATE TABLE public.%I PARTITION OF public."{table}"'
                                 ' FOR VALUES FROM (%L) TO (%L)',
                                 '{table}_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                                 m::text || ' 00:00+00',
                                 (m + interval '1 month')::date::text || ' 00:00+00');
                END $$
                """
            )
        op.execute(f'CREATE TABLE public."{table}_default" PARTITION OF public."{table}" DEFAULT')
    identity = _rows(
        """
        SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)
           AND attidentity <> '' AND NOT attisdropped
        """,
        t=f"public.{table}",
    )
    overriding = " OVERRIDING SYSTEM VALUE" if identity else ""
    op.execute(f'INSERT INTO public."{table}"{overriding} SELECT * FROM public."{old}"')
    for (col,) in identity:
        op.execute(
            f"""
            SELECT setval(pg_get_serial_sequence('public.{table}', '{col}'),
                          coalesce((SELECT max("{col}") FROM public."{old}"), 0) + 1, false)
            """
        )
    op.execute(f'DROP TABLE public."{old}"')
    key_cols = f'id, "{key}"' if partitioned else "id"
    op.execute(
        f'ALTER TABLE public."{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key_cols})'
    )
    for name, definition, primary in shape.indexes:
        if primary:
            continue
        if name == "report_external_ref_idx":
            # unique across months in report_key; here only the look-up
            definition = (
                "CREATE INDEX report_external_ref_idx ON public.report (district_id, external_ref)"
                " WHERE (external_ref IS NOT NULL)"
            )
            if not partitioned:
                definition = definition.replace("CREATE INDEX", "CREATE UNIQUE INDEX")
        op.execute(definition)
    if shape.rls:
        op.execute(f'ALTER TABLE public."{table}" ENABLE ROW LEVEL SECURITY')
    if shape.force_rls:
        op.execute(f'ALTER TABLE public."{table}" FORCE ROW LEVEL SECURITY')
    for grant in shape.grants:
        op.execute(grant)
    for trigger in shape.triggers:
        if not any(f"TRIGGER {name} " in trigger for name in NEW_TRIGGERS):
            op.execute(trigger)
    target = "REFERENCES report_key(id)" if partitioned else "REFERENCES report(id)"
    for name, definition in shape.fks_out:
        definition = definition.replace("REFERENCES report(id)", target)
        definition = definition.replace("REFERENCES report_key(id)", target)
        op.execute(f'ALTER TABLE public."{table}" ADD CONSTRAINT "{name}" {definition}')
    for tname, name, definition in shape.fks_in:
        op.execute(f'ALTER TABLE {tname} ADD CONSTRAINT "{name}" {definition}')
    for _, _, sql in shape.policies:
        op.execute(sql)


def _repoint(table_from: str, table_to: str) -> None:
    """Foreign keys that name report(id) / report_key(id) point at the other one."""
    for tname, name, definition in _rows(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE confrelid = CAST(:t AS regclass) AND contype = 'f' AND conparentid = 0
           AND conrelid NOT IN ('report'::regclass, 'report_key'::regclass)
         ORDER BY 1, 2
        """,
        t=table_from,
    ):
        op.execute(f'ALTER TABLE {tname} DROP CONSTRAINT "{name}"')
        definition = definition.replace(
            f"REFERENCES {table_from}(id)", f"REFERENCES {table_to}(id)"
        )
        op.execute(f'ALTER TABLE {tname} ADD CONSTRAINT "{name}" {definition}')


def upgrade() -> None:
    for name, pin in PINS.items():
        op.execute(function_sql(name, pin))
    # only `wangge partitions detach`, as the owner, takes a month out of the roll-ups
    op.execute("REVOKE EXECUTE ON FUNCTION wangge_tally_forget(regclass) FROM PUBLIC")
    op.execute(
        """
        ALTER TABLE audit_log ADD COLUMN district_id integer REFERENCES district(id);
        CREATE TABLE report_key (
          id uuid PRIMARY KEY,
          created_at timestamptz NOT NULL,
          district_id integer NOT NULL REFERENCES district(id),
          external_ref text
        );
        CREATE UNIQUE INDEX report_key_external_ref_idx ON report_key (district_id, external_ref)
          WHERE external_ref IS NOT NULL;
        INSERT INTO report_key (id, created_at, district_id, external_ref)
          SELECT id, created_at, district_id, external_ref FROM report;
        """
    )
    # report_event and audit_log are append-only (a statement trigger refuses UPDATE): their
    # district_id is filled once here, as the owner, with that trigger set aside.
    op.execute(
        """
        ALTER TABLE report_event DISABLE TRIGGER report_event_append_only;
        UPDATE report_event e SET district_id = k.district_id
          FROM report_key k WHERE k.id = e.report_id AND e.district_id IS NULL;
        ALTER TABLE report_event ENABLE TRIGGER report_event_append_only;
        ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
        UPDATE audit_log a SET district_id = k.district_id FROM report_key k
         WHERE a.object_type = 'report' AND a.object_id ~* '^[0-9a-f-]{36}$'
           AND k.id = a.object_id::uuid;
        UPDATE audit_log a SET district_id = u.district_id FROM app_user u
         WHERE a.district_id IS NULL AND u.id = a.user_id;
        ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
        """
    )
    _repoint("report", "report_key")
    for table, key in TABLES:
        _rebuild(table, key, partitioned=True)
    op.execute(
        """
        CREATE TRIGGER report_key_sync BEFORE INSERT OR UPDATE OR DELETE ON report
          FOR EACH ROW EXECUTE FUNCTION wangge_report_key();
        CREATE TRIGGER report_event_fill_district BEFORE INSERT ON report_event
          FOR EACH ROW EXECUTE FUNCTION wangge_fill_district('report_event');
        CREATE TRIGGER audit_log_fill_district BEFORE INSERT ON audit_log
          FOR EACH ROW EXECUTE FUNCTION wangge_fill_district('audit_log');
        CREATE SCHEMA IF NOT EXISTS wangge_archive;
        """
    )
    op.execute(f"SELECT wangge_ensure_partitions({MONTHS_AHEAD})")
    op.execute(
        """
        REVOKE EXECUTE ON FUNCTION wangge_report_key() FROM PUBLIC;
        REVOKE EXECUTE ON FUNCTION wangge_fill_district() FROM PUBLIC;
        REVOKE EXECUTE ON FUNCTION wangge_ensure_partitions(integer) FROM PUBLIC;
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
            GRANT EXECUTE ON FUNCTION wangge_report_key() TO wangge_app;
            GRANT EXECUTE ON FUNCTION wangge_fill_district() TO wangge_app;
          END IF;
        END $$;
        """
    )
    # the rebuilt tables start without statistics, and autovacuum never analyzes a
    # partitioned parent itself: the planner gets them now rather than guessing
    op.execute("ANALYZE report, report_event, audit_log, report_key")


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER IF EXISTS report_key_sync ON report;
        DROP TRIGGER IF EXISTS report_event_fill_district ON report_event;
        DROP TRIGGER IF EXISTS audit_log_fill_district ON audit_log;
        """
    )
    # report first (its primary key is (id) again), then the foreign keys back to it.
    _rebuild("report", "created_at", partitioned=False)
    _repoint("report_key", "report")
    _rebuild("report_event", "created_at", partitioned=False)
    _rebuild("audit_log", "at", partitioned=False)
    op.execute(
        """
        DROP TABLE report_key;
        ALTER TABLE audit_log DROP COLUMN district_id;
        DROP SCHEMA IF EXISTS wangge_archive;
        DROP FUNCTION IF EXISTS wangge_ensure_partitions(integer);
        DROP FUNCTION IF EXISTS wangge_report_key();
        DROP FUNCTION IF EXISTS wangge_fill_district();
        DROP FUNCTION IF EXISTS wangge_tally_forget(regclass);
        """
    )
    op.execute(function_sql("wangge_file_report", FILE_REPORT_BEFORE))
    op.execute("ANALYZE report, report_event, audit_log")
