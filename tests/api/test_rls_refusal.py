"""The app refuses a database role that bypasses row-level security, and /health names its role."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from service.db.role_check import (
    RlsBypassed,
    check_async_connection,
    check_dbapi_connection,
)
from service.main import create_app
from service.settings import PROJECT_ROOT, Settings, local_database_url
from tests.conftest import TestDatabase


def _settings(db: TestDatabase, url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=url,
        migration_database_url=db.owner_url,
        data_dir=tmp_path,
        escalation_interval_s=0,
        **extra,  # type: ignore[arg-type]
    )


def test_health_says_the_app_role_is_under_rls(client: TestClient) -> None:
    db = client.get("/health").json()["database"]
    assert db["role"] == "wangge_app"
    assert db["rls_applies"] is True
    assert db["bypass"] == []


def test_the_owner_role_is_refused_at_start(test_db: TestDatabase, tmp_path: Path) -> None:
    if test_db.owner_url == test_db.app_url:
        pytest.skip("one role for owner and app here")
    app = create_app(_settings(test_db, test_db.owner_url, tmp_path))
    with pytest.raises(RlsBypassed, match="bypasses row-level security") as err:
        with TestClient(app):
            pass
    assert "owner of the row-level-security tables" in str(err.value)
    assert "WANGGE_ALLOW_RLS_BYPASS=1" in str(err.value)


def test_allowed_bypass_runs_and_health_says_so(test_db: TestDatabase, tmp_path: Path) -> None:
    settings = _settings(test_db, test_db.owner_url, tmp_path, allow_rls_bypass=True)
    with TestClient(create_app(settings)) as c:
        body = c.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"]["role"] == "wangge"
    assert body["database"]["rls_applies"] is False
    assert any("owner" in reason for reason in body["database"]["bypass"])


def test_the_server_process_exits_non_zero_with_the_reason(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": test_db.owner_url,
        "WANGGE_DATA_DIR": str(tmp_path),
        "WANGGE_ESCALATION_INTERVAL_S": "0",
    }
    env.pop("WANGGE_ALLOW_RLS_BYPASS", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service.http_server", "--port", "0", "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "refusing to run: database role 'wangge' bypasses row-level security" in done.stderr


def test_wangge_serve_refuses_before_starting_workers(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "WANGGE_ENVIRONMENT": "demo",
        "WANGGE_DATABASE_URL": test_db.owner_url,
        "WANGGE_DATA_DIR": str(tmp_path),
        "WANGGE_BIND_PORT": "0",
    }
    env.pop("WANGGE_ALLOW_RLS_BYPASS", None)
    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "wangge"), "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "refusing to run: database role 'wangge' bypasses row-level security" in done.stderr


def test_the_filing_pool_checks_its_connections_too(test_db: TestDatabase) -> None:
    async def check(allow: bool) -> object:
        async with await psycopg.AsyncConnection.connect(
            test_db.libpq("owner"), autocommit=True
        ) as conn:
            return await check_async_connection(conn, allow)

    with pytest.raises(RlsBypassed):
        asyncio.run(check(False))
    assert not asyncio.run(check(True)).rls_applies  # type: ignore[attr-defined]


@pytest.fixture
def bypass_role() -> object:
    """A throw-away role with BYPASSRLS (needs the local cluster's superuser)."""
    if os.environ.get("WANGGE_TEST_OWNER_URL"):
        pytest.skip("creating roles needs the local cluster's superuser")
    su = local_database_url("postgres", "postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(su, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS wangge_bypass_probe")
        conn.execute("CREATE ROLE wangge_bypass_probe LOGIN BYPASSRLS NOSUPERUSER")
    yield "wangge_bypass_probe"
    with psycopg.connect(su, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS wangge_bypass_probe")


def test_bypassrls_and_superuser_roles_are_named(test_db: TestDatabase, bypass_role: str) -> None:
    name = make_url(test_db.owner_url).database or "wangge_test"
    url = local_database_url(bypass_role, name).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url) as conn, pytest.raises(RlsBypassed, match="BYPASSRLS"):
        check_dbapi_connection(conn, allow_bypass=False)
    su = local_database_url("postgres", name).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(su) as conn, pytest.raises(RlsBypassed, match="superuser"):
        check_dbapi_connection(conn, allow_bypass=False)
    with psycopg.connect(test_db.libpq("app")) as conn:
        assert check_dbapi_connection(conn, allow_bypass=False).rls_applies
