"""`wangge backup` then `wangge restore` into a fresh database: every row, policy and constraint."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from service.cli import app as cli
from service.settings import local_database_url
from tests.conftest import TestDatabase, drop_database, recreate_database

RESTORED = "wangge_restore_test"
SCHEMAS = "('public', 'topology')"


@pytest.fixture
def source_db(request: pytest.FixtureRequest) -> TestDatabase:
    """The demo database when the demo loader is there, else the migrated test database."""
    if importlib.util.find_spec("gis_data.demo_loader") is not None:
        return request.getfixturevalue("demo_db")  # type: ignore[no-any-return]
    return request.getfixturevalue("test_db")  # type: ignore[no-any-return]


def fingerprint(libpq: str) -> dict[str, object]:
    """Per-table row count and content hash, policies, RLS flags, constraints, indexes, grants."""
    with psycopg.connect(libpq) as conn:
        tables = conn.execute(
            f"SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN {SCHEMAS}"
            " ORDER BY 1, 2"
        ).fetchall()
        rows = {}
        for schema, table in tables:
            ident = sql.Identifier(schema, table)
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(ident)
            rows[f"{schema}.{table}"] = conn.execute(query).fetchone()
        catalog = {
            "policies": "SELECT schemaname, tablename, policyname, permissive, roles::text, cmd,"
            " qual, with_check FROM pg_policies ORDER BY 1, 2, 3",
            "rls": "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1",
            "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' ORDER BY 1, 2",
            "grants": "SELECT grantee, table_name, privilege_type FROM"
            " information_schema.role_table_grants WHERE grantee = 'wangge_app' ORDER BY 1, 2, 3",
            "functions": "SELECT proname, md5(prosrc) FROM pg_proc"
            " WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'wangge%' ORDER BY 1",
        }
        found: dict[str, object] = {"rows": rows}
        for name, query in catalog.items():
            found[name] = conn.execute(query).fetchall()
    return found


def test_backup_then_restore_into_a_fresh_database(source_db: TestDatabase, tmp_path: Path) -> None:
    probe = f"backup_probe_{uuid.uuid4().hex[:8]}"
    marker = f"backup-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(source_db.libpq(), autocommit=True) as conn:
        # A policy that exists only for this test (RLS is not switched on by it, so it changes
        # nothing), so policies are compared whatever the migrations define.
        conn.execute(
            sql.SQL("CREATE POLICY {} ON app_user USING (true)").format(sql.Identifier(probe))
        )
        conn.execute(
            "INSERT INTO app_user (username, password_hash, role, is_active)"
            " VALUES (%s, 'x', 'admin', false)",
            (marker,),
        )
    try:
        dump = tmp_path / "wangge.dump"
        runner = CliRunner()
        result = runner.invoke(cli, ["backup", str(dump), "--database-url", source_db.owner_url])
        assert result.exit_code == 0, result.output
        before = fingerprint(source_db.libpq())

        recreate_database(RESTORED)
        target = local_database_url("wangge", RESTORED)
        result = runner.invoke(cli, ["restore", str(dump), "--database-url", target])
        assert result.exit_code == 0, result.output
        after = fingerprint(target.replace("postgresql+psycopg", "postgresql"))
    finally:
        with psycopg.connect(source_db.libpq(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP POLICY {} ON app_user").format(sql.Identifier(probe)))
            conn.execute("DELETE FROM app_user WHERE username = %s", (marker,))
        drop_database(RESTORED)

    assert after["rows"] == before["rows"]
    assert sum(count for count, _ in before["rows"].values()) > 0  # type: ignore[attr-defined]
    for part in ("policies", "rls", "constraints", "indexes", "grants", "functions"):
        assert after[part] == before[part], part
    assert any(p[2] == probe for p in after["policies"])  # type: ignore[attr-defined]
    assert len(after["constraints"]) > 10  # type: ignore[arg-type]


def test_restore_of_a_missing_file_fails_cleanly(tmp_path: Path, test_db: TestDatabase) -> None:
    result = CliRunner().invoke(
        cli, ["restore", str(tmp_path / "nope.dump"), "--database-url", test_db.owner_url]
    )
    assert result.exit_code == 1
    assert "no such backup file" in result.output


def test_restore_of_a_truncated_file_changes_nothing(tmp_path: Path, test_db: TestDatabase) -> None:
    dump = tmp_path / "t.dump"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["backup", str(dump), "--database-url", test_db.owner_url]).exit_code
        == 0
    )
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    recreate_database(RESTORED)
    target = local_database_url("wangge", RESTORED)
    try:
        result = runner.invoke(cli, ["restore", str(dump), "--database-url", target])
        assert result.exit_code == 1
        with psycopg.connect(target.replace("postgresql+psycopg", "postgresql")) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (1,)  # only PostGIS's spatial_ref_sys from the template
    finally:
        drop_database(RESTORED)
