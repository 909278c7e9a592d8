"""Filing a report: one call of the database function wangge_file_report (db/sql/functions/)."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from psycopg import AsyncConnection


class FilingCall(NamedTuple):
    """Who asks (token digest, CSRF echo, allowed roles, audit facts) and what they file, in
    the order of the function's parameters (a tuple: psycopg binds it as it is)."""

    digest: str
    csrf: str | None
    roles: list[str]
    action: str
    path: str
    client_addr: str
    id: uuid.UUID
    lon: float
    lat: float
    crs: str
    accuracy_m: float | None
    placed_by_hand: bool
    category: str
    description: str
    patrol_id: uuid.UUID | None
    content_hash: str


PARAMETER_TYPES = (
    "text", "text", "text[]", "text", "text", "text", "uuid", "float8", "float8", "text",
    "float8", "boolean", "text", "text", "uuid", "text",
)  # fmt: skip
# Every value is bound and cast, so the statement is prepared once per connection.
_PLACEHOLDERS = ", ".join(f"%s::{t}" for t in PARAMETER_TYPES)  # type names only
FILE_REPORT_SQL = f"SELECT * FROM wangge_file_report({_PLACEHOLDERS})"  # noqa: S608


async def file_report(conn: AsyncConnection[Any], call: FilingCall) -> dict[str, Any]:
    """Run the filing in its own transaction (an autocommit connection): the row it returns
    has `outcome` created / replay / conflict / refused / unauthenticated / csrf / forbidden /
    no_district and, when created, the stored report with its resolved codes."""
    cursor = await conn.execute(FILE_REPORT_SQL, call)
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - the function always returns one row
        raise RuntimeError("wangge_file_report returned no row")
    return row  # type: ignore[return-value]
