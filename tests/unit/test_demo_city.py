"""The pure demo-city generator: tilings are exact, codes well-formed, output deterministic."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest
import shapely

from gis_data.boundary import load_district_boundary
from gis_data.demo_attrs import build_attributes
from gis_data.demo_city import build_territory
from gis_data.demo_people import build_users
from gis_data.demo_reports import Catalogue, build_reports
from gis_data.demo_scale import DemoScale
from gis_data.tessellate import reading_order

SMALL = DemoScale(
    streets=4,
    communities_per_street=3,
    residential_areas=60,
    grid_cells=50,
    reports=300,
    patrols=10,
)
REL = 1e-6


@pytest.fixture(scope="module")
def city():
    return build_territory(DemoScale.demo(), 410105)


def _assert_tiles(parent, children, what):
    total = sum(c.area for c in children)
    union = shapely.union_all(children)
    assert abs(union.area - parent.area) <= REL * parent.area, what
    assert abs(total - parent.area) <= REL * parent.area, f"{what}: overlaps or gaps"
    assert shapely.symmetric_difference(union, parent).area <= REL * parent.area, what


def _all_geoms(t):
    return (
        [t.district]
        + [s[2] for s in t.streets]
        + [c[3] for c in t.communities]
        + [a[3] for a in t.areas]
        + [c[2] for c in t.cells]
    )


def test_district_is_jinshui_in_wgs84():
    d = load_district_boundary()
    assert d.is_valid and d.geom_type == "MultiPolygon"
    # ~240 km² around 113.6-113.9 E, 34.7-34.9 N.
    xmin, ymin, xmax, ymax = d.bounds
    assert 113.5 < xmin < xmax < 114.0 and 34.6 < ymin < ymax < 35.0
    area_km2 = d.area * (111.32 * np.cos(np.radians(34.8))) * 110.57
    assert 200 < area_km2 < 280


def test_streets_tile_the_district(city):
    _assert_tiles(city.district, [s[2] for s in city.streets], "streets")


def test_communities_tile_each_street(city):
    for code, _, geom in city.streets:
        kids = [c[3] for c in city.communities if c[2] == code]
        assert kids, code
        _assert_tiles(geom, kids, code)


def test_cells_tile_each_community(city):
    for code, _, _, geom in city.communities:
        kids = [c[2] for c in city.cells if c[1] == code]
        assert len(kids) >= 2, code
        _assert_tiles(geom, kids, code)


def test_areas_lie_in_their_community_and_cell_and_do_not_overlap(city):
    comm = {c[0]: c[3] for c in city.communities}
    cell_of = {a: c for c in city.cells for a in c[3]}
    assert set(cell_of) == {a[0] for a in city.areas}  # every 小区 in exactly one cell
    for code, _, c_code, geom, _ in city.areas:
        assert comm[c_code].buffer(1e-9).contains(geom), code
        assert cell_of[code][2].buffer(1e-9).contains(geom), code
    tree = shapely.STRtree([a[3] for a in city.areas])
    pairs = tree.query([a[3] for a in city.areas], predicate="intersects")
    assert all(i == j for i, j in pairs.T), "小区 polygons touch or overlap"


def test_every_polygon_passes_the_database_rule(city):
    for g in _all_geoms(city):
        assert g.geom_type == "MultiPolygon" and g.is_valid and not g.is_empty
        xmin, ymin, xmax, ymax = g.bounds
        assert 73.4 <= xmin and xmax <= 135.1 and 3.8 <= ymin and ymax <= 53.6


def test_codes_have_the_right_shape_and_are_unique(city):
    streets = [s[0] for s in city.streets]
    comms = [c[0] for c in city.communities]
    areas = [a[0] for a in city.areas]
    cells = [c[0] for c in city.cells]
    assert all(re.fullmatch(r"410105\d{3}", c) for c in streets)
    assert all(re.fullmatch(r"\d{12}", c) and c[:9] == c2 for c, _, c2, _ in city.communities)
    assert all(re.fullmatch(r"\d{12}R\d{3}", a) and a[:12] == c for a, _, c, _, _ in city.areas)
    assert all(re.fullmatch(r"\d{15}", c) and c[:12] == p for c, p, _, _ in city.cells)
    for codes in (streets, comms, areas, cells):
        assert len(codes) == len(set(codes))
    assert len(city.streets) == 8 and len(city.communities) == 48
    assert len(city.areas) == 300 and len(city.cells) == 270


def test_cells_are_numbered_west_to_east_then_north_to_south():
    pts = np.array([[0.0, 1.0], [2.0, 1.05], [1.0, 0.95], [0.5, 0.0], [1.5, 0.02]])
    assert reading_order(pts, band=0.5).tolist() == [0, 2, 1, 3, 4]


def test_same_seed_same_city_other_seed_other_city():
    a, b = build_territory(SMALL, 7), build_territory(SMALL, 7)
    c = build_territory(SMALL, 8)
    assert [x[:3] for x in a.areas] == [x[:3] for x in b.areas]
    assert [x[3].wkb for x in a.areas] == [x[3].wkb for x in b.areas]
    assert [x[2].wkb for x in a.cells] == [x[2].wkb for x in b.cells]
    assert [x[2].wkb for x in a.cells] != [x[2].wkb for x in c.cells]


def test_attributes_tell_a_story(city):
    now = datetime(2025, 6, 1, tzinfo=UTC)
    attrs = build_attributes(city, np.random.default_rng(1), now, 20, 2005)
    modes = {a.values["property_service_mode"] for a in attrs}
    assert {"professional", "quasi", "none"} <= modes
    for a in attrs:
        v = a.values
        assert 80 <= v["households"] <= 1500 and 1980 <= v["build_year"] <= 2022
        assert v["renovation_eligible"] == (v["build_year"] < 2005)
        assert (v["property_company"] is not None) == (
            v["property_service_mode"] in ("professional", "large_scale", "emergency_custody")
        )
    stages = {a.values["renovation_status"] for a in attrs if a.values["renovation_eligible"]}
    assert stages == {"not_listed", "planned", "in_progress", "completed", "accepted"}
    rates = {}
    for (_, _, c_code, _, _), a in zip(city.areas, attrs, strict=True):
        rates.setdefault(c_code[:9], []).append(a.values["party_org_status"] != "none")
    means = sorted(np.mean(v) for v in rates.values())
    assert means[0] < 0.65 and means[-1] > 0.85


def test_reports_are_consistent(city):
    rng = np.random.default_rng(3)
    cat = Catalogue(
        ["clutter", "fire_lane_blocked", "ebike_corridor"],
        ["乱堆乱放", "占用消防通道", "电动车楼道停放"],
        ["urban_management", "fire_rescue", "fire_rescue"],
        np.array([24.0, 12.0, 12.0]),
    )
    hh = np.full(len(city.areas), 300.0)
    now = np.datetime64("2025-06-01T10:00:00")
    r = build_reports(city, hh, cat, 500, now, rng)
    assert (r.created <= now).all() and (r.created >= now - np.timedelta64(121, "D")).all()
    for (x, y), ci, ai in zip(r.xy, r.cell, r.area, strict=True):
        assert city.cells[ci][2].contains(shapely.Point(x, y))
        assert ai < 0 or city.areas[ai][3].contains(shapely.Point(x, y))
    # one event per transition, ending at the report's status, in time order
    ends = np.flatnonzero(np.r_[r.ev_report[1:] != r.ev_report[:-1], True])
    assert (r.ev_to[ends] == r.status[r.ev_report[ends]]).all()
    assert (np.diff(r.ev_report) >= 0).all()
    same = r.ev_report[1:] == r.ev_report[:-1]
    assert (r.ev_at[1:][same] >= r.ev_at[:-1][same]).all() and (r.ev_at <= now).all()


def test_demo_accounts_cover_every_cell_but_a_few(city):
    users, assignments, primary = build_users(
        city, [("fire_rescue", "消防救援")], np.random.default_rng(2)
    )
    names = {u.username: u for u in users}
    for n in (
        "admin",
        "district",
        "planner",
        "street1",
        "street2",
        "community1",
        "worker1",
        "dept-fire",
    ):
        assert n in names
    assert names["community1"].community_code == city.communities[0][0]
    assert names["worker1"].community_code == city.communities[0][0]
    assert sum(1 for c, w in primary.items() if w == "worker1") >= 2
    assert 0 < len(city.cells) - len(primary) <= 5
    current = [(a.cell_code) for a in assignments if a.is_primary and a.valid_to is None]
    assert len(current) == len(set(current))


def test_scale_override_and_benchmark():
    assert DemoScale.demo().override() == DemoScale.demo()
    b = DemoScale.benchmark()
    assert (b.residential_areas, b.grid_cells, b.reports) == (2000, 20_000, 1_000_000)
    assert b == DemoScale.demo().override(
        residential_areas=2000, grid_cells=20_000, reports=1_000_000
    )
    # enough communities that no community needs more than 999 cells or 小区
    assert b.grid_cells / (b.streets * b.communities_per_street) < 999
    assert DemoScale.demo().override(reports=5).reports == 5
