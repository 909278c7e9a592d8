"""Coverage statistics checked against SQL the test computes itself (no fact table used)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from tests.maps_city import City

pytest_plugins = ["tests.maps_fixtures"]

CUTOFF = 2005
INDEPENDENT = """
SELECT s.id,
  count(r.id) AS areas, coalesce(sum(r.households), 0) AS households,
  count(r.id) FILTER (WHERE r.property_service_mode <> 'none') AS property_service_areas,
  coalesce(sum(r.households) FILTER (WHERE r.property_service_mode <> 'none'), 0)
    AS property_service_households,
  count(r.id) FILTER (WHERE r.party_org_status <> 'none') AS party_org_areas,
  coalesce(sum(r.households) FILTER (WHERE r.party_org_status <> 'none'), 0)
    AS party_org_households,
  count(r.id) FILTER (WHERE r.owners_committee_status IN ('established', 'interim_committee'))
    AS owners_committee_areas,
  coalesce(sum(r.households) FILTER (WHERE r.owners_committee_status
    IN ('established', 'interim_committee')), 0) AS owners_committee_households,
  count(r.id) FILTER (WHERE r.build_year < :cut) AS eligible_areas,
  count(r.id) FILTER (WHERE r.build_year < :cut AND r.renovation_status
    IN ('completed', 'accepted')) AS renovation_areas,
  coalesce(sum(r.households) FILTER (WHERE r.build_year < :cut AND r.renovation_status
    IN ('completed', 'accepted')), 0) AS renovation_households,
  count(r.id) FILTER (WHERE r.build_year < :cut AND r.renovation_status = 'planned') AS planned
FROM street s JOIN community c ON c.street_id = s.id
LEFT JOIN residential_area r ON r.community_id = c.id
WHERE s.district_id = :d GROUP BY s.id
"""


@pytest.fixture(scope="module")
def owner_engine_m(test_db):
    engine = create_engine(test_db.owner_url)
    yield engine
    engine.dispose()


def independent(engine, district_id: int) -> dict[int, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text(INDEPENDENT), {"d": district_id, "cut": CUTOFF}).mappings()
        return {r["id"]: dict(r) for r in rows}


def test_street_coverage_matches_independent_sql(
    maps_client, maps_headers, maps_city: City, owner_engine_m
) -> None:
    r = maps_client.get("/api/stats/coverage?level=street", headers=maps_headers["m6-district"])
    assert r.status_code == 200, r.text
    body = r.json()
    expected = independent(owner_engine_m, maps_city.district_id)
    assert {u["id"] for u in body["units"]} == set(expected) == set(maps_city.street_ids)
    for unit in body["units"]:
        want = expected[unit["id"]]
        assert unit["areas"] == want["areas"] and unit["households"] == want["households"]
        for name in ("property_service", "party_org", "owners_committee", "renovation"):
            got = unit["indicators"][name]
            assert got["covered_areas"] == want[f"{name}_areas"], name
            assert got["covered_households"] == want[f"{name}_households"], name
            base = want["eligible_areas"] if name == "renovation" else want["areas"]
            assert got["base_areas"] == base
            assert got["rate_by_areas"] == pytest.approx(want[f"{name}_areas"] / base, abs=1e-4)
        assert unit["indicators"]["renovation"]["planned_areas"] == want["planned"]
    # the city is built so that the streets differ and nothing is trivially 0 or 100 %
    rates = [u["indicators"]["party_org"]["rate_by_areas"] for u in body["units"]]
    assert all(0 < x < 1 for x in rates)
    assert body["targets"]["property_service"] == 1.0
    total = body["totals"]
    assert total["areas"] == sum(w["areas"] for w in expected.values())


def test_each_user_sees_only_their_jurisdiction(maps_client, maps_headers, maps_city) -> None:
    s1 = maps_client.get(
        "/api/stats/coverage?level=community", headers=maps_headers["m6-street1"]
    ).json()
    assert {u["id"] for u in s1["units"]} == set(maps_city.community_ids[:2])
    assert s1["totals"]["areas"] == 6
    streets = maps_client.get(
        "/api/stats/coverage?level=street", headers=maps_headers["m6-street2"]
    ).json()
    assert [u["id"] for u in streets["units"]] == [maps_city.street_ids[1]]
    mine = maps_client.get(
        "/api/stats/coverage?level=community", headers=maps_headers["m6-community"]
    ).json()
    assert [u["id"] for u in mine["units"]] == [maps_city.community_ids[0]]
    assert mine["totals"]["areas"] == 3


def test_edit_shows_at_once_and_bumps_data_version(
    maps_client, maps_headers, maps_city, owner_engine_m
) -> None:
    area = maps_city.area_ids[5]
    with owner_engine_m.begin() as conn:
        before_mode = conn.execute(
            text("SELECT property_service_mode FROM residential_area WHERE id = :i"), {"i": area}
        ).scalar_one()
        v0 = conn.execute(
            text("SELECT version FROM wangge_data_version WHERE table_name='residential_area'")
        ).scalar_one()
    url = "/api/stats/coverage?level=community"
    h = maps_headers["m6-district"]

    def covered() -> int:
        units = maps_client.get(url, headers=h).json()["units"]
        unit = next(u for u in units if u["id"] == maps_city.community_ids[1])
        return unit["indicators"]["property_service"]["covered_areas"]

    start = covered()
    new_mode = "none" if before_mode != "none" else "quasi"
    try:
        with owner_engine_m.begin() as conn:
            conn.execute(
                text("UPDATE residential_area SET property_service_mode = :m WHERE id = :i"),
                {"m": new_mode, "i": area},
            )
            v1 = conn.execute(
                text("SELECT version FROM wangge_data_version WHERE table_name='residential_area'")
            ).scalar_one()
        assert v1 > v0
        assert covered() == start + (1 if new_mode != "none" else -1)
    finally:
        with owner_engine_m.begin() as conn:
            conn.execute(
                text("UPDATE residential_area SET property_service_mode = :m WHERE id = :i"),
                {"m": before_mode, "i": area},
            )
    assert covered() == start


TREND_SQL = """
WITH a AS (
  SELECT r.id, r.{attr} AS current FROM residential_area r
  JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id
  WHERE s.district_id = :d)
SELECT count(*) FILTER (WHERE coalesce(
  (SELECT new_value FROM residential_area_change h WHERE h.residential_area_id = a.id
     AND h.attribute = '{attr}' AND h.changed_at < :end ORDER BY changed_at DESC LIMIT 1),
  (SELECT old_value FROM residential_area_change h WHERE h.residential_area_id = a.id
     AND h.attribute = '{attr}' AND h.changed_at >= :end ORDER BY changed_at LIMIT 1),
  a.current) <> 'none') FROM a
"""


def test_trend_reconstructs_each_month_from_history(
    maps_client, maps_headers, maps_city, owner_engine_m
) -> None:
    r = maps_client.get("/api/stats/trend?months=4", headers=maps_headers["m6-district"])
    assert r.status_code == 200, r.text
    months = r.json()["months"]
    assert len(months) == 4
    seen = set()
    with owner_engine_m.connect() as conn:
        for point in months:
            year, month = map(int, point["month"].split("-"))
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            for name, attr in (
                ("party_org", "party_org_status"),
                ("property_service", "property_service_mode"),
            ):
                want = conn.execute(
                    text(TREND_SQL.format(attr=attr)), {"d": maps_city.district_id, "end": end}
                ).scalar_one()
                assert point["indicators"][name]["covered_areas"] == want, (point["month"], name)
                seen.add((name, want))
    # the history really moves the numbers (two branches founded, one service lost)
    assert len({w for n, w in seen if n == "party_org"}) > 1


def test_csv_download_has_bom_and_one_row_per_street(maps_client, maps_headers) -> None:
    r = maps_client.get("/api/stats/coverage.csv?level=street", headers=maps_headers["m6-district"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["层级", "代码", "名称"]
    assert len(rows) == 3 and rows[1][0] == "街道"


def test_ranking_orders_streets_by_score(maps_client, maps_headers) -> None:
    body = maps_client.get("/api/stats/ranking", headers=maps_headers["m6-district"]).json()
    scores = [u["score"] for u in body["units"]]
    assert scores == sorted(scores, reverse=True)
    assert body["units"][0]["rank"] == 1


def test_reports_per_department_match_sql(
    maps_client, maps_headers, maps_city, owner_engine_m
) -> None:
    body = maps_client.get("/api/stats/reports", headers=maps_headers["m6-district"]).json()
    with owner_engine_m.connect() as conn:
        want = {
            row.department_id: (row.open, row.overdue)
            for row in conn.execute(
                text(
                    "SELECT department_id, count(*) AS open,"
                    " count(*) FILTER (WHERE deadline_at < now()) AS overdue FROM report"
                    " WHERE district_id = :d AND status NOT IN ('closed', 'rejected')"
                    " GROUP BY department_id"
                ),
                {"d": maps_city.district_id},
            )
        }
    got = {d["id"]: (d["open"], d["overdue"]) for d in body["departments"]}
    assert got == want and sum(o for o, _ in want.values()) > 0
    fire = maps_client.get("/api/stats/reports", headers=maps_headers["m6-fire"]).json()
    assert len(fire["departments"]) == 1


def test_stats_page_renders_charts(maps_client, maps_headers) -> None:
    r = maps_client.get("/stats?level=street", headers=maps_headers["m6-district"])
    assert r.status_code == 200
    # four indicators, the trend, party coverage over owners' committees, the grade bar; the
    # assessment's score trend draws a small line per unit in its own table besides
    before, _, rest = r.text.partition("<table id='perf-trend'>")
    charts = before.count("<svg") + rest.partition("</table>")[2].count("<svg")
    assert charts == 7 and "测试街道1" in r.text and "下载 CSV" in r.text
    assert "id='party-coverage'" in r.text and "id='company-grades'" in r.text


def test_stats_need_login(maps_client) -> None:
    assert maps_client.get("/api/stats/coverage").status_code == 401
    page = maps_client.get("/stats?level=community", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fstats%3Flevel%3Dcommunity"
