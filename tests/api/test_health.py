"""Health, docs and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


def test_health_reports_versions(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["postgresql"].startswith("15")
    assert body["database"]["postgis"].startswith("3")


def test_health_is_503_without_database(tmp_path) -> None:
    settings = Settings(
        database_url=f"postgresql+psycopg://nobody@/nowhere?host={tmp_path}&port=1",
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as c:
        r = c.get("/health")
    assert r.status_code == 503
    assert r.headers["retry-after"]


def test_docs_and_openapi(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/health" in spec["paths"]
    assert "/api/auth/token" in spec["paths"]
