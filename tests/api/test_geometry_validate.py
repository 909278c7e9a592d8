"""POST /api/geometry/validate: the API's verdict, over HTTP, agrees with shapely's."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.settings import Settings
from tests.api.reliability_helpers import own_admin_headers
from tests.conftest import TestDatabase
from tests.unit.test_geometry_validation import SQUARE, closed, open_rings, poly, shapely_verdict

URL = "/api/geometry/validate"


@pytest.fixture(scope="module")
def geo(test_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The app over the migrated test database, with a throw-away admin's bearer header."""
    from service.main import create_app

    app_settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=tmp_path_factory.mktemp("geo"),
        max_geometry_vertices=500,
    )
    with TestClient(create_app(app_settings)) as client:
        yield client, own_admin_headers(test_db, client)


def post_raw(geo: tuple, body: str) -> object:
    client, headers = geo
    return client.post(URL, content=body, headers={**headers, "content-type": "application/json"})


def test_needs_authentication(geo: tuple) -> None:
    client, _ = geo
    assert client.post(URL, json={"geometry": poly(SQUARE)}).status_code == 401


def test_valid_polygon(geo: tuple) -> None:
    client, headers = geo
    r = client.post(URL, json={"geometry": poly(SQUARE), "types": ["Polygon"]}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "valid": True,
        "type": "Polygon",
        "vertices": 5,
        "bounds": [113.6, 34.7, 113.7, 34.8],
    }


def test_bowtie_is_422_with_location(geo: tuple) -> None:
    client, headers = geo
    bowtie = [[113.6, 34.7], [113.7, 34.8], [113.7, 34.7], [113.6, 34.8], [113.6, 34.7]]
    r = client.post(URL, json={"geometry": poly(bowtie)}, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["where"]["coordinate"] == [113.65, 34.75]


def test_nan_literal_is_refused(geo: tuple) -> None:
    # Python's json (which FastAPI uses) accepts NaN; the API must not.
    ring = json.dumps(SQUARE).replace("113.7, 34.8", "NaN, 34.8", 1)
    r = post_raw(geo, '{"geometry": {"type": "Polygon", "coordinates": [' + ring + "]}}")
    assert r.status_code == 422 and r.json()["detail"]["code"] == "json_non_finite"


def test_vertex_limit_is_named(geo: tuple) -> None:
    client, headers = geo
    ring = [[113.6 + i * 1e-4, 34.7 + (i % 2) * 1e-4] for i in range(600)]
    ring = [*ring, [113.6, 34.9], ring[0]]
    r = client.post(URL, json={"geometry": poly(ring)}, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["where"]["limit"] == "max_geometry_vertices"


def test_unknown_fields_and_bad_types_are_refused(geo: tuple) -> None:
    client, headers = geo
    r = client.post(URL, json={"geometry": poly(SQUARE), "colour": "red"}, headers=headers)
    assert r.status_code == 422
    r = client.post(URL, json={"geometry": poly(SQUARE), "types": ["Circle"]}, headers=headers)
    assert r.status_code == 422


def test_unknown_district_is_404(geo: tuple) -> None:
    client, headers = geo
    # no district code starts with 10 (the grid tests' random districts draw 700000-999999,
    # and hypothesis likes the ends of a range)
    r = client.post(
        URL, json={"geometry": poly(SQUARE), "district_code": "100000"}, headers=headers
    )
    assert r.status_code == 404


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shell=open_rings, hole=st.one_of(st.none(), open_rings))
def test_api_verdict_matches_shapely(geo: tuple, shell: list, hole: list | None) -> None:
    rings = [closed(shell)] + ([closed(hole)] if hole else [])
    # Non-finite values go over the wire as the NaN/Infinity literals Python's json writes.
    body = json.dumps({"geometry": poly(*rings), "types": ["Polygon"]}, allow_nan=True)
    r = post_raw(geo, body)
    assert r.status_code in (200, 422), r.text
    assert (r.status_code == 200) == shapely_verdict(rings)
    if r.status_code == 422:
        assert r.json()["detail"]["message"]


def test_district_check_with_the_demo_boundary(request: pytest.FixtureRequest) -> None:
    pytest.importorskip("gis_data.demo_loader")  # runs as soon as the demo city is on main
    client = request.getfixturevalue("client")
    auth_headers = request.getfixturevalue("auth_headers")
    headers = auth_headers["district"]
    me = client.get("/api/me", headers=headers).json()
    code = me["jurisdiction"]["district_code"]
    db = request.getfixturevalue("demo_db")
    with psycopg.connect(db.libpq()) as conn:
        x, y = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM district"
            " WHERE code = %s) s",
            (code,),
        ).fetchone()
    tiny = [[x, y], [x + 1e-4, y], [x + 1e-4, y + 1e-4], [x, y + 1e-4], [x, y]]
    inside = client.post(URL, json={"geometry": poly(tiny), "district_code": code}, headers=headers)
    far = [[x + 2.0, y] for x, y in tiny]
    outside = client.post(URL, json={"geometry": poly(far), "district_code": code}, headers=headers)
    assert inside.status_code == 200, inside.text
    assert outside.status_code == 422 and outside.json()["detail"]["code"] == "outside_area"
    assert not math.isnan(inside.json()["bounds"][0])
