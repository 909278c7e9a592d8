"""Acting as a user on a raw app-role connection: the settings the row-level security policies
read, as `wangge_authenticate` sets them for a request (for tests of RLS as the second line)."""

from __future__ import annotations

import psycopg

NAMES = ("user_id", "role", "district_id", "street_id", "community_id", "department_id")


def act_as(conn: psycopg.Connection, username: str, *, local: bool = True) -> tuple:  # type: ignore[type-arg]
    """Set the identity of `username` (transaction-local unless `local` is False); returns its
    app_user row (id, role, district_id, street_id, community_id, department_id)."""
    row = conn.execute(
        "SELECT id, role, district_id, street_id, community_id, department_id"
        " FROM app_user WHERE username = %s",
        (username,),
    ).fetchone()
    assert row is not None, username
    for name, value in zip(NAMES, row, strict=True):
        conn.execute(
            "SELECT set_config(%s, %s, %s)",
            (f"wangge.{name}", "" if value is None else str(value), local),
        )
    return tuple(row)
