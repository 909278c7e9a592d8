"""Filing a report: one call of the database function wangge_file_report (migration 011)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import AsyncConnection

# Every value is bound and cast, so the statement is prepared once per connection.
FILE_REPORT_SQL = """
SELECT * FROM wangge_file_report(
  %(digest)s::text, %(csrf)s::text, %(roles)s::text[], %(action)s::text, %(path)s::text,
  %(client_addr)s::text, %(id)s::uuid, %(lon)s::float8, %(lat)s::float8, %(crs)s::text,
  %(accuracy_m)s::float8, %(placed_by_hand)s::boolean, %(category)s::text,
  %(description)s::text, %(patrol_id)s::uuid, %(content_hash)s::text)
"""


@dataclass(frozen=True)
class FilingCall:
    """Who asks (token digest, CSRF echo, allowed roles, audit facts) and what they file."""

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


async def file_report(conn: AsyncConnection[Any], call: FilingCall) -> dict[str, Any]:
    """Run the filing in its own transaction (an autocommit connection): the row it returns
    has `outcome` created / replay / conflict / refused / unauthenticated / csrf / forbidden /
    no_district and, when created, the stored report with its resolved codes."""
    cursor = await conn.execute(FILE_REPORT_SQL, asdict(call))
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - the function always returns one row
        raise RuntimeError("wangge_file_report returned no row")
    return row  # type: ignore[return-value]
