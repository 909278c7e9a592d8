"""What the one-statement filing (wangge_file_report) checks itself: the token, a cookie
session's CSRF echo, and that the report, its history row and its audit row commit together."""

from __future__ import annotations

import hashlib
import os
import re
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from service.main import create_app
from service.settings import Settings, local_database_url
from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def spots(owner_engine: Engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 10, seed=11)


def _rows(owner_engine: Engine, report_id: str) -> tuple[int, int, int]:
    """(reports, history rows, audit rows) stored for this id."""
    with owner_engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM report WHERE id = :id),"
                " (SELECT count(*) FROM report_event WHERE report_id = :id),"
                " (SELECT count(*) FROM audit_log WHERE object_id = CAST(:id AS text)"
                "   AND action = 'report:create')"
            ),
            {"id": report_id},
        ).one()


def _browser_login(settings: Settings, username: str) -> TestClient:
    b = TestClient(create_app(settings), follow_redirects=False)
    b.__enter__()
    page = b.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    data = {"username": username, "password": "demo", "csrf": csrf.group(1), "next": "/m"}
    assert b.post("/login", data=data).status_code == 303
    return b


def test_report_history_and_audit_row_are_stored_together(
    client: TestClient, auth_headers, spots, owner_engine: Engine
) -> None:
    body = report_body(*spots[0])
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    assert _rows(owner_engine, body["id"]) == (1, 1, 1)
    with owner_engine.connect() as conn:
        audit = conn.execute(
            text(
                "SELECT username, method, path, object_type FROM audit_log"
                " WHERE object_id = :id AND action = 'report:create'"
            ),
            {"id": body["id"]},
        ).one()
    assert tuple(audit) == ("worker1", "POST", "/api/reports", "report")
    # a replay is audited as a request, and stores nothing else
    again = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert again.status_code == 200
    assert _rows(owner_engine, body["id"]) == (1, 1, 2)


def test_a_refused_filing_stores_nothing(
    client: TestClient, auth_headers, spots, owner_engine: Engine
) -> None:
    body = {**report_body(*spots[1]), "category": "no_such_category"}
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 422 and r.json()["detail"]["where"]["field"] == "category"
    assert _rows(owner_engine, body["id"]) == (0, 0, 0)


def test_unknown_revoked_or_expired_token_is_401(
    client: TestClient, spots, owner_engine: Engine
) -> None:
    body = report_body(*spots[2])
    r = client.post("/api/reports", json=body, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    login = client.post("/api/auth/token", data={"username": "worker1", "password": "demo"})
    token = login.json()["access_token"]
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE auth_token SET expires_at = now() - interval '1 second'"
                " WHERE token_sha256 = :h"
            ),
            {"h": hashlib.sha256(token.encode()).hexdigest()},
        )
    r = client.post("/api/reports", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert _rows(owner_engine, body["id"]) == (0, 0, 0)


def test_cookie_session_must_echo_its_csrf_token(
    settings: Settings, spots, owner_engine: Engine
) -> None:
    b = _browser_login(settings, "worker1")
    try:
        body = report_body(*spots[3])
        assert b.post("/api/reports", json=body).status_code == 403
        forged = b.post("/api/reports", json=body, headers={"X-CSRF-Token": "forged"})
        assert forged.status_code == 403
        assert _rows(owner_engine, body["id"]) == (0, 0, 0)
        echoed = b.post(
            "/api/reports", json=body, headers={"X-CSRF-Token": b.cookies["wangge_csrf"]}
        )
        assert echoed.status_code == 201, echoed.text
        assert _rows(owner_engine, body["id"]) == (1, 1, 1)
    finally:
        b.__exit__(None, None, None)


def test_two_filers_cannot_share_an_id(
    client: TestClient, auth_headers, spots, owner_engine: Engine
) -> None:
    body = report_body(*spots[4])
    assert (
        client.post("/api/reports", json=body, headers=auth_headers["worker1"]).status_code == 201
    )
    other = client.post("/api/reports", json=body, headers=auth_headers["community1"])
    assert other.status_code == 409 and other.json()["detail"]["where"] == {"field": "id"}
    assert _rows(owner_engine, body["id"]) == (1, 1, 1)
    assert uuid.UUID(body["id"])


def test_filing_and_tiles_survive_a_dropped_pooled_connection(
    client: TestClient, auth_headers, spots, owner_engine: Engine
) -> None:
    """After the database drops the app's connections (a restart, an admin), the next filing
    and the next tile still succeed: a dead pooled connection is replaced and the statement
    sent again (both are safe to repeat)."""
    if os.environ.get("WANGGE_TEST_OWNER_URL"):
        pytest.skip("needs the local cluster's superuser to cut the app's connections")
    headers = auth_headers["worker1"]
    assert (
        client.post("/api/reports", json=report_body(*spots[5]), headers=headers).status_code == 201
    )
    assert client.get("/tiles/street/12/3340/1650.pbf", headers=headers).status_code == 200
    superuser = make_url(local_database_url("postgres", "postgres")).set(drivername="postgresql")
    with psycopg.connect(superuser.render_as_string(hide_password=False), autocommit=True) as su:
        cut = su.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE usename = 'wangge_app' AND datname = %s",
            (make_url(str(owner_engine.url)).database,),
        ).fetchone()[0]  # type: ignore[index]
    assert cut >= 1
    body = report_body(*spots[6])
    r = client.post("/api/reports", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert _rows(owner_engine, body["id"]) == (1, 1, 1)
    assert client.get("/tiles/street/12/3340/1651.pbf", headers=headers).status_code == 200
