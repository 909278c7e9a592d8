"""The case-insensitive username migration on a database that already holds "admin" and "Admin"."""

from __future__ import annotations

import os

import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from service.cli import alembic_config
from service.settings import local_database_url
from tests.conftest import drop_database, recreate_database

SCRATCH = f"wangge_username_case_{os.getpid()}"
LONG = "L" * 64


@pytest.mark.skipif("WANGGE_TEST_OWNER_URL" in os.environ, reason="needs the local cluster")
def test_existing_case_duplicates_are_renamed_safely() -> None:
    recreate_database(SCRATCH)
    url = local_database_url("wangge", SCRATCH)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        cfg = alembic_config(url)
        command.upgrade(cfg, "011_filing_function")
        with psycopg.connect(dsn) as conn:
            ids = {
                name: conn.execute(
                    "INSERT INTO app_user (username, password_hash, role) VALUES (%s, 'h', 'admin')"
                    " RETURNING id",
                    (name,),
                ).fetchone()[0]  # type: ignore[index]
                for name in ("admin", "Admin", "ADMIN", LONG, LONG.lower(), "solo")
            }
            conn.execute(
                "INSERT INTO auth_token (user_id, token_sha256, kind, csrf_token, created_at,"
                " expires_at) VALUES (%s, 'digest-of-impostor', 'bearer', 'c', now(),"
                " now() + interval '1 hour')",
                (ids["Admin"],),
            )
        command.upgrade(cfg, "014_username_case")
        with psycopg.connect(dsn) as conn:
            names = dict(conn.execute("SELECT id, username FROM app_user").fetchall())
            revoked = conn.execute(
                "SELECT revoked_at IS NOT NULL FROM auth_token WHERE user_id = %s", (ids["Admin"],)
            ).fetchone()
            audit = conn.execute(
                "SELECT object_id, summary FROM audit_log"
                " WHERE action = 'rename_duplicate_username' ORDER BY object_id::int"
            ).fetchall()
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute(
                    "INSERT INTO app_user (username, password_hash, role)"
                    " VALUES ('SOLO', 'h', 'admin')"
                )
        assert names[ids["admin"]] == "admin" and names[ids["solo"]] == "solo"  # earliest kept
        assert names[ids["Admin"]] == f"Admin-dup{ids['Admin']}"
        assert names[ids["ADMIN"]] == f"ADMIN-dup{ids['ADMIN']}"
        renamed_long = names[ids[LONG.lower()]]
        assert len(renamed_long) == 64 and renamed_long.endswith(f"-dup{ids[LONG.lower()]}")
        assert revoked == (True,)  # nobody stays signed in under a changed name
        assert [int(a[0]) for a in audit] == sorted([ids["Admin"], ids["ADMIN"], ids[LONG.lower()]])
        assert audit[0][1] == {"old_username": "Admin", "new_username": f"Admin-dup{ids['Admin']}"}
        assert len({n.lower() for n in names.values()}) == len(names)
    finally:
        drop_database(SCRATCH)
