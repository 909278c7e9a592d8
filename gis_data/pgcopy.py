"""Bulk COPY helpers: format columns as PostgreSQL COPY text and stream them in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import psycopg
import shapely
from psycopg import sql

NULL = "\\N"
CHUNK_ROWS = 50_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(values: Iterable[object | None]) -> list[str]:
    """COPY text for plain values (None -> NULL, bool -> t/f), with escapes."""
    out = []
    for v in values:
        if v is None:
            out.append(NULL)
        elif isinstance(v, bool | np.bool_):
            out.append("t" if v else "f")
        else:
            out.append(str(v).translate(_ESCAPES))
    return out


def ewkb(geoms: Sequence[shapely.Geometry] | np.ndarray, srid: int = 4326) -> list[str]:
    """Hex EWKB with SRID (PostGIS reads it directly as geometry input)."""
    arr = shapely.set_srid(np.asarray(geoms, dtype=object), srid)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))


def timestamps(values: np.ndarray) -> list[str]:
    """datetime64 (UTC) -> timestamptz text; NaT -> NULL."""
    s = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    return [NULL if v == "NaT" else v + "+00" for v in s.tolist()]


def array(values: Iterable[Sequence[object]]) -> list[str]:
    """PostgreSQL array literals for lists of simple tokens (no quoting needed)."""
    return ["{" + ",".join(str(x) for x in v) + "}" for v in values]


def copy_columns(
    cur: psycopg.Cursor,
    table: str,
    columns: dict[str, list[str]],
    advance: Callable[[int], None] | None = None,
) -> int:
    """COPY equally long, already formatted columns into `table`; returns the row count."""
    names = list(columns)
    cols = [columns[n] for n in names]
    n = len(cols[0])
    # Table and column names come from this package's own constants, never from input.
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
    with cur.copy(sql) as copy:
        for start in range(0, n, CHUNK_ROWS):
            rows = zip(*(c[start : start + CHUNK_ROWS] for c in cols), strict=True)
            copy.write("".join("\t".join(r) + "\n" for r in rows))
            if advance:
                advance(min(CHUNK_ROWS, n - start))
    return n


def id_map(cur: psycopg.Cursor, table: str, key: str) -> dict[str, int]:
    """key -> id for every row of `table` (after a COPY, to wire up foreign keys)."""
    cur.execute(f"SELECT {key}, id FROM {table}")  # noqa: S608 - constants only
    return {k: i for k, i in cur.fetchall()}


@contextmanager
def foreign_keys_checked_at_end(cur: psycopg.Cursor, tables: Sequence[str]) -> Iterator[None]:
    """Drop the tables' foreign keys and re-add them (validated in one pass) before commit.

    The usual bulk-load technique (pg_restore does the same): one validating join instead of
    millions of per-row trigger checks. Definitions are read from the catalogue, so the
    schema is the same afterwards; it all happens inside the caller's transaction.
    """
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        (list(tables),),
    )
    fks = cur.fetchall()
    for table, name, _ in fks:
        cur.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    yield
    for table, name, definition in fks:
        cur.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
