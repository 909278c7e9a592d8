"""The grid API end to end: generate, list, split, merge, redraw, assign, check, jurisdiction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, box, mapping, shape
from shapely.ops import unary_union

from service.domain.grid_geometry import LocalFrame
from service.settings import Settings
from tests.api.grid_env import GridEnv, build_env


@pytest.fixture(scope="module")
def env(test_db, tmp_path_factory) -> Iterator[GridEnv]:
    from service.main import create_app

    settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=Path(tmp_path_factory.mktemp("grids")),
    )
    with TestClient(create_app(settings)) as client:
        yield build_env(test_db.owner_url, client, seed=404)


def _generate(env: GridEnv, community: str, **body: object) -> dict:
    r = env.client.post(
        "/api/grids/generate",
        json={"community": community, **body},
        headers=env.headers["street"],
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def generated(env: GridEnv) -> dict[str, dict]:
    out = {}
    for code in env.territory.communities:
        preview = _generate(env, code, dry_run=True)
        assert preview["dry_run"] and preview["cells"]["features"]
        listed = env.client.get(f"/api/grids?community={code}", headers=env.headers["street"])
        assert listed.json()["features"] == []  # the dry run wrote nothing
        out[code] = _generate(env, code, dry_run=False)
        assert out[code]["created"] == [
            f["properties"]["code"] for f in preview["cells"]["features"]
        ]
    return out


def _cells(env: GridEnv, community: str, who: str = "staff") -> list[dict]:
    r = env.client.get(f"/api/grids?community={community}", headers=env.headers[who])
    assert r.status_code == 200, r.text
    return r.json()["features"]


def test_generate_again_without_replace_is_409(env: GridEnv, generated) -> None:
    code = env.territory.communities[0]
    r = env.client.post(
        "/api/grids/generate",
        json={"community": code, "dry_run": False},
        headers=env.headers["staff"],
    )
    assert r.status_code == 409 and code in r.json()["detail"]["message"]


def test_jurisdiction_and_roles(env: GridEnv, generated) -> None:
    c1, c2 = env.territory.communities
    assert _cells(env, c1)
    # community staff: only their own community; another street's office: not found
    assert (
        env.client.get(f"/api/grids?community={c2}", headers=env.headers["staff"]).status_code
        == 404
    )
    r = env.client.get(f"/api/grids?community={c1}", headers=env.headers["other_street"])
    assert r.status_code == 404
    code = _cells(env, c1)[0]["properties"]["code"]
    assert (
        env.client.get(f"/api/grids/{code}", headers=env.headers["other_street"]).status_code == 404
    )
    # a grid worker reads but may not edit; a planner may check but not assign
    assert env.client.get(f"/api/grids/{code}", headers=env.headers["worker1"]).status_code == 200
    r = env.client.post(
        f"/api/grids/{code}/split", json={"parts": 2}, headers=env.headers["worker1"]
    )
    assert r.status_code == 403
    r = env.client.post(
        f"/api/grids/{code}/assignments",
        json={"worker": env.users["worker1"]},
        headers=env.headers["planner"],
    )
    assert r.status_code == 403
    assert env.client.get("/api/grids").status_code == 401


def test_assignments_one_primary_and_workers_cells(env: GridEnv, generated) -> None:
    c1 = env.territory.communities[0]
    code = _cells(env, c1)[1]["properties"]["code"]
    url = f"/api/grids/{code}/assignments"
    h = env.headers["staff"]
    r = env.client.post(url, json={"worker": env.users["worker1"]}, headers=h)
    assert r.status_code == 201, r.text
    r = env.client.post(url, json={"worker": env.users["worker2"]}, headers=h)
    assert r.status_code == 409 and code in r.json()["detail"]["message"]
    r = env.client.post(url, json={"worker": env.users["worker2"], "role": "backup"}, headers=h)
    assert r.status_code == 201
    r = env.client.post(url, json={"worker": env.users["worker_c2"], "role": "backup"}, headers=h)
    assert r.status_code == 422  # a worker of another community
    mine = env.client.get(f"/api/grids/workers/{env.users['worker1']}", headers=h).json()
    assert {"code": code, "is_primary": True} in [
        {k: m[k] for k in ("code", "is_primary")} for m in mine
    ]
    unassigned = env.client.get(f"/api/grids?community={c1}&without_primary=true", headers=h)
    assert code not in [f["properties"]["code"] for f in unassigned.json()["features"]]
    # replacing the primary ends the old assignment (kept in history)
    r = env.client.post(url, json={"worker": env.users["worker2"], "replace": True}, headers=h)
    assert r.status_code == 201
    history = env.client.get(f"/api/grids/{code}", headers=h).json()["assignments"]
    ended = [a for a in history if a["worker"] == env.users["worker1"]]
    assert ended and ended[0]["valid_to"] is not None


def test_split_merge_keep_codes_unique_with_lineage(env: GridEnv, generated) -> None:
    c1 = env.territory.communities[0]
    h = env.headers["staff"]
    seen: set[str] = {f["properties"]["code"] for f in _cells(env, c1)}
    first = _cells(env, c1)[0]["properties"]["code"]
    env.client.post(
        f"/api/grids/{first}/assignments", json={"worker": env.users["worker1"]}, headers=h
    )
    r = env.client.post(f"/api/grids/{first}/split", json={"parts": 2}, headers=h)
    assert r.status_code == 200, r.text
    parts = r.json()["created"]
    assert len(parts) == 2 and not set(parts) & seen
    seen |= set(parts)
    for p in r.json()["cells"]["features"]:
        assert p["properties"]["primary_worker_id"] is not None  # carried over
    old = env.client.get(f"/api/grids/{first}", headers=h).json()
    assert old["is_active"] is False and sorted(old["replaced_by"]) == sorted(parts)
    r = env.client.post("/api/grids/merge", json={"codes": parts}, headers=h)
    assert r.status_code == 200, r.text
    (merged,) = r.json()["created"]
    assert merged not in seen
    assert env.client.get(f"/api/grids/{merged}", headers=h).json()["replaces"] == sorted(parts)
    # a retired code cannot be edited again
    r = env.client.post(f"/api/grids/{parts[0]}/split", json={"parts": 2}, headers=h)
    assert r.status_code == 404
    # a line that misses the cell: 422 naming the cell
    geom = shape(env.client.get(f"/api/grids/{merged}", headers=h).json()["geometry"])
    x0, y0, x1, y1 = geom.bounds
    miss = LineString([(x1 + 0.01, y0), (x1 + 0.01, y1)])
    r = env.client.post(f"/api/grids/{merged}/split", json={"line": mapping(miss)}, headers=h)
    assert r.status_code == 422 and merged in r.json()["detail"]["message"]
    cut = LineString([((x0 + x1) / 2, y0 - 0.001), ((x0 + x1) / 2, y1 + 0.001)])
    r = env.client.post(f"/api/grids/{merged}/split", json={"line": mapping(cut)}, headers=h)
    assert r.status_code == 200, r.text
    check = env.client.get(f"/api/grids/check?community={c1}", headers=h).json()
    bad = {f["kind"] for f in check["findings"]} & {
        "gap",
        "overlap",
        "outside_community",
        "residential_area_split_unrecorded",
    }
    assert bad == set()


def test_redraw_moves_ground_between_neighbours(env: GridEnv, generated) -> None:
    c2 = env.territory.communities[1]
    h = env.headers["street"]
    cells = _cells(env, c2, "street")
    target = cells[0]
    geom = shape(target["geometry"])
    frame = LocalFrame.around(geom)
    covered = unary_union([shape(f["geometry"]) for f in cells])
    grown = frame.to_wgs84(frame.to_metric(geom).buffer(15)).intersection(covered)
    r = env.client.put(
        f"/api/grids/{target['properties']['code']}/geometry",
        json={"geometry": mapping(grown)},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["retired"]) >= 2  # the cell and at least one neighbour
    check = env.client.get(f"/api/grids/check?community={c2}", headers=h).json()
    assert not {f["kind"] for f in check["findings"]} & {"gap", "overlap", "outside_community"}
    # a redraw reaching far outside the community is refused with a location
    new_target = r.json()["created"][0]
    outside = frame.to_wgs84(box(-5000, -5000, -4000, -4000))
    r = env.client.put(
        f"/api/grids/{new_target}/geometry",
        json={"geometry": mapping(outside.union(grown))},
        headers=h,
    )
    assert r.status_code == 422 and "location" in r.json()["detail"]["where"]


def test_check_reports_missing_primary_and_is_scoped(env: GridEnv, generated) -> None:
    c1 = env.territory.communities[0]
    r = env.client.get(f"/api/grids/check?community={c1}", headers=env.headers["staff"])
    assert r.status_code == 200
    body = r.json()
    kinds = {f["kind"] for f in body["findings"]}
    assert "no_primary_worker" in kinds
    for f in body["findings"]:
        assert f["reason"] and f["reason_zh"] and f["location"]["type"] == "Point"
    assert body["geojson"]["type"] == "FeatureCollection"
    r = env.client.get(f"/api/grids/check?community={c1}", headers=env.headers["other_street"])
    assert r.status_code == 404


def test_edit_history_lists_generation_and_edits(env: GridEnv, generated) -> None:
    c1 = env.territory.communities[0]
    r = env.client.get(f"/api/grids/edits?community={c1}", headers=env.headers["staff"])
    assert r.status_code == 200
    kinds = [e["kind"] for e in r.json()]
    assert "generate" in kinds
    gen = [e for e in r.json() if e["kind"] == "generate"][-1]
    assert gen["actor"] == env.users["street"] and gen["created"]
    r = env.client.get(f"/api/grids/edits?community={c1}", headers=env.headers["other_street"])
    assert r.status_code == 404
