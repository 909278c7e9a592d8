"""Admin user management (API and CLI), own password change, token expiry, audit rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.conftest import TestDatabase
from tests.fixtures_authz import PASSWORD, World, bearer


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_admin_creates_lists_and_deactivates(world_client: TestClient, world: World) -> None:
    admin = world.headers["admin"]
    name = _name("u")
    body = {
        "username": name,
        "password": "a-long-password",
        "role": "grid_worker",
        "community_code": "419901002001",
        "display_name": "张三",
    }
    r = world_client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["community_id"] == world.areas["sibling"].community_id
    assert created["district_id"] == world.areas["sibling"].district_id
    listed = world_client.get("/api/users", headers=admin).json()
    assert name in {u["username"] for u in listed}

    user_headers = bearer(world_client, name, "a-long-password")
    assert world_client.get("/api/me", headers=user_headers).status_code == 200
    r = world_client.post(f"/api/users/{created['id']}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_tokens"] == 1
    assert r.json()["user"]["is_active"] is False
    assert world_client.get("/api/me", headers=user_headers).status_code == 401
    again = world_client.post(
        "/api/auth/token", data={"username": name, "password": "a-long-password"}
    )
    assert again.status_code == 401


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "grid_worker"}, "community_code"),
        ({"role": "street_office", "district_code": "419901"}, "street_code"),
        ({"role": "department", "district_code": "419901"}, "department_code"),
        ({"role": "grid_worker", "community_code": "999999999999"}, "community"),
        ({"role": "planner", "district_code": "419901", "is_active": False}, "is_active"),
        ({"role": "planner", "district_code": "419901", "password": "short"}, "password"),
    ],
)
def test_bad_user_bodies_say_which_field(
    world_client: TestClient, world: World, extra: dict[str, object], field: str
) -> None:
    body = {"username": _name("bad"), "password": "a-long-password", **extra}
    r = world_client.post("/api/users", json=body, headers=world.headers["admin"])
    assert r.status_code == 422, r.text
    assert field in r.text


def test_duplicate_username_is_409(world_client: TestClient, world: World) -> None:
    body = {"username": "mx_worker", "password": "a-long-password", "role": "admin"}
    r = world_client.post("/api/users", json=body, headers=world.headers["admin"])
    assert r.status_code == 409


def test_non_admin_cannot_manage_users(world_client: TestClient, world: World) -> None:
    for role in ("district_bureau", "street_office", "grid_worker"):
        h = world.headers[role]
        assert world_client.get("/api/users", headers=h).status_code == 403
        assert (
            world_client.post(
                f"/api/users/{world.users['mx_worker']}/deactivate", headers=h
            ).status_code
            == 403
        )


def test_change_own_password_revokes_other_tokens(
    world_client: TestClient, world: World, owner_engine: Engine
) -> None:
    name = _name("pw")
    world_client.post(
        "/api/users",
        json={"username": name, "password": PASSWORD, "role": "planner", "district_code": "419901"},
        headers=world.headers["admin"],
    ).raise_for_status()
    phone, desktop = bearer(world_client, name), bearer(world_client, name)
    bad = {"old_password": "not-it", "new_password": "brand-new-pass"}
    assert world_client.post("/api/me/password", json=bad, headers=desktop).status_code == 422
    good = {"old_password": PASSWORD, "new_password": "brand-new-pass"}
    assert world_client.post("/api/me/password", json=good, headers=desktop).status_code == 204
    assert world_client.get("/api/me", headers=desktop).status_code == 200
    assert world_client.get("/api/me", headers=phone).status_code == 401
    assert bearer(world_client, name, "brand-new-pass")
    with owner_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT action, object_type, object_id, client_addr FROM audit_log"
                " WHERE username = :u AND path = '/api/me/password'"
            ),
            {"u": name},
        ).all()
    # Only the successful change is audited (the failed one rolled back with its request).
    assert len(row) == 1
    assert row[0].action == "me:password" and row[0].object_type == "user"
    assert row[0].client_addr == "testclient"


def test_expired_token_is_refused(
    world_client: TestClient, world: World, owner_engine: Engine
) -> None:
    headers = bearer(world_client, "mx_planner")
    token = headers["Authorization"].split()[1]
    import hashlib

    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE auth_token SET expires_at = :t WHERE token_sha256 = :h"),
            {
                "t": datetime.now(UTC) - timedelta(seconds=1),
                "h": hashlib.sha256(token.encode()).hexdigest(),
            },
        )
    assert world_client.get("/api/me", headers=headers).status_code == 401


def test_writes_are_audited_with_who_what_where(
    world_client: TestClient, world: World, owner_engine: Engine
) -> None:
    name = _name("aud")
    r = world_client.post(
        "/api/users",
        json={"username": name, "password": PASSWORD, "role": "planner", "district_code": "410299"},
        headers=world.headers["admin"],
    )
    assert r.status_code == 201
    with owner_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, action, method, object_type, object_id, summary FROM audit_log"
                " WHERE object_id = :id AND action = 'user:admin'"
            ),
            {"id": str(r.json()["id"])},
        ).one()
    assert row.username == "mx_admin" and row.method == "POST" and row.object_type == "user"
    assert row.summary == {"username": name}


def test_audit_log_is_append_only(owner_engine: Engine) -> None:
    with owner_engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM audit_log"))


def test_cli_users_create_list_deactivate(
    test_db: TestDatabase, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.cli import app

    monkeypatch.setenv("WANGGE_DATABASE_URL", test_db.app_url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", test_db.owner_url)
    runner = CliRunner()
    name = _name("cli")
    r = runner.invoke(
        app,
        [
            "users",
            "create",
            name,
            "--role",
            "street_office",
            "--street",
            "410299001",
            "--password",
            "pw-cli-123",
        ],
    )
    assert r.exit_code == 0, r.output
    listed = runner.invoke(app, ["users", "list"])
    assert any(
        line.startswith(f"{name}\tstreet_office\tTrue\t410299\t410299001")
        for line in listed.output.splitlines()
    )
    r = runner.invoke(app, ["users", "deactivate", name])
    assert r.exit_code == 0 and "deactivated" in r.output
    assert name not in runner.invoke(app, ["users", "list"]).output
    assert name in runner.invoke(app, ["users", "list", "--all"]).output
    bad = runner.invoke(
        app, ["users", "create", _name("cli"), "--role", "grid_worker", "--password", "pw-cli-123"]
    )
    assert bad.exit_code == 2 and "community" in bad.output
