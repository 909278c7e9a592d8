"""Pure grid logic: generation invariants (hypothesis), codes, splits, merges, carry-over."""

from __future__ import annotations

import random

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from service.domain.grid_carry import AssignmentState, allocate_households, carry_workers
from service.domain.grid_codes import next_sequences, reading_order
from service.domain.grid_edits import CellState, check_edit, merge_cells, split_by_line, split_into
from service.domain.grid_generate import AreaInput, generate_cells
from service.domain.grid_geometry import LocalFrame
from service.errors import Conflict, OutsideArea, ValidationFailed
from tests.fixtures.grid_layouts import random_layout

TOL = 1.0


def _metric(layout, cells):
    frame = LocalFrame.around(layout.community_geom)
    return frame.to_metric(layout.community_geom), [frame.to_metric(c.geom) for c in cells]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    bx=st.integers(1, 4),
    by=st.integers(1, 3),
    hmax=st.integers(300, 700),
)
def test_generation_partitions_the_community(seed: int, bx: int, by: int, hmax: int) -> None:
    hmin = hmax // 3
    layout = random_layout(random.Random(seed), blocks_x=bx, blocks_y=by)
    cells = generate_cells(
        "410105001001",
        layout.community_geom,
        layout.areas,
        households_min=hmin,
        households_max=hmax,
    )
    community, metric = _metric(layout, cells)
    union = shapely.union_all(metric)
    assert community.difference(union).area < TOL  # no gap
    assert union.difference(community).area < TOL  # nothing outside
    for i in range(len(metric)):
        assert cells[i].geom.is_valid
        for j in range(i + 1, len(metric)):
            assert metric[i].intersection(metric[j]).area < TOL  # no overlap
    # households conserved, out-of-range cells flagged
    assert sum(c.households for c in cells) == sum(a.households for a in layout.areas)
    for c in cells:
        in_range = hmin <= c.households <= hmax
        assert in_range == (not c.flags)
    # each 小区 sits in one cell, or its parts are all recorded as split
    frame = LocalFrame.around(layout.community_geom)
    for area in layout.areas:
        geom = frame.to_metric(area.geom)
        holders = [c for c, m in zip(cells, metric, strict=True) if m.intersection(geom).area > TOL]
        if len(holders) > 1:
            assert all(area.id in c.split_shares for c in holders)
            assert sum(c.split_shares[area.id] for c in holders) == area.households
        if area.households <= hmax:
            assert len(holders) == 1
    codes = [c.code for c in cells]
    assert len(set(codes)) == len(codes)


def test_codes_follow_reading_order() -> None:
    # 2 rows × 3 columns: north row first, west to east inside a row
    points = [(x, y) for y in (15.0, 5.0) for x in (25.0, 5.0, 15.0)]
    order = reading_order(points, (0, 0, 30, 20))
    assert [points[i] for i in order] == [
        (5.0, 15.0),
        (15.0, 15.0),
        (25.0, 15.0),
        (5.0, 5.0),
        (15.0, 5.0),
        (25.0, 5.0),
    ]


def test_sequences_are_never_reused() -> None:
    used = ["410105001001001", "410105001001002", "410105001001007"]
    assert next_sequences("410105001001", used, 3) == [8, 9, 10]
    full = [f"410105001001{s:03d}" for s in range(1, 1000)]
    with pytest.raises(Conflict):
        next_sequences("410105001001", full, 1)


def _square(frame: LocalFrame, x0: float, y0: float, size: float = 100.0):
    return frame.to_wgs84(box(x0, y0, x0 + size, y0 + size))


def test_split_by_line_and_into_parts() -> None:
    frame = LocalFrame(113.66, 34.78)
    cell = CellState("410105001001001", _square(frame, 0, 0))
    line = frame.to_wgs84(LineString([(50, -10), (50, 110)]))
    halves = split_by_line(cell, line)
    assert len(halves) == 2
    areas = sorted(frame.to_metric(h).area for h in halves)
    assert areas == pytest.approx([5000, 5000], rel=1e-6)
    thirds = split_into(cell, 3)
    assert [frame.to_metric(t).area for t in thirds] == pytest.approx([10000 / 3] * 3, rel=1e-4)
    miss = frame.to_wgs84(LineString([(200, -10), (200, 110)]))
    with pytest.raises(ValidationFailed) as err:
        split_by_line(cell, miss)
    assert err.value.where["code"] == cell.code


def test_merge_requires_adjacent_cells() -> None:
    frame = LocalFrame(113.66, 34.78)
    a = CellState("410105001001001", _square(frame, 0, 0))
    b = CellState("410105001001002", _square(frame, 100, 0))
    far = CellState("410105001001003", _square(frame, 500, 0))
    merged = merge_cells([a, b])
    assert frame.to_metric(merged).area == pytest.approx(20000, rel=1e-6)
    with pytest.raises(ValidationFailed) as err:
        merge_cells([a, far])
    assert far.code in err.value.message


def test_check_edit_names_the_overlapped_sibling_and_outside() -> None:
    frame = LocalFrame(113.66, 34.78)
    community = frame.to_wgs84(box(0, 0, 300, 100))
    a = CellState("410105001001001", _square(frame, 0, 0))
    b = CellState("410105001001002", _square(frame, 100, 0))
    grown = frame.to_wgs84(box(0, 0, 150, 100))
    with pytest.raises(ValidationFailed) as err:
        check_edit([grown], [a], [b], "410105001001", community)
    assert err.value.where["code"] == b.code and len(err.value.where["location"]) == 2
    outside = frame.to_wgs84(box(-50, 0, 100, 100))
    with pytest.raises(OutsideArea):
        check_edit([outside], [a], [b], "410105001001", community)


def test_households_shared_by_area_and_workers_carried() -> None:
    frame = LocalFrame(113.66, 34.78)
    left, right = _square(frame, 0, 0), _square(frame, 100, 0)
    area = AreaInput(1, "410105001001R001", frame.to_wgs84(box(50, 0, 150, 100)), 301)
    counts = allocate_households([left, right], [area])
    assert sorted(c.households for c in counts) == [150, 151]
    assert all(c.split_shares == {1: c.households} for c in counts)
    current = [
        AssignmentState(7, "A", True),
        AssignmentState(8, "B", True),
        AssignmentState(9, "B", False),
    ]
    carried = carry_workers([("B", 900.0), ("A", 100.0)], current)
    assert carried.primary == 8 and carried.demoted_primaries == [7]
    assert carried.backups == [7, 9] and carried.conflict
