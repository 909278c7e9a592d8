"""Server-side cursors for exports: rows leave PostgreSQL in batches, never all at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Row, Select, func, select
from sqlalchemy.orm import Session

Prepare = Callable[[Session], None]


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


def count_rows(session: Session, stmt: Select[Any]) -> int:
    """How many rows `stmt` returns (for numberMatched)."""
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
