"""Helpers shared by the reliability tests: an own admin account on any test database."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.domain.passwords import hash_password
from tests.conftest import TestDatabase


def own_admin_headers(db: TestDatabase, client: TestClient) -> dict[str, str]:
    """Create a throw-away admin (no district) and return its bearer header."""
    name = f"rel-{uuid.uuid4().hex[:10]}"
    engine = create_engine(db.owner_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, display_name, password_hash, role, is_active)"
                " VALUES (:u, 'reliability test', :h, 'admin', true)"
            ),
            {"u": name, "h": hash_password("pw-reliability")},
        )
    engine.dispose()
    r = client.post("/api/auth/token", data={"username": name, "password": "pw-reliability"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
