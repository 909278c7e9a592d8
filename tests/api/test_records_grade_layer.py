"""The company-grade map layer and statistics, and party coverage over owners' committees, on
/map and /stats for the user's jurisdiction (demo city)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.domain.assessment import GRADE_CLASS_ZH


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return (
        int((lon + 180) / 360 * n),
        int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n),
    )


def _read_tile(body: bytes, tmp_path: Path, z: int, x: int, y: int) -> Any:
    """Decode with GDAL's MVT driver (the z/x/y path georeferences it)."""
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return pyogrio.read_dataframe(path, layer="company_grade")


def _street_areas(owner_engine: Engine, username: str) -> list[dict[str, Any]]:
    """The 小区 of the user's street with what the grade layer should say about each."""
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.id, r.code, r.households, r.property_service_mode,"
                " r.property_company_id AS company_id, co.credit_grade,"
                " ST_X(ST_PointOnSurface(r.geom)) AS lon, ST_Y(ST_PointOnSurface(r.geom)) AS lat"
                " FROM residential_area r JOIN community c ON c.id = r.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = :u"
                " LEFT JOIN property_company co ON co.id = r.property_company_id ORDER BY r.code"
            ),
            {"u": username},
        ).mappings()
        return [dict(r) for r in rows]


def _expected_class(area: dict[str, Any]) -> str:
    if area["credit_grade"]:
        return str(area["credit_grade"])
    return "none" if area["property_service_mode"] == "none" else "no_company"


@pytest.fixture
def graded_area(owner_engine: Engine) -> Iterator[dict[str, Any]]:
    """A street1 小区 served by a company; the company's grade is put back afterwards."""
    area = next(a for a in _street_areas(owner_engine, "street1") if a["company_id"])
    yield area
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE property_company SET credit_grade = :g WHERE id = :c"),
            {"g": area["credit_grade"], "c": area["company_id"]},
        )


def test_grade_tiles_colour_the_streets_areas_and_follow_a_new_grade(
    client: TestClient, auth_headers, owner_engine: Engine, graded_area, tmp_path: Path
) -> None:
    h = auth_headers["street1"]
    z = 14
    x, y = _tile_of(graded_area["lon"], graded_area["lat"], z)
    r = client.get(f"/tiles/company_grade/{z}/{x}/{y}.pbf", headers=h)
    assert r.status_code == 200, r.text
    df = _read_tile(r.content, tmp_path / "a", z, x, y)
    mine = {a["code"]: a for a in _street_areas(owner_engine, "street1")}
    assert set(df["code"]) <= set(mine)  # only street1's 小区
    assert set(df["grade"]) <= set(GRADE_CLASS_ZH)
    for _, feature in df.iterrows():
        assert feature["grade"] == _expected_class(mine[feature["code"]]), feature["code"]
    row = df[df["code"] == graded_area["code"]].iloc[0]
    assert row["grade"] == graded_area["credit_grade"] and row["company"]

    # a new grade recolours the map at the next request (the tile cache follows the registry)
    new = "D" if graded_area["credit_grade"] != "D" else "A"
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE property_company SET credit_grade = :g WHERE id = :c"),
            {"g": new, "c": graded_area["company_id"]},
        )
    again = client.get(f"/tiles/company_grade/{z}/{x}/{y}.pbf", headers=h)
    df2 = _read_tile(again.content, tmp_path / "b", z, x, y)
    assert df2[df2["code"] == graded_area["code"]].iloc[0]["grade"] == new

    # another street's account gets none of street1's 小区 in the same tile
    other = client.get(f"/tiles/company_grade/{z}/{x}/{y}.pbf", headers=auth_headers["street2"])
    if other.content:
        assert not set(_read_tile(other.content, tmp_path / "c", z, x, y)["code"]) & set(mine)


def test_overview_grade_tiles_carry_only_the_class(
    client: TestClient, auth_headers, owner_engine: Engine, tmp_path: Path
) -> None:
    area = _street_areas(owner_engine, "street1")[0]
    x, y = _tile_of(area["lon"], area["lat"], 11)
    r = client.get(f"/tiles/company_grade/11/{x}/{y}.pbf", headers=auth_headers["street1"])
    df = _read_tile(r.content, tmp_path, 11, x, y)
    assert len(df) and {"id", "grade"} <= set(df.columns) and "name" not in df.columns


def test_grade_statistics_cover_the_jurisdiction_with_no_company_apart(
    client: TestClient, auth_headers, owner_engine: Engine
) -> None:
    areas = _street_areas(owner_engine, "street1")
    r = client.get("/api/stats/company-grades", headers=auth_headers["street1"])
    assert r.status_code == 200, r.text
    got = {row["grade"]: (row["areas"], row["households"]) for row in r.json()}
    expected: dict[str, tuple[int, int]] = {}
    for a in areas:
        n, hh = expected.get(_expected_class(a), (0, 0))
        expected[_expected_class(a)] = (n + 1, hh + a["households"])
    assert got == expected
    assert set(got) <= set(GRADE_CLASS_ZH)
    # the district sees more than the street
    district = client.get("/api/stats/company-grades", headers=auth_headers["district"]).json()
    assert sum(row["areas"] for row in district) > len(areas)


def test_party_coverage_has_totals_and_the_years_target(client: TestClient, auth_headers):
    r = client.get(
        "/api/stats/party-coverage?level=community&year=2026", headers=auth_headers["district"]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["targets"] == {"2025": 0.8, "2026": 0.9, "2027": 1.0}
    t = body["totals"]
    assert t["committees"] == sum(u["committees"] for u in body["units"]) > 0
    assert t["with_party_org"] == sum(u["with_party_org"] for u in body["units"])
    assert t["target"] == 0.9
    assert t["short_of_target"] == max(0, math.ceil(0.9 * t["committees"]) - t["with_party_org"])
    assert t["meets_target"] == (t["short_of_target"] == 0)
    # the street sees its own share only
    street = client.get("/api/stats/party-coverage", headers=auth_headers["street1"]).json()
    assert street["totals"]["committees"] < t["committees"]


def _section(html: str, anchor: str) -> str:
    start = html.index(anchor)
    end = html.find("<h2", start + 1)
    return html[start : end if end > 0 else None]


def test_stats_page_shows_party_coverage_against_the_target_and_grades(
    client: TestClient, auth_headers
) -> None:
    h = auth_headers["street1"]
    party = client.get("/api/stats/party-coverage", headers=h).json()
    grades = client.get("/api/stats/company-grades", headers=h).json()
    page = client.get("/stats", headers=h)
    assert page.status_code == 200, page.text
    html = page.text
    section = _section(html, "id='party-coverage'")
    year, target = party["year"], party["target"]
    assert f"{year} 年目标 {target * 100:.1f}%" in section
    t = party["totals"]
    assert f"{t['with_party_org']} / {t['committees']} 个业委会" in section
    assert "2025 年 80.0%，2026 年 90.0%，2027 年 100.0%" in section
    assert 'data-indicator="party_committee"' in section  # the per-unit chart with its target
    for unit in party["units"]:
        assert f"data-code='{unit['code']}'" in section
    grade_section = _section(html, "id='company-grades'")
    for row in grades:
        pattern = rf"<tr data-grade='{row['grade']}'>.*?</span> (.*?)</td><td>(\d+)</td>"
        cells = re.search(pattern + r".*?<td>(\d+)</td>", grade_section)
        assert cells, row
        assert unescape(cells.group(1)) == GRADE_CLASS_ZH[row["grade"]]
        assert (int(cells.group(2)), int(cells.group(3))) == (row["areas"], row["households"])
    # the old indicator is labelled for what it counts, not as the seeds' coverage
    assert "党的工作覆盖率（含党建指导员）" in html


def test_map_page_offers_the_grade_and_party_coverage_layers(client: TestClient, auth_headers):
    page = client.get("/map", headers=auth_headers["street1"])
    assert page.status_code == 200
    config = json.loads(
        re.search(r'<script id="map-config" type="application/json">(.*?)</script>', page.text)
        .group(1)  # type: ignore[union-attr]
        .replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&")
    )
    assert config["minZoom"]["company_grade"] == 10
    assert list(config["gradeClasses"]) == list(GRADE_CLASS_ZH)
    assert config["partyCoverage"] == {
        "committees": ["established", "interim_committee"],
        "orgs": ["own_branch", "joint_branch", "party_group"],
    }
