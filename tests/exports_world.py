"""A small territory of our own (district 410108) for the export / OGC / import tests.

It lives in the session's test database next to the demo city (when that is loaded) and uses
its own codes, users and rows, so the shared demo data never changes what these tests see.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from service.settings import Settings

DISTRICT = "410108"
PASSWORD = "export-pass"


def box(x1: float, y1: float, x2: float, y2: float) -> str:
    # clockwise on purpose: exports must turn outer rings counter-clockwise
    return f"MULTIPOLYGON((({x1} {y1},{x1} {y2},{x2} {y2},{x2} {y1},{x1} {y1})))"


STREETS = {
    "410108001": ("花园路街道", box(113.50, 34.80, 113.52, 34.84)),
    "410108002": ("文化路街道", box(113.52, 34.80, 113.54, 34.84)),
}
COMMUNITIES = {
    "410108001001": ("南阳社区", box(113.50, 34.80, 113.52, 34.82)),
    "410108001002": ("北林社区", box(113.50, 34.82, 113.52, 34.84)),
    "410108002001": ("东风社区", box(113.52, 34.80, 113.54, 34.84)),
}
GRIDS = {
    "410108001001001": box(113.50, 34.80, 113.51, 34.82),
    "410108001001002": box(113.51, 34.80, 113.52, 34.82),
    "410108001002001": box(113.50, 34.82, 113.52, 34.84),
    "410108002001001": box(113.52, 34.80, 113.54, 34.84),
}
AREAS = {
    "410108001001R001": ("幸福家园小区", box(113.501, 34.801, 113.505, 34.805), 320, 1998),
    "410108001001R002": ("=1+1 花园", box(113.511, 34.801, 113.515, 34.805), 150, None),
    "410108002001R001": ("文化苑", box(113.525, 34.81, 113.53, 34.815), 480, 2008),
    "410108002001R002": (
        "<script>alert(1)</script>苑",
        box(113.535, 34.83, 113.538, 34.833),
        90,
        None,
    ),
}
USERS = {
    "x7planner": ("planner", "district", DISTRICT),
    "x7admin": ("admin", None, None),
    "x7district": ("district_bureau", "district", DISTRICT),
    "x7street": ("street_office", "street", "410108001"),
    "x7worker": ("grid_worker", "community", "410108001001"),
}


@dataclass
class World:
    settings: Settings
    reports: list[str] = field(default_factory=list)
    patrols: list[str] = field(default_factory=list)


_CACHE: list[World] = []


def _insert_territory(s: Session) -> None:
    s.execute(
        text(
            "INSERT INTO district (code, name, geom) VALUES (:c, '惠济区(测试)',"
            " ST_GeomFromText(:g, 4326))"
        ),
        {"c": DISTRICT, "g": box(113.50, 34.80, 113.54, 34.84)},
    )
    for code, (name, wkt) in STREETS.items():
        s.execute(
            text(
                "INSERT INTO street (code, name, district_id, geom) SELECT :c, :n, id,"
                " ST_GeomFromText(:g, 4326) FROM district WHERE code = :p"
            ),
            {"c": code, "n": name, "g": wkt, "p": code[:6]},
        )
    for code, (name, wkt) in COMMUNITIES.items():
        s.execute(
            text(
                "INSERT INTO community (code, name, street_id, geom) SELECT :c, :n, id,"
                " ST_GeomFromText(:g, 4326) FROM street WHERE code = :p"
            ),
            {"c": code, "n": name, "g": wkt, "p": code[:9]},
        )
    for code, wkt in GRIDS.items():
        s.execute(
            text(
                "INSERT INTO grid_cell (code, community_id, geom, households) SELECT :c, id,"
                " ST_GeomFromText(:g, 4326), 300 FROM community WHERE code = :p"
            ),
            {"c": code, "g": wkt, "p": code[:12]},
        )
    for code, (name, wkt, households, year) in AREAS.items():
        s.execute(
            text(
                "INSERT INTO residential_area (code, name, community_id, geom, households,"
                " buildings, build_year) SELECT :c, :n, id, ST_GeomFromText(:g, 4326), :h, 6, :y"
                " FROM community WHERE code = :p"
            ),
            {"c": code, "n": name, "g": wkt, "h": households, "y": year, "p": code[:12]},
        )


USER_SQL = text(
    "INSERT INTO app_user (username, password_hash, role, district_id, street_id, community_id)"
    " VALUES (:u, :h, :r, (SELECT id FROM district WHERE code = :d),"
    " (SELECT id FROM street WHERE code = :s), (SELECT id FROM community WHERE code = :c))"
)


def _insert_users(s: Session) -> None:
    # plain SQL rather than user_admin.create_user, which leaves created_at NULL
    from service.domain.passwords import hash_password

    digest = hash_password(PASSWORD)
    for name, (role, level, code) in USERS.items():
        params = {"u": name, "h": digest, "r": role, "d": None, "s": None, "c": None}
        if level is not None:
            params["d"] = DISTRICT
            params[level[0]] = code
        s.execute(USER_SQL, params)


REPORT_SQL = text(
    "INSERT INTO report (id, geom, category_code, description, status, reporter_id,"
    " grid_cell_id, community_id, street_id, district_id, department_id, deadline_at,"
    " created_at, accuracy_m)"
    " SELECT :id, ST_SetSRID(ST_MakePoint(:x, :y), 4326), cat.code, :d, :st, u.id, g.id,"
    " c.id, c.street_id, st.district_id, cat.department_id,"
    " now() + interval '3 days', :t, 5.5"
    " FROM grid_cell g JOIN community c ON c.id = g.community_id"
    " JOIN street st ON st.id = c.street_id, app_user u,"
    " (SELECT code, department_id FROM event_category ORDER BY code LIMIT 1) cat"
    " WHERE g.code = :g AND u.username = 'x7worker'"
)


def _insert_field_work(s: Session, world: World) -> None:
    for i in range(30):
        rid = str(uuid.uuid4())
        grid = "410108001001001" if i % 3 else "410108002001001"
        x = 113.5005 + (i % 10) * 0.0009 if i % 3 else 113.53
        s.execute(
            REPORT_SQL,
            {
                "id": rid,
                "x": x,
                "y": 34.805 + i * 0.0002,
                "d": "-楼道堆放杂物" if i == 0 else f"第{i}号：消防通道被占用，请处理",
                "st": "closed" if i % 5 == 0 else "reported",
                "g": grid,
                "t": f"2026-0{1 + i % 6}-15T08:00:00+00:00",
            },
        )
        world.reports.append(rid)
    for i in range(3):
        pid = str(uuid.uuid4())
        s.execute(
            text(
                "INSERT INTO patrol (id, worker_id, grid_cell_id, community_id, street_id,"
                " district_id, started_at, ended_at, geom, note)"
                " SELECT :id, u.id, g.id, c.id, c.street_id, st.district_id,"
                " '2026-03-01T09:00:00+00', '2026-03-01T10:00:00+00',"
                " ST_GeomFromText(:g, 4326), '巡查正常'"
                " FROM app_user u, grid_cell g JOIN community c ON c.id = g.community_id"
                " JOIN street st ON st.id = c.street_id"
                " WHERE u.username = 'x7worker' AND g.code = '410108001001001'"
            ),
            {"id": pid, "g": f"LINESTRING(113.501 34.801,113.505 {34.803 + i * 0.001})"},
        )
        world.patrols.append(pid)


@pytest.fixture(scope="session")
def export_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    """District 410108 with streets, communities, 小区, grids, reports, patrols and users.

    Test modules re-export this fixture, so pytest may call it once per module: the world is
    built on the first call and reused after (module-level cache).
    """
    if _CACHE:
        return _CACHE[0]
    if importlib.util.find_spec("gis_data.demo_loader") is not None:
        request.getfixturevalue("demo_db")  # load the demo city first when it exists
    db = request.getfixturevalue("test_db")
    settings = Settings(
        database_url=db.app_url,
        migration_database_url=db.owner_url,
        data_dir=tmp_path_factory.mktemp("wangge-exports"),
    )
    world = World(settings=settings)
    engine = create_engine(db.owner_url)
    with Session(engine) as s, s.begin():
        _insert_territory(s)
        _insert_users(s)
        _insert_field_work(s, world)
    engine.dispose()
    _CACHE.append(world)
    return world


@pytest.fixture(scope="session")
def export_client(export_world: World) -> Iterator[TestClient]:
    from service.main import create_app

    with TestClient(create_app(export_world.settings)) as c:
        yield c


@pytest.fixture(scope="session")
def export_headers(export_client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers for this world's users."""
    out = {}
    for name in USERS:
        r = export_client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out
