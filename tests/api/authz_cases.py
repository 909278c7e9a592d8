"""Per-endpoint cases for the authorisation matrix (tests/api/test_authz_matrix.py).

Every route that is not public needs one entry here, keyed by (METHOD, path template). A case
says how to call the route for a role against a target object in one of three places —
"own" (the caller's community/street/district), "sibling" (another street of the same district)
and "other" (another district) — and what kind of answer it gives:

- "object": one object (or a write on one): visible → 2xx or a 4xx other than 403/404;
  outside the caller's reach → 404.
- "list":   a list: 200 always; the target object's id is listed iff it is within reach.
- "self":   the caller's own account; only the role gate (403 or not) applies.

Which outcome is expected is computed from POLICY by the matrix itself, never written here.
Add your endpoint with `@case(...)` next to the ones below; `ctx.world` has the areas, users,
reports (fire-routed, one per target) and `ctx.owner` (an Engine) to build more fixtures.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.fixtures_authz import _AREAS, ROLE_USERS, World, bearer, create_world_user, insert_report


@dataclass
class Ctx:
    client: TestClient
    world: World
    owner: Engine

    def headers(self, role: str) -> dict[str, str]:
        return self.world.headers[role]

    def fresh_headers(self, role: str) -> dict[str, str]:
        """A new token, for cases that revoke the one they use."""
        return bearer(self.client, ROLE_USERS[role][0])


Call = Callable[[Ctx, str, str], httpx.Response]


@dataclass(frozen=True)
class Case:
    kind: str
    call: Call
    target_id: Callable[[Ctx, str], Any] | None = None
    listed_ids: Callable[[httpx.Response], set[Any]] | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return ("own",) if self.kind == "self" else ("own", "sibling", "other")


CASES: dict[tuple[str, str], Case] = {}


def case(
    method: str,
    path: str,
    kind: str,
    *,
    target_id: Callable[[Ctx, str], Any] | None = None,
    listed_ids: Callable[[httpx.Response], set[Any]] | None = None,
) -> Callable[[Call], Call]:
    """Register the matrix case for one route."""
    assert kind in ("object", "list", "self")

    def register(call: Call) -> Call:
        CASES[(method, path)] = Case(kind, call, target_id, listed_ids)
        return call

    return register


def _ids(key: str = "id") -> Callable[[httpx.Response], set[Any]]:
    return lambda r: {str(item[key]) for item in r.json()}


# --- accounts and report reads


@case("GET", "/api/me", "self")
def _me(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/me", headers=ctx.headers(role))


@case("GET", "/account", "self")
def _account_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/account", headers=ctx.headers(role))


@case("POST", "/api/auth/logout", "self")
def _logout(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.post("/api/auth/logout", headers=ctx.fresh_headers(role))


@case("POST", "/api/me/password", "self")
def _password(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"old_password": "not-the-password", "new_password": "never-set-123"}
    return ctx.client.post("/api/me/password", json=body, headers=ctx.headers(role))


@case(
    "GET",
    "/api/users",
    "list",
    target_id=lambda ctx, t: str(ctx.world.users[ctx.world.reporters[t]]),
    listed_ids=_ids(),
)
def _list_users(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/users", headers=ctx.headers(role))


@case("POST", "/api/users", "object")
def _create_user(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {
        "username": f"mxnew-{uuid.uuid4().hex[:10]}",
        "password": "a-long-password",
        "role": "grid_worker",
        "community_code": _AREAS[target][2],
    }
    return ctx.client.post("/api/users", json=body, headers=ctx.headers(role))


@case("POST", "/api/users/{user_id}/deactivate", "object")
def _deactivate(ctx: Ctx, role: str, target: str) -> httpx.Response:
    name = f"mxthrow-{uuid.uuid4().hex[:10]}"
    with ctx.owner.begin() as conn:
        uid = create_world_user(conn, name, "grid_worker", ctx.world.areas, {"community": target})
    return ctx.client.post(f"/api/users/{uid}/deactivate", headers=ctx.headers(role))


@case("GET", "/api/reports/{report_id}", "object")
def _read_report(ctx: Ctx, role: str, target: str) -> httpx.Response:
    rid = ctx.world.reports[target]
    return ctx.client.get(f"/api/reports/{rid}", headers=ctx.headers(role))


@case(
    "GET",
    "/api/reports",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=_ids(),
)
def _list_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    x1, y1, x2, y2 = ctx.world.areas[target].box
    bbox = f"{x1},{y1},{x2},{y2}"
    return ctx.client.get("/api/reports", params={"bbox": bbox}, headers=ctx.headers(role))


# --- grid cells. Each call gets fresh cells (writes retire them) in its own slot of
# the target community, so cases never overlap one another.

_grid_slots = itertools.count()
_CELL_DEG = 0.0004


def _fresh_cells(ctx: Ctx, target: str, n: int = 1) -> list[str]:
    """n adjacent square cells in a free slot of the target's community; their codes."""
    from service.domain.grid_codes import cell_code, next_sequences

    x1, y1, _, _ = ctx.world.areas[target].box
    slot = next(_grid_slots)
    x0 = x1 + 0.001 + (slot % 40) * 0.001
    y0 = y1 + 0.001 + (slot // 40) * 0.0008
    ccode = _AREAS[target][2]
    with ctx.owner.begin() as conn:
        used = conn.execute(
            text("SELECT code FROM grid_cell WHERE left(code, 12) = :c"), {"c": ccode}
        ).scalars()
        codes = [cell_code(ccode, s) for s in next_sequences(ccode, list(used), n)]
        for i, code in enumerate(codes):
            conn.execute(
                text(
                    "INSERT INTO grid_cell (code, community_id, geom, households) VALUES"
                    " (:code, :c, ST_Multi(ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)), 200)"
                ),
                {
                    "code": code,
                    "c": ctx.world.areas[target].community_id,
                    "x1": x0 + i * _CELL_DEG,
                    "y1": y0,
                    "x2": x0 + (i + 1) * _CELL_DEG,
                    "y2": y0 + _CELL_DEG,
                },
            )
    return codes


def _assigned_cell(ctx: Ctx, target: str) -> tuple[str, int]:
    """A fresh cell whose primary is the target's grid worker; (code, assignment id)."""
    (code,) = _fresh_cells(ctx, target)
    worker = ctx.world.users[ctx.world.reporters[target]]
    with ctx.owner.begin() as conn:
        aid = conn.execute(
            text(
                "INSERT INTO grid_assignment (worker_id, cell_id, is_primary)"
                " SELECT :w, id, true FROM grid_cell WHERE code = :code RETURNING id"
            ),
            {"w": worker, "code": code},
        ).scalar_one()
    return code, int(aid)


_assigned: dict[str, str] = {}


def _worker_cell(ctx: Ctx, target: str) -> str:
    if target not in _assigned:
        _assigned[target] = _assigned_cell(ctx, target)[0]
    return _assigned[target]


# --- exports, OGC API – Features, boundary import


def _feature_ids(r: httpx.Response) -> set[Any]:
    return {str(f["id"]) for f in r.json()["features"]}


def _bbox(ctx: Ctx, target: str) -> str:
    return ",".join(str(v) for v in ctx.world.areas[target].box)


@case(
    "GET",
    "/api/grids",
    "list",
    target_id=lambda ctx, t: _worker_cell(ctx, t),
    listed_ids=lambda r: {f["properties"]["code"] for f in r.json()["features"]},
)
def _list_grids(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _worker_cell(ctx, target)
    return ctx.client.get("/api/grids", headers=ctx.headers(role))


@case(
    "GET",
    "/api/exports/{name}",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=_feature_ids,
)
def _export_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"bbox": _bbox(ctx, target)}
    return ctx.client.get("/api/exports/reports.geojson", params=params, headers=ctx.headers(role))


@case("GET", "/ogc", "self")
def _ogc_landing(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc", headers=ctx.headers(role))


@case("GET", "/ogc/api", "self")
def _ogc_api(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc/api", headers=ctx.headers(role), follow_redirects=False)


@case("GET", "/ogc/conformance", "self")
def _ogc_conformance(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc/conformance", headers=ctx.headers(role))


@case("GET", "/ogc/collections", "self")
def _ogc_collections(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc/collections", headers=ctx.headers(role))


@case("GET", "/ogc/collections/{collection_id}", "self")
def _ogc_collection(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc/collections/reports", headers=ctx.headers(role))


@case("GET", "/ogc/collections/{collection_id}/schema", "self")
def _ogc_schema(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/ogc/collections/residential_areas/schema", headers=ctx.headers(role))


@case(
    "GET",
    "/api/grids/workers/{username}",
    "list",
    target_id=lambda ctx, t: _worker_cell(ctx, t),
    listed_ids=_ids("code"),
)
def _worker_cells(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _worker_cell(ctx, target)
    worker = ctx.world.reporters[target]
    return ctx.client.get(f"/api/grids/workers/{worker}", headers=ctx.headers(role))


@case("GET", "/api/grids/check", "object")
def _grid_check(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"community": _AREAS[target][2]}
    return ctx.client.get("/api/grids/check", params=params, headers=ctx.headers(role))


@case("GET", "/api/grids/edits", "object")
def _grid_edits(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"community": _AREAS[target][2]}
    return ctx.client.get("/api/grids/edits", params=params, headers=ctx.headers(role))


@case("GET", "/grids", "object")
def _grid_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"community": _AREAS[target][2]}
    return ctx.client.get("/grids", params=params, headers=ctx.headers(role))


@case("GET", "/api/grids/{code}", "object")
def _grid_cell(ctx: Ctx, role: str, target: str) -> httpx.Response:
    (code,) = _fresh_cells(ctx, target)
    return ctx.client.get(f"/api/grids/{code}", headers=ctx.headers(role))


@case("POST", "/api/grids/generate", "object")
def _grid_generate(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"community": _AREAS[target][2], "dry_run": True}
    return ctx.client.post("/api/grids/generate", json=body, headers=ctx.headers(role))


@case("POST", "/api/grids/{code}/split", "object")
def _grid_split(ctx: Ctx, role: str, target: str) -> httpx.Response:
    (code,) = _fresh_cells(ctx, target)
    return ctx.client.post(f"/api/grids/{code}/split", json={"parts": 2}, headers=ctx.headers(role))


@case("POST", "/api/grids/merge", "object")
def _grid_merge(ctx: Ctx, role: str, target: str) -> httpx.Response:
    codes = _fresh_cells(ctx, target, 2)
    return ctx.client.post("/api/grids/merge", json={"codes": codes}, headers=ctx.headers(role))


@case("PUT", "/api/grids/{code}/geometry", "object")
def _grid_redraw(ctx: Ctx, role: str, target: str) -> httpx.Response:
    codes = _fresh_cells(ctx, target, 2)
    with ctx.owner.connect() as conn:
        geometry = conn.execute(
            text("SELECT ST_AsGeoJSON(geom) FROM grid_cell WHERE code = :c"), {"c": codes[0]}
        ).scalar_one()
    return ctx.client.put(
        f"/api/grids/{codes[0]}/geometry",
        json={"geometry": json.loads(geometry)},
        headers=ctx.headers(role),
    )


@case("POST", "/api/grids/{code}/assignments", "object")
def _grid_assign(ctx: Ctx, role: str, target: str) -> httpx.Response:
    (code,) = _fresh_cells(ctx, target)
    body = {"worker": ctx.world.reporters[target], "role": "backup"}
    return ctx.client.post(f"/api/grids/{code}/assignments", json=body, headers=ctx.headers(role))


@case("DELETE", "/api/grids/{code}/assignments/{assignment_id}", "object")
def _grid_unassign(ctx: Ctx, role: str, target: str) -> httpx.Response:
    code, aid = _assigned_cell(ctx, target)
    return ctx.client.delete(f"/api/grids/{code}/assignments/{aid}", headers=ctx.headers(role))


@case(
    "GET",
    "/ogc/collections/{collection_id}/items",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=_feature_ids,
)
def _ogc_items(ctx: Ctx, role: str, target: str) -> httpx.Response:
    params = {"bbox": _bbox(ctx, target), "limit": "1000"}
    return ctx.client.get(
        "/ogc/collections/reports/items", params=params, headers=ctx.headers(role)
    )


@case("GET", "/ogc/collections/{collection_id}/items/{feature_id}", "object")
def _ogc_item(ctx: Ctx, role: str, target: str) -> httpx.Response:
    rid = ctx.world.reports[target]
    return ctx.client.get(f"/ogc/collections/reports/items/{rid}", headers=ctx.headers(role))


@case("POST", "/api/imports/{layer}", "object")
def _import_street(ctx: Ctx, role: str, target: str) -> httpx.Response:
    x1, y1, x2, y2 = ctx.world.areas[target].box
    ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
    feature = {
        "type": "Feature",
        "properties": {"code": _AREAS[target][1], "name": "矩阵测试街道"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    files = {"file": ("streets.geojson", body, "application/geo+json")}
    return ctx.client.post("/api/imports/streets", files=files, headers=ctx.headers(role))


# --- coverage maps and statistics

_MAP_FIXTURES: dict[str, dict[str, int]] = {}


def _map_fixture(ctx: Ctx, target: str) -> dict[str, int]:
    """A 小区 and a grid cell in the target's community (made once per target)."""
    if target not in _MAP_FIXTURES:
        area, code = ctx.world.areas[target], _AREAS[target][2]
        x, y = area.center
        box = "ST_Multi(ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))"
        tag = uuid.uuid4().int % 900 + 100
        with ctx.owner.begin() as conn:
            values = {"c": area.community_id, "x1": x - 0.001, "y1": y - 0.001}
            values.update({"x2": x + 0.001, "y2": y + 0.001})
            ra = conn.execute(
                text(
                    "INSERT INTO residential_area (code, name, community_id, geom, households,"
                    f" buildings) VALUES (:code, '矩阵小区', :c, {box}, 100, 2) RETURNING id"
                ),
                {**values, "code": f"{code}R{tag}"},
            ).scalar_one()
            cell = conn.execute(
                text(
                    "INSERT INTO grid_cell (code, community_id, geom)"
                    f" VALUES (:code, :c, {box}) RETURNING id"
                ),
                {**values, "code": f"{code}{tag}"},
            ).scalar_one()
        _MAP_FIXTURES[target] = {"area": ra, "cell": cell}
    return _MAP_FIXTURES[target]


def _unit_ids(r: httpx.Response) -> set[Any]:
    return {str(u["id"]) for u in r.json()["units"]}


def _community_id(ctx: Ctx, target: str) -> str:
    return str(ctx.world.areas[target].community_id)


@case("GET", "/map", "self")
def _map_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/map", headers=ctx.headers(role))


@case("GET", "/stats", "self")
def _stats_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/stats", headers=ctx.headers(role))


@case("GET", "/api/map/extent", "self")
def _map_extent(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/map/extent", headers=ctx.headers(role))


@case("GET", "/api/stats/trend", "self")
def _stats_trend(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/trend?months=2", headers=ctx.headers(role))


@case("GET", "/api/stats/reports", "self")
def _stats_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/reports", headers=ctx.headers(role))


@case("GET", "/api/stats/coverage", "list", target_id=_community_id, listed_ids=_unit_ids)
def _stats_coverage(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/coverage?level=community", headers=ctx.headers(role))


@case("GET", "/api/stats/ranking", "list", target_id=_community_id, listed_ids=_unit_ids)
def _stats_ranking(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/ranking?level=community", headers=ctx.headers(role))


@case(
    "GET",
    "/api/stats/coverage.csv",
    "list",
    target_id=lambda ctx, t: _AREAS[t][2],
    listed_ids=lambda r: {line.split(",")[1] for line in r.text.splitlines()[1:]},
)
def _stats_csv(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/stats/coverage.csv?level=community", headers=ctx.headers(role))


@case("GET", "/api/map/units", "list", target_id=_community_id, listed_ids=_unit_ids)
def _map_units(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/map/units?level=community", headers=ctx.headers(role))


@case("GET", "/api/map/residential-areas/{area_id}", "object")
def _map_area(ctx: Ctx, role: str, target: str) -> httpx.Response:
    ident = _map_fixture(ctx, target)["area"]
    return ctx.client.get(f"/api/map/residential-areas/{ident}", headers=ctx.headers(role))


@case("GET", "/api/map/grid-cells/{cell_id}", "object")
def _map_cell(ctx: Ctx, role: str, target: str) -> httpx.Response:
    ident = _map_fixture(ctx, target)["cell"]
    return ctx.client.get(f"/api/map/grid-cells/{ident}", headers=ctx.headers(role))


@case(
    "GET",
    "/api/map/reports",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=lambda r: {str(f["properties"]["id"]) for f in r.json()["features"]},
)
def _map_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    bbox = ",".join(str(v) for v in ctx.world.areas[target].box)
    return ctx.client.get(f"/api/map/reports?zoom=16&bbox={bbox}", headers=ctx.headers(role))


@case(
    "GET",
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    "list",
    target_id=lambda ctx, t: _AREAS[t][2],
    listed_ids=lambda r: set(re.findall(r"[0-9]{12}", r.content.decode("latin-1"))),
)
def _tile(ctx: Ctx, role: str, target: str) -> httpx.Response:
    lon, lat = ctx.world.areas[target].center
    z, n = 12, 2**12
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return ctx.client.get(f"/tiles/community/{z}/{x}/{y}.pbf", headers=ctx.headers(role))


# --- reliability


@case("POST", "/api/geometry/validate", "self")
def _validate_geometry(ctx: Ctx, role: str, target: str) -> httpx.Response:
    ring = [[113.66, 34.76], [113.67, 34.76], [113.67, 34.77], [113.66, 34.77], [113.66, 34.76]]
    body = {"geometry": {"type": "Polygon", "coordinates": [ring]}}
    return ctx.client.post("/api/geometry/validate", json=body, headers=ctx.headers(role))


# --- field reporting (reports, photos, patrols, catalogue, Open311)
# Creating endpoints are "self" cases (the role gate; where a filing lands is tested in
# tests/api/test_field_*); reads and writes on one object are "object" cases.

_FIELD_CACHE: dict[tuple[str, str], Any] = {}


def _report_body(ctx: Ctx, target: str) -> dict[str, Any]:
    x, y = ctx.world.areas[target].center
    return {
        "id": str(uuid.uuid4()),
        "category": "fire_lane_blocked",
        "location": {"type": "Point", "coordinates": [x, y]},
        "crs": "wgs84",
        "accuracy_m": 5,
    }


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(out, "JPEG")
    return out.getvalue()


def _copy_of_world_report(ctx: Ctx, target: str) -> uuid.UUID:
    """A new report like the target's (so other tests' counts on the world report hold)."""
    from sqlalchemy import text

    with ctx.owner.begin() as conn:
        return uuid.UUID(
            str(
                conn.execute(
                    text(
                        "INSERT INTO report (id, geom, category_code, reporter_id, community_id,"
                        " street_id, district_id, department_id, deadline_at)"
                        " SELECT gen_random_uuid(), geom, category_code, reporter_id,"
                        " community_id, street_id, district_id, department_id, deadline_at"
                        " FROM report WHERE id = :r RETURNING id"
                    ),
                    {"r": ctx.world.reports[target]},
                ).scalar_one()
            )
        )


def _world_photo(ctx: Ctx, target: str) -> str:
    """A photo on a report in the target area, uploaded once by the (all-seeing) admin."""
    key = ("photo", target)
    if key not in _FIELD_CACHE:
        rid = _copy_of_world_report(ctx, target)
        r = ctx.client.post(
            f"/api/reports/{rid}/photos",
            files={"file": ("m.jpg", _jpeg(), "image/jpeg")},
            headers=ctx.headers("admin"),
        )
        assert r.status_code == 201, r.text
        _FIELD_CACHE[key] = r.json()["id"]
    return str(_FIELD_CACHE[key])


def _world_patrol(ctx: Ctx, target: str) -> str:
    """A patrol by the target area's grid worker (inserted as the owner)."""
    from sqlalchemy import text

    key = ("patrol", target)
    if key not in _FIELD_CACHE:
        area = ctx.world.areas[target]
        pid = uuid.uuid4()
        with ctx.owner.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO patrol (id, worker_id, community_id, street_id, district_id,"
                    " started_at) VALUES (:id, :w, :c, :s, :d, now() + interval '1 day')"
                ),
                {
                    "id": pid,
                    "w": ctx.world.users[ctx.world.reporters[target]],
                    "c": area.community_id,
                    "s": area.street_id,
                    "d": area.district_id,
                },
            )
        _FIELD_CACHE[key] = pid
    return str(_FIELD_CACHE[key])


@case("POST", "/api/reports", "self")
def _file_report(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.post(
        "/api/reports", json=_report_body(ctx, target), headers=ctx.headers(role)
    )


@case(
    "GET",
    "/api/reports/nearby",
    "list",
    target_id=lambda ctx, t: str(ctx.world.reports[t]),
    listed_ids=_ids(),
)
def _nearby_reports(ctx: Ctx, role: str, target: str) -> httpx.Response:
    x, y = ctx.world.areas[target].center
    params = {"lon": x, "lat": y, "radius": 2000}
    return ctx.client.get("/api/reports/nearby", params=params, headers=ctx.headers(role))


@case("POST", "/api/reports/{report_id}/transitions", "object")
def _transition_report(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # reported → closed is no move of the life cycle: 409 where visible, 404 elsewhere
    rid = ctx.world.reports[target]
    return ctx.client.post(
        f"/api/reports/{rid}/transitions", json={"to": "closed"}, headers=ctx.headers(role)
    )


@case("POST", "/api/reports/{report_id}/photos", "object")
def _add_photo(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # not an image: 422 where visible, 404 elsewhere (nothing is stored either way)
    rid = ctx.world.reports[target]
    files = {"file": ("x.jpg", b"not an image", "image/jpeg")}
    return ctx.client.post(f"/api/reports/{rid}/photos", files=files, headers=ctx.headers(role))


@case("GET", "/api/photos/{photo_id}", "object")
def _read_photo(ctx: Ctx, role: str, target: str) -> httpx.Response:
    pid = _world_photo(ctx, target)
    return ctx.client.get(f"/api/photos/{pid}", headers=ctx.headers(role))


@case("POST", "/api/patrols", "self")
def _start_patrol(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"id": str(uuid.uuid4()), "started_at": "2026-01-01T08:00:00+08:00"}
    return ctx.client.post("/api/patrols", json=body, headers=ctx.headers(role))


@case("POST", "/api/patrols/{patrol_id}/finish", "self")
def _finish_patrol(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"ended_at": "2026-01-01T09:00:00+08:00"}
    pid = _world_patrol(ctx, target)
    return ctx.client.post(f"/api/patrols/{pid}/finish", json=body, headers=ctx.headers(role))


@case(
    "GET",
    "/api/patrols",
    "list",
    target_id=lambda ctx, t: _world_patrol(ctx, t),
    listed_ids=lambda r: {str(p["id"]) for p in r.json()["items"]},
)
def _list_patrols(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _world_patrol(ctx, target)
    return ctx.client.get("/api/patrols", params={"limit": 1000}, headers=ctx.headers(role))


@case("GET", "/api/patrols/{patrol_id}", "object")
def _read_patrol(ctx: Ctx, role: str, target: str) -> httpx.Response:
    pid = _world_patrol(ctx, target)
    return ctx.client.get(f"/api/patrols/{pid}", headers=ctx.headers(role))


@case("GET", "/api/categories", "self")
def _categories(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/categories", headers=ctx.headers(role))


@case("GET", "/api/field/cells", "self")
def _field_cells(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/field/cells", headers=ctx.headers(role))


@case("GET", "/open311/v2/services.{fmt}", "self")
def _open311_services(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/open311/v2/services.json", headers=ctx.headers(role))


@case("GET", "/open311/v2/requests.{fmt}", "self")
def _open311_requests(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/open311/v2/requests.json", headers=ctx.headers(role))


@case("GET", "/open311/v2/requests/{request_id}.{fmt}", "object")
def _open311_request(ctx: Ctx, role: str, target: str) -> httpx.Response:
    rid = ctx.world.reports[target]
    return ctx.client.get(f"/open311/v2/requests/{rid}.json", headers=ctx.headers(role))


# --- the app shell: export page, base map, names on the map


@case("GET", "/exports", "self")
def _exports_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/exports", headers=ctx.headers(role))


@case("GET", "/exports/download", "self")
def _exports_download(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # only redirects to /api/exports/… (which is checked as itself above)
    return ctx.client.get(
        "/exports/download?layer=streets&format=csv",
        headers=ctx.headers(role),
        follow_redirects=False,
    )


@case("GET", "/api/map/basemap", "self")
def _map_basemap(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/map/basemap", headers=ctx.headers(role))


def _fixture_cell_code(ctx: Ctx, target: str) -> str:
    cell = _map_fixture(ctx, target)["cell"]
    with ctx.owner.connect() as conn:
        return str(
            conn.execute(text("SELECT code FROM grid_cell WHERE id = :i"), {"i": cell}).scalar()
        )


@case(
    "GET",
    "/api/map/labels",
    "list",
    target_id=_fixture_cell_code,
    listed_ids=lambda r: {lb["name"] for lb in r.json()["labels"] if lb["level"] == "grid_cell"},
)
def _map_labels(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _map_fixture(ctx, target)
    bbox = ",".join(str(v) for v in ctx.world.areas[target].box)
    return ctx.client.get(f"/api/map/labels?zoom=17&bbox={bbox}", headers=ctx.headers(role))


# --- case handling: the workbench queues and page, bulk moves, assisting parts

_handled_reports: dict[str, str] = {}


def _handled_report(ctx: Ctx, target: str) -> str:
    """A fire-routed report in `target`, handled and filed by the matrix grid worker (so it is
    in the 待核查 queue of whoever may see it)."""
    if target not in _handled_reports:
        with ctx.owner.begin() as conn:
            rid = insert_report(conn, ctx.world.areas[target], ctx.world.users["mx_worker"])
            conn.execute(text("UPDATE report SET status = 'handled' WHERE id = :id"), {"id": rid})
        _handled_reports[target] = str(rid)
    return _handled_reports[target]


@case(
    "GET",
    "/api/cases",
    "list",
    target_id=lambda ctx, t: _handled_report(ctx, t),
    listed_ids=lambda r: {str(i["id"]) for i in r.json()["items"]},
)
def _list_cases(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _handled_report(ctx, target)
    params = {"queue": "verify", "limit": 200}
    return ctx.client.get("/api/cases", params=params, headers=ctx.headers(role))


@case("GET", "/api/cases/counts", "self")
def _case_counts(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/cases/counts", headers=ctx.headers(role))


@case("GET", "/api/cases/places", "self")
def _case_places(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/api/cases/places", headers=ctx.headers(role))


@case("GET", "/work", "self")
def _work_page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/work", headers=ctx.headers(role))


@case("GET", "/api/cases/{report_id}", "object")
def _read_case(ctx: Ctx, role: str, target: str) -> httpx.Response:
    rid = ctx.world.reports[target]
    return ctx.client.get(f"/api/cases/{rid}", headers=ctx.headers(role))


@case("POST", "/api/cases/bulk", "object")
def _bulk_cases(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # reported → dispatched skips 受理: 409 where visible, 404 elsewhere (nothing moves)
    body = {"ids": [str(ctx.world.reports[target])], "to": "dispatched"}
    return ctx.client.post("/api/cases/bulk", json=body, headers=ctx.headers(role))


@case("POST", "/api/cases/{report_id}/assist", "object")
def _assist_case(ctx: Ctx, role: str, target: str) -> httpx.Response:
    # no assisting part of the caller's department: 409 where visible, 404 elsewhere
    rid = ctx.world.reports[target]
    body = {"to": "in_progress"}
    return ctx.client.post(f"/api/cases/{rid}/assist", json=body, headers=ctx.headers(role))


# --- joint meetings, 小区 records, property companies and their assessment (registered by
# import)
import tests.api.authz_cases_meetings  # noqa: E402, F401
import tests.api.authz_cases_records  # noqa: E402, F401

# --- residents' voice: complaints, hotline orders, return visits, assessment
import tests.api.authz_cases_residents  # noqa: E402, F401
import tests.api.authz_cases_surveys  # noqa: E402, F401
