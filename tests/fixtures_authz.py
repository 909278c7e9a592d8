"""A small world for authorisation tests, built through the owner connection.

Two districts far from the demo city (so nothing here overlaps demo geometry):
D1 "419901" near Luoyang with streets S1 (community C1) and S2 (community C2), and D2 "410299"
near Kaifeng with street S3 (community C3). One user per role sits in D1 / S1 / C1 (the
department user is fire and rescue), plus an admin bound to D1 beside the admin with no
district; reports routed to fire and rescue lie in C1, C2 and C3,
plus one in C1 routed to urban management.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from service.domain.passwords import hash_password
from service.settings import Settings

PASSWORD = "matrix-pass-1"
TARGETS = ("own", "sibling", "other")

_AREAS = {
    # key: (district, street, community, (xmin, ymin, xmax, ymax))
    "own": ("419901", "419901001", "419901001001", (112.40, 34.60, 112.45, 34.65)),
    "sibling": ("419901", "419901002", "419901002001", (112.45, 34.60, 112.50, 34.65)),
    "other": ("410299", "410299001", "410299001001", (114.30, 34.75, 114.35, 34.80)),
}
_DISTRICT_BOXES = {
    "419901": (112.40, 34.60, 112.50, 34.65),
    "410299": (114.30, 34.75, 114.35, 34.80),
}

ROLE_USERS = {
    "grid_worker": ("mx_worker", {"community": "own"}),
    "community_staff": ("mx_community", {"community": "own"}),
    "street_office": ("mx_street", {"street": "own"}),
    "district_bureau": ("mx_district", {"district": "own"}),
    "department": ("mx_fire", {"district": "own", "department": "fire_rescue"}),
    "planner": ("mx_planner", {"district": "own"}),
    "admin": ("mx_admin", {}),
    # An administrator bound to D1: its reach is D1, everywhere (the matrix's extra "role").
    "district_admin": ("mx_admin_d1", {"district": "own"}),
}
# Matrix roles that are not database roles: the role the account has in app_user.
DB_ROLE = {"district_admin": "admin"}


@dataclass
class Area:
    district_id: int
    street_id: int
    community_id: int
    box: tuple[float, float, float, float]

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass
class World:
    areas: dict[str, Area]
    users: dict[str, int]  # username → id
    reports: dict[str, uuid.UUID]  # target → fire report in that area
    other_department_report: uuid.UUID
    reporters: dict[str, str]  # target → username of a grid worker there
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # role → bearer


def _box_sql() -> str:
    return "ST_Multi(ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))"


def _get_or_create(conn: Connection, table: str, code: str, values: dict[str, object]) -> int:
    assert table in ("district", "street", "community")
    found = conn.execute(text(f"SELECT id FROM {table} WHERE code = :c"), {"c": code}).scalar()
    if found:
        return int(found)
    cols = ", ".join(k for k in values if k not in ("x1", "y1", "x2", "y2"))
    params = ", ".join(f":{k}" for k in values if k not in ("x1", "y1", "x2", "y2"))
    return int(
        conn.execute(
            text(
                f"INSERT INTO {table} (code, {cols}, geom) VALUES (:c, {params}, {_box_sql()})"
                " RETURNING id"
            ),
            {"c": code, **values},
        ).scalar_one()
    )


def _build_areas(conn: Connection) -> dict[str, Area]:
    areas: dict[str, Area] = {}
    for key, (dcode, scode, ccode, box) in _AREAS.items():
        x1, y1, x2, y2 = _DISTRICT_BOXES[dcode]
        did = _get_or_create(
            conn,
            "district",
            dcode,
            {"name": f"测试区{dcode}", "x1": x1, "y1": y1, "x2": x2, "y2": y2},
        )
        bx = dict(zip(("x1", "y1", "x2", "y2"), box, strict=True))
        sid = _get_or_create(
            conn, "street", scode, {"name": f"测试街道{scode}", "district_id": did, **bx}
        )
        cid = _get_or_create(
            conn, "community", ccode, {"name": f"测试社区{ccode}", "street_id": sid, **bx}
        )
        areas[key] = Area(did, sid, cid, box)
    return areas


def create_world_user(
    conn: Connection, username: str, role: str, areas: dict[str, Area], where: dict[str, str]
) -> int:
    """A user (get or create) with the matrix password; `where` maps level → area key."""
    found = conn.execute(
        text("SELECT id FROM app_user WHERE username = :u"), {"u": username}
    ).scalar()
    if found:
        return int(found)
    area_key = next(iter(where.values()), None) if where else None
    area = areas[area_key] if area_key in areas else None
    dept = where.get("department")
    return int(
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, district_id, street_id,"
                " community_id, department_id) VALUES (:u, :h, :r, :d, :s, :c,"
                " (SELECT id FROM department WHERE code = :dept)) RETURNING id"
            ),
            {
                "u": username,
                "h": _HASH,
                "r": role,
                "d": area.district_id if area else None,
                "s": area.street_id if area and "street" in where else None,
                "c": area.community_id if area and "community" in where else None,
                "dept": dept,
            },
        ).scalar_one()
    )


def insert_report(
    conn: Connection, area: Area, reporter_id: int, department: str = "fire_rescue"
) -> uuid.UUID:
    """A report at the centre of `area`, routed to `department` (owner connection, no RLS)."""
    rid = uuid.uuid4()
    x, y = area.center
    category = conn.execute(
        text(
            "SELECT c.code FROM event_category c JOIN department d ON d.id = c.department_id"
            " WHERE d.code = :dept ORDER BY c.code LIMIT 1"
        ),
        {"dept": department},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO report (id, geom, category_code, reporter_id, community_id, street_id,"
            " district_id, department_id, deadline_at)"
            " VALUES (:id, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :cat, :rep, :c, :s, :d,"
            " (SELECT id FROM department WHERE code = :dept), now() + interval '3 days')"
        ),
        {
            "id": rid,
            "x": x,
            "y": y,
            "cat": category,
            "rep": reporter_id,
            "c": area.community_id,
            "s": area.street_id,
            "d": area.district_id,
            "dept": department,
        },
    )
    return rid


_HASH = hash_password(PASSWORD)


def _build_world(engine: Engine) -> World:
    with engine.begin() as conn:
        areas = _build_areas(conn)
        users = {
            name: create_world_user(conn, name, DB_ROLE.get(role, role), areas, where)
            for role, (name, where) in ROLE_USERS.items()
        }
        users["mx_street2"] = create_world_user(
            conn, "mx_street2", "street_office", areas, {"street": "sibling"}
        )
        reporters = {t: f"mx_rep_{t}" for t in TARGETS}
        for t, name in reporters.items():
            users[name] = create_world_user(conn, name, "grid_worker", areas, {"community": t})
        reports = {t: insert_report(conn, areas[t], users[reporters[t]]) for t in TARGETS}
        urban = insert_report(conn, areas["own"], users[reporters["own"]], "urban_management")
    return World(areas, users, reports, urban, reporters)


@pytest.fixture(scope="session")
def world_settings(test_db, tmp_path_factory: pytest.TempPathFactory) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=tmp_path_factory.mktemp("wangge-authz"),
    )


@pytest.fixture(scope="session")
def world_client(world_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client over the test database (demo city not needed)."""
    from service.main import create_app

    with TestClient(create_app(world_settings)) as c:
        yield c


@pytest.fixture(scope="session")
def world(owner_engine: Engine, world_client: TestClient) -> World:
    built = _build_world(owner_engine)
    for role, (name, _) in ROLE_USERS.items():
        built.headers[role] = bearer(world_client, name)
    return built


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
