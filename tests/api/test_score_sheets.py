"""Each district keeps its own score sheet: a bureau replaces its district's items only, 小区 are
totalled on their district's sheet, and districts without one use the default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.domain.passwords import hash_password
from tests.api.test_records_assessment import _two_communities
from tests.conftest import login

QUARTER = "2031Q2"
OTHER = "419805"  # a second district, with a bureau of its own, far from every other place
SHEET = [
    {"code": "service_quality", "name_zh": "服务质量", "weight": 60},
    {"code": "public_areas", "name_zh": "公共区域维护", "weight": 40},
]


@pytest.fixture
def districts(client: TestClient, owner_engine: Engine) -> Iterator[dict]:
    """The demo district's code, the other district's bureau, and every sheet put back after."""
    with owner_engine.begin() as conn:
        kept = conn.execute(
            text("SELECT code, name_zh, weight, position, is_active FROM assessment_item"
                 " WHERE district_id IS NULL")
        ).all()  # fmt: skip
        demo = conn.execute(
            text("SELECT d.code FROM district d JOIN app_user u ON u.district_id = d.id"
                 " WHERE u.username = 'district'")
        ).scalar_one()  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO district (code, name, geom) VALUES (:c, '另一区',"
                " ST_Multi(ST_MakeEnvelope(121.50, 41.50, 121.52, 41.52, 4326)))"
                " ON CONFLICT (code) DO NOTHING"
            ),
            {"c": OTHER},
        )
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, district_id)"
                " SELECT 'bureau-419805', :p, 'district_bureau', id FROM district WHERE code = :c"
                " ON CONFLICT DO NOTHING"
            ),
            {"p": hash_password("demo"), "c": OTHER},
        )
        # the demo's admin is bound to the demo district: the default sheet needs one who is not
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role)"
                " VALUES ('root-sheets', :p, 'admin') ON CONFLICT DO NOTHING"
            ),
            {"p": hash_password("demo")},
        )
    try:
        yield {
            "demo": demo,
            "other_bureau": login(client, "bureau-419805"),
            "root": login(client, "root-sheets"),
        }
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text("DELETE FROM assessment_item WHERE district_id IS NOT NULL"))
            conn.execute(text("DELETE FROM assessment_item WHERE district_id IS NULL"))
            for row in kept:
                conn.execute(
                    text(
                        "INSERT INTO assessment_item (code, name_zh, weight, position, is_active)"
                        " VALUES (:code, :name_zh, :weight, :position, :is_active)"
                    ),
                    dict(row._mapping),
                )


def _codes(items: list[dict]) -> list[tuple[str, float]]:
    return [(i["code"], i["weight"]) for i in items]


def test_a_district_replaces_its_own_sheet_only(
    client: TestClient, auth_headers, owner_engine: Engine, districts: dict
) -> None:
    admin, bureau = districts["root"], auth_headers["district"]
    other = districts["other_bureau"]
    # the demo's admin, bound to the demo district, has that district's sheet
    district_admin = auth_headers["admin"]
    default = client.get("/api/assessment-items", headers=admin).json()
    assert len(default) >= 5 and sum(i["weight"] for i in default) == 100
    assert client.get("/api/assessment-items", headers=other).json() == default

    r = client.put("/api/assessment-items", json={"items": SHEET}, headers=bureau)
    assert r.status_code == 200, r.text
    assert _codes(r.json()) == [("service_quality", 60), ("public_areas", 40)]
    assert client.get("/api/assessment-items", headers=bureau).json() == r.json()
    # the default and the other district's sheet stay as they were
    assert client.get("/api/assessment-items", headers=admin).json() == default
    assert client.get("/api/assessment-items", headers=other).json() == default
    mine = client.get(f"/api/assessment-items?district={districts['demo']}", headers=admin)
    assert mine.json() == r.json()

    # a bureau cannot read or replace another district's sheet by naming it
    named = f"/api/assessment-items?district={OTHER}"
    assert client.get(named, headers=bureau).status_code == 404
    assert client.put(named, json={"items": SHEET}, headers=bureau).status_code == 404
    assert client.get("/api/assessment-items?district=999999", headers=admin).status_code == 404

    # the other bureau's own sheet leaves the demo district's alone
    theirs = [{"code": "safety", "name_zh": "安全管理", "weight": 100}]
    assert client.put("/api/assessment-items", json={"items": theirs}, headers=other).is_success
    assert client.get("/api/assessment-items", headers=bureau).json() == r.json()
    assert _codes(client.get(named, headers=admin).json()) == [("safety", 100)]

    assert client.get("/api/assessment-items", headers=district_admin).json() == r.json()
    assert client.get(named, headers=district_admin).status_code == 404

    # the admin replacing the default changes neither district's own sheet
    shorter = [{**default[0], "weight": 100}]
    assert client.put("/api/assessment-items", json={"items": shorter}, headers=admin).is_success
    assert client.get("/api/assessment-items", headers=bureau).json() == r.json()
    assert _codes(client.get("/api/assessment-items", headers=admin).json()) == [
        (default[0]["code"], 100)
    ]


def test_a_sheet_is_totalled_on_its_districts_items(
    client: TestClient, auth_headers, owner_engine: Engine, districts: dict
) -> None:
    world = _two_communities(owner_engine)
    area = world["x"]
    r = client.put("/api/assessment-items", json={"items": SHEET}, headers=auth_headers["district"])
    assert r.status_code == 200, r.text
    # another district's sheet with other items does not decide which items are asked for
    other = [{"code": "safety", "name_zh": "安全管理", "weight": 100}]
    put = client.put(
        "/api/assessment-items", json={"items": other}, headers=districts["other_bureau"]
    )
    assert put.is_success
    staff = login(client, area["username"])
    body = {
        "residential_area": area["code"],
        "quarter": QUARTER,
        "scores": {"service_quality": 100, "public_areas": 50},
        "evidence": "检查记录",
    }
    saved = client.post("/api/assessments", json=body, headers=staff)
    assert saved.status_code == 201, saved.text
    assert saved.json()["total"] == 80.0  # (100 × 60 + 50 × 40) / 100 on the district's sheet
    wrong = {**body, "scores": {"safety": 90}}
    refused = client.post("/api/assessments", json=wrong, headers=staff)
    assert refused.status_code == 422, refused.text
