"""Shared fixtures: a fresh, migrated PostGIS database per test session, with the demo city.

The database is recreated from the local cluster's `wangge_template` (PostGIS installed) at the
start of each session and migrated with Alembic, so every run also tests the migrations.
Set WANGGE_TEST_OWNER_URL / WANGGE_TEST_APP_URL to use an existing database elsewhere instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from service.settings import Settings, local_database_url

TEST_DB = os.environ.get("WANGGE_TEST_DATABASE", "wangge_test")

# Fixtures of a small two-district world built by the tests themselves (the authz matrix).
pytest_plugins = ["tests.fixtures_authz"]


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False

    owner_url: str
    app_url: str

    def libpq(self, which: str = "owner") -> str:
        """A libpq/psycopg connection string for this database."""
        url = make_url(self.owner_url if which == "owner" else self.app_url)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin_connection() -> psycopg.Connection:  # type: ignore[type-arg]
    admin = make_url(local_database_url("wangge", "postgres")).set(drivername="postgresql")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def drop_with(conn: psycopg.Connection, name: str) -> None:  # type: ignore[type-arg]
    """DROP DATABASE `name`, ending the sessions still in it.

    FORCE refuses, for a role that is not a superuser, when an autovacuum worker is in the
    database (it has no role to be a member of); a plain DROP stops that worker itself, so it
    is tried next, for a few seconds while the database is still in use.
    """
    try:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    except psycopg.errors.InsufficientPrivilege:
        pass
    for _ in range(20):
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            time.sleep(0.5)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(name: str) -> None:
    """Drop and create `name` from the template, as the owner role of the local cluster."""
    with _admin_connection() as conn:
        drop_with(conn, name)
        conn.execute(f'CREATE DATABASE "{name}" OWNER wangge TEMPLATE wangge_template')


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        drop_with(conn, name)


def migrate(owner_url: str, revision: str = "heads") -> None:
    from alembic import command

    from service.cli import alembic_config

    command.upgrade(alembic_config(owner_url), revision)


@pytest.fixture(scope="session")
def test_db() -> TestDatabase:
    """A freshly created and migrated database (no demo data yet)."""
    owner = os.environ.get("WANGGE_TEST_OWNER_URL")
    app = os.environ.get("WANGGE_TEST_APP_URL")
    if not owner:
        recreate_database(TEST_DB)
        owner = local_database_url("wangge", TEST_DB)
        app = local_database_url("wangge_app", TEST_DB)
    db = TestDatabase(owner_url=owner, app_url=app or owner)
    migrate(db.owner_url)
    return db


@pytest.fixture(scope="session")
def demo_db(test_db: TestDatabase) -> TestDatabase:
    """The test database with the demo city loaded once per session."""
    pytest.importorskip("gis_data.demo_loader", reason="demo loader not installed")
    from gis_data.demo_loader import DemoScale, load_demo

    load_demo(test_db.owner_url, scale=DemoScale.demo())
    return test_db


@pytest.fixture(scope="session")
def owner_engine(test_db: TestDatabase) -> Iterator[Engine]:
    engine = create_engine(test_db.owner_url)
    yield engine
    engine.dispose()


@pytest.fixture
def owner_conn(owner_engine: Engine) -> Iterator[Connection]:
    """An owner connection inside a transaction that is rolled back after the test."""
    with owner_engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


@pytest.fixture(scope="session")
def settings(demo_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=demo_db.app_url,
        migration_database_url=demo_db.owner_url,
        data_dir=tmp_path_factory.mktemp("wangge-data"),
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client for the app over the demo database (session-wide)."""
    from service.main import create_app

    with TestClient(create_app(settings)) as c:
        yield c


def login(client: TestClient, username: str, password: str = "demo") -> dict[str, str]:
    """Authorization headers for a demo user."""
    r = client.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="session")
def auth_headers(client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers for every demo account, logged in once."""
    names = [
        "admin",
        "district",
        "planner",
        "street1",
        "street2",
        "community1",
        "worker1",
        "dept-fire",
    ]
    return {name: login(client, name) for name in names}
