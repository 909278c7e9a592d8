"""Readiness, metrics and request ids: what an installation's operator and monitoring see."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings, local_database_url
from tests.conftest import drop_database, migrate, recreate_database


def test_ready_when_migrations_are_current(client: TestClient) -> None:
    r = client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"
    assert r.json()["migrations"]


@pytest.fixture(scope="module")
def behind_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database one migration behind the code (an upgrade that skipped `wangge db upgrade`)."""
    name = f"wangge_behind_{uuid.uuid4().hex[:6]}"
    recreate_database(name)
    try:
        migrate(local_database_url("wangge", name), "010_map_open_reports")
        yield Settings(
            database_url=local_database_url("wangge_app", name),
            migration_database_url=local_database_url("wangge", name),
            data_dir=tmp_path_factory.mktemp("behind"),
        )
    finally:
        drop_database(name)


def test_not_ready_when_migrations_are_behind(behind_db: Settings) -> None:
    with TestClient(create_app(behind_db)) as c:
        r = c.get("/ready")
        health = c.get("/health")
    assert r.status_code == 503
    assert r.headers["retry-after"]
    assert r.json()["reason"] == "migrations_not_current"
    assert r.json()["applied"] == ["010_map_open_reports"]
    assert health.status_code == 200  # alive and answering: only not ready for traffic


def test_not_ready_without_database(tmp_path) -> None:
    settings = Settings(
        database_url=f"postgresql+psycopg://nobody@/nowhere?host={tmp_path}&port=1",
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as c:
        r = c.get("/ready")
    assert r.status_code == 503
    assert r.json()["reason"] == "database_unreachable"


def test_metrics_by_route_template_for_allowed_addresses(settings: Settings) -> None:
    with TestClient(create_app(settings), client=("127.0.0.1", 40000)) as c:
        missing = str(uuid.uuid4())
        token = c.post("/api/auth/token", data={"username": "district", "password": "demo"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert c.get(f"/api/reports/{missing}", headers=headers).status_code == 404
        r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    # the template, never the raw id: one series per route whatever ids clients send
    assert 'route="/api/reports/{report_id}",status="404"' in text
    assert missing not in text
    assert "wangge_db_pool_connections" in text
    assert 'wangge_db_pool_waiting_requests{pool="async"}' in text


def test_metrics_hidden_from_other_addresses(settings: Settings) -> None:
    with TestClient(create_app(settings), client=("203.0.113.7", 40000)) as c:
        assert c.get("/metrics").status_code == 404


def test_request_id_echoed_when_plain_and_replaced_when_not(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "nginx-42.a"}).headers[
        "x-request-id"
    ] == ("nginx-42.a")
    hostile = client.get("/health", headers={"X-Request-ID": "x<script>alert(1)</script>"})
    assigned = hostile.headers["x-request-id"]
    assert "<" not in assigned and len(assigned) == 32


def test_access_log_line_carries_request_id_and_route(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    from service.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="wangge.access"):
        client.get("/api/reports/not-a-uuid", headers={"X-Request-ID": "trace-7"})
    records = [r for r in caplog.records if r.name == "wangge.access"]
    assert records, "no access log line"
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["route"] == "/api/reports/{report_id}"
    assert line["path"] == "/api/reports/not-a-uuid"
    assert line["status"] in (401, 422)
    assert isinstance(line["duration_ms"], float)
