"""Which coverage findings an import introduces, and which were already there."""

from __future__ import annotations

import json

import pytest
import shapely

from service.domain.grid_findings import Finding
from service.services.grid_rules import compare

C = "419901001001"


def _gap(x1: float, x2: float, community: str = C) -> Finding:
    geom = shapely.box(x1, 40.50, x2, 40.52)
    point = json.loads(shapely.to_geojson(geom.representative_point()))
    return Finding("gap", [], community, point, json.loads(shapely.to_geojson(geom)))


def _split(area: str, *cells: str) -> Finding:
    return Finding("residential_area_split_unrecorded", [*cells, area], C, None)


def test_the_same_gap_is_kept_and_a_new_one_introduced() -> None:
    introduced, kept = compare(
        [_gap(120.50, 120.501)], [_gap(120.50, 120.501), _gap(120.51, 120.511)]
    )
    assert kept == [_gap(120.50, 120.501)]
    assert [i.finding for i in introduced] == [_gap(120.51, 120.511)]
    # 0.001° × 0.02° at 40.5° N ≈ 84.6 m × 2211 m
    assert introduced[0].area_m2 == pytest.approx(187_000, rel=0.01)


def test_only_the_enlargement_of_a_gap_counts() -> None:
    introduced, kept = compare([_gap(120.50, 120.501)], [_gap(120.50, 120.502)])
    assert kept == [] and len(introduced) == 1
    assert introduced[0].part is not None
    assert introduced[0].part.bounds == pytest.approx((120.501, 40.50, 120.502, 40.52))


def test_a_community_without_cells_may_be_covered_bit_by_bit() -> None:
    empty = Finding("community_without_cells", [], C, None)
    introduced, kept = compare([empty], [_gap(120.50, 120.51)])
    assert introduced == [] and kept == [_gap(120.50, 120.51)]


def test_a_split_counts_once_per_residential_area() -> None:
    before = [_split(C + "R001", C + "001", C + "002")]
    after = [_split(C + "R001", C + "001", C + "003"), _split(C + "R002", C + "001", C + "002")]
    introduced, kept = compare(before, after)
    assert kept == [after[0]]
    assert [i.finding for i in introduced] == [after[1]]
