"""schemathesis over /openapi.json, as every demo role: no 5xx, no response breaking the schema.

Settings (kept modest for 2 shared cores): `MAX_EXAMPLES` generated cases per operation, each
sent as every role; explicit + generate phases only (no shrinking); the ASGI app is called
in-process (no network). Logout is excluded: it would revoke the very token the run uses.
Run alone: `.venv/bin/pytest tests/api/test_schemathesis_roles.py -q`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.settings import Settings, local_database_url
from tests.conftest import TEST_DB, TestDatabase

MAX_EXAMPLES = 8
ROLES = ["admin", "district", "planner", "street1", "community1", "worker1", "dept-fire"]
EXCLUDED_PATHS = ("/api/auth/logout",)


def _app_for_the_test_database() -> FastAPI:
    """The app over the session's test database (the same URLs tests/conftest.py uses)."""
    from service.main import create_app

    owner = os.environ.get("WANGGE_TEST_OWNER_URL") or local_database_url("wangge", TEST_DB)
    app_url = os.environ.get("WANGGE_TEST_APP_URL") or (
        owner
        if os.environ.get("WANGGE_TEST_OWNER_URL")
        else local_database_url("wangge_app", TEST_DB)
    )
    return create_app(
        Settings(
            database_url=app_url, migration_database_url=owner, data_dir=Path(tempfile.mkdtemp())
        )
    )


APP = _app_for_the_test_database()
# Loading the schema only asks the app for /openapi.json (no database involved).
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
for _path in EXCLUDED_PATHS:
    schema = schema.exclude(path=_path)


@pytest.fixture(scope="module", autouse=True)
def running_app(demo_db: TestDatabase) -> Iterator[None]:
    """The app's lifespan (engine and pool) runs once the demo database is ready.

    Generated logins fail (random names and passwords), and each failure counts against the
    test client's address for 15 minutes: they are removed afterwards, so that the tests after
    this module are not locked out (a varying ~10-20 failures; the limit is 20). A generated PUT
    replaces a district's score sheet: every sheet is put back as it was, so the tests after
    this module score with the real items."""
    columns = "district_id, code, name_zh, weight, position, is_active"
    with psycopg.connect(demo_db.libpq()) as conn:
        items = conn.execute(f"SELECT {columns} FROM assessment_item").fetchall()  # noqa: S608
    with TestClient(APP):
        yield
    with psycopg.connect(demo_db.libpq()) as conn:
        conn.execute("DELETE FROM login_attempt WHERE client_addr = 'testclient'")
        conn.execute("DELETE FROM assessment_item")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO assessment_item ({columns}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
                items,
            )


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_schema_kept(
    case: schemathesis.Case, auth_headers: dict[str, dict[str, str]]
) -> None:
    # The same generated request, sent once as each role.
    for role in ROLES:
        case.call_and_validate(
            headers=auth_headers[role], checks=[not_a_server_error, response_schema_conformance]
        )
