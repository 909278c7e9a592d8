"""Monthly partitions of report, report_event and audit_log (migration 027, docs/scale.md).

`ensure` creates months ahead (the database function does it, so the migration, the scheduler
pass and the CLI share one definition); `detach` moves whole old months out of the live tables
into the `wangge_archive` schema, where `pg_dump -n wangge_archive` saves them and a DROP
removes them; `listing` says what exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, text

from service.errors import WanggeError

PARTITIONED = (("report", "created_at"), ("report_event", "created_at"), ("audit_log", "at"))
ARCHIVE_SCHEMA = "wangge_archive"
# statuses in which a report is finished: only finished months may leave the live tables
FINISHED = ("closed", "rejected")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PART = re.compile(r"^(report|report_event|audit_log)_y(\d{4})m(\d{2})$")


class PartitionRefused(WanggeError):
    """A partition command that cannot be carried out as asked."""


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    schema: str  # public (attached) or wangge_archive (detached)
    month: str | None  # 'YYYY-MM', None for the DEFAULT partition
    rows: int


def parse_month(value: str) -> date:
    """'YYYY-MM' as the first day of that month, or a refusal saying what is expected."""
    m = _MONTH.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise PartitionRefused(f"--before expects a month as YYYY-MM, not {value!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def ensure(conn: Connection, months_ahead: int = 3) -> int:
    """Create the missing monthly partitions up to `months_ahead` months ahead; how many."""
    if not 0 <= months_ahead <= 120:
        raise PartitionRefused(f"--months must be between 0 and 120, not {months_ahead}")
    return int(
        conn.execute(text("SELECT wangge_ensure_partitions(:n)"), {"n": months_ahead}).scalar_one()
    )


def listing(conn: Connection) -> list[Partition]:
    """Every monthly partition (attached or archived) and DEFAULT, with its row estimate
    (exact count for DEFAULT, which should stay empty)."""
    rows = conn.execute(
        text(
            """
            SELECT n.nspname, c.relname, c.reltuples::bigint
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('public', :archive) AND c.relkind = 'r'
               AND c.relname ~ '^(report|report_event|audit_log)_(y[0-9]{4}m[0-9]{2}|default)$'
             ORDER BY c.relname, n.nspname
            """
        ),
        {"archive": ARCHIVE_SCHEMA},
    ).all()
    out: list[Partition] = []
    for schema, name, estimate in rows:
        m = _PART.match(name)
        if m:
            out.append(
                Partition(
                    m.group(1), name, schema, f"{m.group(2)}-{m.group(3)}", max(int(estimate), 0)
                )
            )
        else:
            table = name.removesuffix("_default")
            # names come from the catalogue and matched the pattern above
            sql = f'SELECT count(*) FROM "{schema}"."{name}"'  # noqa: S608
            count = conn.execute(text(sql)).scalar_one()
            out.append(Partition(table, name, schema, None, int(count)))
    return out


def detachable(conn: Connection, before: date) -> list[tuple[str, str]]:
    """The attached monthly partitions (table, partition) of months before `before`."""
    cut = f"{before:%Y}m{before:%m}"
    return [
        (p.table, p.name)
        for p in listing(conn)
        if p.schema == "public" and p.month is not None and p.name.rsplit("_y", 1)[1] < cut
    ]


def detach(engine: Engine, before: date) -> list[str]:
    """Detach every month before `before` of the three tables into wangge_archive.

    Refused while such a month still holds an unfinished report (it would leave the case
    queue) or while this month or a later one is asked for. The reports stay referable: their
    ids stay in report_key, so history, photos and case rows keep their target."""
    today = date.today().replace(day=1)
    if before > today:
        raise PartitionRefused(
            f"--before {before:%Y-%m} is in the future: only past months are archived"
        )
    with engine.begin() as conn:
        parts = detachable(conn, before)
        open_count = 0
        for table, name in parts:
            if table == "report":
                open_count += int(
                    conn.execute(
                        text(f'SELECT count(*) FROM public."{name}" WHERE status <> ALL(:f)'),  # noqa: S608
                        {"f": list(FINISHED)},
                    ).scalar_one()
                )
        if open_count:
            raise PartitionRefused(
                f"{open_count} reports before {before:%Y-%m} are not closed or rejected: they stay"
            )
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}"))
    done: list[str] = []
    for table, name in parts:
        # With a DEFAULT partition PostgreSQL refuses DETACH ... CONCURRENTLY, so this is the
        # plain form: a short ACCESS EXCLUSIVE lock on the parent, metadata only, no row copy.
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f'ALTER TABLE public."{table}" DETACH PARTITION public."{name}"'))
            if table == "report":  # its reports leave the queue counts and the assessment too
                conn.execute(
                    text("SELECT wangge_tally_forget(CAST(:p AS regclass))"),
                    {"p": f'public."{name}"'},
                )
            conn.execute(text(f'ALTER TABLE public."{name}" SET SCHEMA {ARCHIVE_SCHEMA}'))
            conn.execute(text(f'REVOKE ALL ON {ARCHIVE_SCHEMA}."{name}" FROM PUBLIC'))
        done.append(name)
    return done
