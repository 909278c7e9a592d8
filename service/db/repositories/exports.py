"""Server-side cursors and COPY for exports: rows leave PostgreSQL in batches, never all at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Row, Select, func, select
from sqlalchemy.orm import Session

Prepare = Callable[[Session], None]
COPY_CHUNK_BYTES = 1 << 20


def stream_batches(
    engine: Engine, stmt: Select[Any], *, prepare: Prepare | None = None, batch_size: int = 2000
) -> Iterator[Sequence[Row[Any]]]:
    """Run `stmt` through a named (server-side) cursor inside one transaction.

    `prepare` runs first in the same transaction — the API uses it to set the caller's
    row-level-security identity, which is transaction-local and must cover the cursor.
    """
    with engine.connect() as conn, conn.begin():
        if prepare is not None:
            prepare(Session(bind=conn))
        result = conn.execution_options(stream_results=True, max_row_buffer=batch_size).execute(
            stmt
        )
        yield from result.partitions(batch_size)


def copy_lines(
    engine: Engine,
    stmt: Select[Any],
    *,
    prepare: Prepare | None = None,
    chunk_bytes: int = COPY_CHUNK_BYTES,
) -> Iterator[tuple[int, bytes]]:
    """`COPY (stmt) TO STDOUT` for a one-column query of JSON text: (rows, lines) chunks.

    PostgreSQL keeps producing rows while the caller sends the previous chunk, so the database
    and the app work at the same time (a cursor's FETCH waits for the app between batches).
    Each chunk holds whole rows, each ending in one b"\\n". JSON text never holds raw control
    characters, so COPY's text format escapes only the backslash, which is undone here.
    The statement timeout is lifted for this transaction: an export lasts as long as the
    client reads, as it did with a cursor; a client that goes away cancels the COPY.
    """
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    with engine.connect() as conn, conn.begin():
        if prepare is not None:
            prepare(Session(bind=conn))
        # JIT compiling these function-call-heavy expressions costs ~1 s before the first row
        # and gains nothing; parallel workers stay allowed and do help.
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        conn.exec_driver_sql("SET LOCAL jit = off")
        raw: Any = conn.connection.driver_connection  # the psycopg connection
        with raw.cursor() as cur, cur.copy(f"COPY ({compiled}) TO STDOUT", compiled.params) as cp:
            try:
                yield from _line_chunks(cp, chunk_bytes)
            except GeneratorExit:
                raw.cancel_safe()  # else leaving the block would read the rest of the COPY
                raise


def _line_chunks(rows: Iterable[Any], chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
    parts: list[Any] = []
    size = 0
    for row in rows:  # one COPY data message = one row
        parts.append(row)
        size += len(row)
        if size >= chunk_bytes:
            yield len(parts), _unescape(b"".join(parts))
            parts, size = [], 0
    if parts:
        yield len(parts), _unescape(b"".join(parts))


def _unescape(chunk: bytes) -> bytes:
    return chunk.replace(b"\\\\", b"\\") if b"\\" in chunk else chunk


def count_rows(session: Session, stmt: Select[Any]) -> int:
    """How many rows `stmt` returns (for numberMatched)."""
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
