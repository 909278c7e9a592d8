"""An administrator bound to a district manages only that district and never an account that
reaches wider than its own (the matrix covers every route; these pin the account rules)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.domain.policy import POLICY, reaches_wider, scope_for
from service.domain.principal import Principal
from tests.fixtures_authz import World, bearer


def _admin(district_id: int | None) -> Principal:
    return Principal(1, "a", "admin", district_id, None, None)


def test_all_means_the_district_for_a_bound_admin() -> None:
    for action, rule in POLICY.items():
        if rule.get("admin") == "all":
            assert scope_for(_admin(7), action) == "district", action
            assert scope_for(_admin(None), action) == "all", action


def test_wider_accounts() -> None:
    street = Principal(2, "s", "street_office", 7, 70, None)
    assert reaches_wider(_admin(None), _admin(7))
    assert not reaches_wider(_admin(7), _admin(7))
    assert reaches_wider(_admin(7), street) and not reaches_wider(street, _admin(7))


def _active(engine: Engine, username: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT is_active FROM app_user WHERE username = :u"), {"u": username}
            ).scalar_one()
        )


def test_bound_admin_cannot_see_or_deactivate_the_unbound_admin(
    world_client: TestClient, world: World, owner_engine: Engine
) -> None:
    headers = bearer(world_client, "mx_admin_d1")
    listed = {u["username"] for u in world_client.get("/api/users", headers=headers).json()}
    assert "mx_admin_d1" in listed and "mx_rep_sibling" in listed
    assert "mx_admin" not in listed and "mx_rep_other" not in listed
    r = world_client.post(f"/api/users/{world.users['mx_admin']}/deactivate", headers=headers)
    assert r.status_code == 404 and _active(owner_engine, "mx_admin")
    r = world_client.post(f"/api/users/{world.users['mx_rep_other']}/deactivate", headers=headers)
    assert r.status_code == 404 and _active(owner_engine, "mx_rep_other")


def test_bound_admin_cannot_create_a_wider_or_foreign_account(
    world_client: TestClient, world: World, owner_engine: Engine
) -> None:
    headers = bearer(world_client, "mx_admin_d1")
    body = {"password": "a-long-password", "role": "admin"}
    wide = {**body, "username": f"mxwide-{uuid.uuid4().hex[:8]}"}
    foreign = {**body, "username": f"mxfar-{uuid.uuid4().hex[:8]}", "district_code": "410299"}
    same = {**body, "username": f"mxsame-{uuid.uuid4().hex[:8]}", "district_code": "419901"}
    for refused in (wide, foreign):
        r = world_client.post("/api/users", json=refused, headers=headers)
        assert r.status_code == 404, r.text
        assert r.json()["detail"]["message_zh"]
        with owner_engine.connect() as conn:
            assert not conn.execute(
                text("SELECT 1 FROM app_user WHERE username = :u"), {"u": refused["username"]}
            ).first()
    assert world_client.post("/api/users", json=same, headers=headers).status_code == 201
