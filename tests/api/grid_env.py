"""A territory, users and an app client of its own for the grid API tests (no demo needed)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.domain.passwords import hash_password
from tests.fixtures.grid_territory import Territory, create_territory


@dataclass
class GridEnv:
    client: TestClient
    territory: Territory
    other: Territory
    users: dict[str, str] = field(default_factory=dict)  # key → username
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


USER_ROLES = {
    "staff": ("community_staff", "c1"),
    "street": ("street_office", "street"),
    "worker1": ("grid_worker", "c1"),
    "worker2": ("grid_worker", "c1"),
    "worker_c2": ("grid_worker", "c2"),
    "other_street": ("street_office", "other"),
    "planner": ("planner", "district"),
}


def build_env(owner_url: str, client: TestClient, seed: int | None = None) -> GridEnv:
    rng = random.Random(seed)
    engine = create_engine(owner_url)
    suffix = uuid.uuid4().hex[:6]
    with engine.begin() as conn:
        territory = create_territory(conn, rng, communities=2, blocks=(3, 2))
        other = create_territory(conn, rng, communities=1, blocks=(2, 2))
        env = GridEnv(client, territory, other)
        password_hash = hash_password("grid-demo")
        for key, (role, where) in USER_ROLES.items():
            username = f"g4{key.replace('_', '')}{suffix}"
            # plain SQL rather than user_admin.create_user, which leaves created_at NULL
            conn.execute(
                text(
                    "INSERT INTO app_user (username, password_hash, role, district_id,"
                    " street_id, community_id) SELECT :u, :p, :r, s.district_id,"
                    " CASE WHEN :w IN ('street', 'other') THEN s.id END,"
                    " (SELECT id FROM community WHERE code = :c)"
                    " FROM street s WHERE s.code = :s"
                ),
                {
                    "u": username,
                    "p": password_hash,
                    "r": role,
                    "w": where,
                    "c": {"c1": territory.communities[0], "c2": territory.communities[1]}.get(
                        where
                    ),
                    "s": other.street_code if where == "other" else territory.street_code,
                },
            )
            env.users[key] = username
    engine.dispose()
    for key, username in env.users.items():
        r = client.post("/api/auth/token", data={"username": username, "password": "grid-demo"})
        assert r.status_code == 200, r.text
        env.headers[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return env
