"""Token login, /api/me and logout against the demo accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import login


def test_me_reports_role_and_jurisdiction(client: TestClient, auth_headers) -> None:
    me = client.get("/api/me", headers=auth_headers["street1"]).json()
    assert me["role"] == "street_office"
    assert me["jurisdiction"]["level"] == "street"
    assert len(me["jurisdiction"]["street_code"]) == 9
    worker = client.get("/api/me", headers=auth_headers["worker1"]).json()
    assert worker["role"] == "grid_worker"
    assert worker["jurisdiction"]["level"] == "community"


def test_wrong_password_is_401(client: TestClient) -> None:
    r = client.post("/api/auth/token", data={"username": "street1", "password": "nope"})
    assert r.status_code == 401


def test_logout_revokes_the_token(client: TestClient) -> None:
    headers = login(client, "planner")
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401
