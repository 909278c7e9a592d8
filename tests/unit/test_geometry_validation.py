"""Geometry validation (service.domain.geometry): each refusal, and agreement with shapely."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from service.domain.geometry import GeometryRules, parse_geometry
from service.errors import GeometryInvalid, OutsideArea, WanggeError

AREAS = frozenset({"Polygon", "MultiPolygon"})
RULES = GeometryRules(field="geometry", types=AREAS, max_vertices=1000)
SQUARE = [[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.8], [113.6, 34.7]]


def poly(*rings: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def refusal(value: object, rules: GeometryRules = RULES) -> WanggeError:
    with pytest.raises(WanggeError) as info:
        parse_geometry(value, rules)
    return info.value


def test_valid_square_is_accepted() -> None:
    assert parse_geometry(poly(SQUARE), RULES).area == pytest.approx(0.01)


def test_z_values_are_dropped() -> None:
    ring = [[x, y, 100.0] for x, y in SQUARE]
    assert not parse_geometry(poly(ring), RULES).has_z


@pytest.mark.parametrize(
    ("value", "kind", "where_key"),
    [
        ([1, 2], GeometryInvalid, None),
        ({**poly(SQUARE), "crs": {"type": "name"}}, GeometryInvalid, "member"),
        ({"type": "Point", "coordinates": [113.6, 34.7]}, GeometryInvalid, "expected"),
        ({"type": "GeometryCollection", "geometries": []}, GeometryInvalid, "type"),
        ({"type": "Polygon"}, GeometryInvalid, None),
        ({"type": ["Polygon"], "coordinates": []}, GeometryInvalid, "type"),
        ({"type": {"a": 1}, "coordinates": []}, GeometryInvalid, "type"),
        (poly(SQUARE[:-1]), GeometryInvalid, "first"),
        (poly(SQUARE[:2] + [SQUARE[0]]), GeometryInvalid, "ring"),
        (poly([*SQUARE[:2], ["113.7", 34.8], *SQUARE[3:]]), GeometryInvalid, "path"),
        (poly([*SQUARE[:2], [True, 34.8], *SQUARE[3:]]), GeometryInvalid, "path"),
        (poly([*SQUARE[:2], [math.nan, 34.8], *SQUARE[3:]]), GeometryInvalid, "path"),
        (poly([*SQUARE[:2], [math.inf, 34.8], *SQUARE[3:]]), GeometryInvalid, "path"),
        (poly([*SQUARE[:2], [113.7], *SQUARE[3:]]), GeometryInvalid, "path"),
        (poly([]), GeometryInvalid, "path"),
        (
            poly([[113.6, 34.7], [113.7, 34.8], [113.7, 34.7], [113.6, 34.8], [113.6, 34.7]]),
            GeometryInvalid,
            "coordinate",
        ),
        (poly([[y, x] for x, y in SQUARE]), OutsideArea, "swapped"),
        (poly([[x - 100, y] for x, y in SQUARE]), OutsideArea, "coordinate"),
    ],
)
def test_refusals_say_what_and_where(value: object, kind: type, where_key: str | None) -> None:
    error = refusal(value)
    assert type(error) is kind
    assert error.message.startswith("geometry: ") and error.message_zh
    assert error.where["field"] == "geometry"
    if where_key:
        assert where_key in error.where


def test_swap_is_named_in_both_languages() -> None:
    error = refusal(poly([[y, x] for x, y in SQUARE]))
    assert "swapped" in error.message and "写反" in (error.message_zh or "")


def test_self_intersection_location_is_reported() -> None:
    bowtie = [[113.6, 34.7], [113.7, 34.8], [113.7, 34.7], [113.6, 34.8], [113.6, 34.7]]
    error = refusal(poly(bowtie))
    assert error.where["coordinate"] == pytest.approx([113.65, 34.75])
    assert "自相交" in (error.message_zh or "")


def test_vertex_limit_is_named() -> None:
    rules = GeometryRules(field="boundary", types=AREAS, max_vertices=4)
    error = refusal(poly(SQUARE), rules)
    assert error.where["limit"] == "max_geometry_vertices" and error.where["max"] == 4


def test_within_check() -> None:
    rules = GeometryRules(
        "geometry", AREAS, 1000, within=box(113.0, 34.0, 113.65, 35.0), within_name="测试区"
    )
    error = refusal(poly(SQUARE), rules)
    assert isinstance(error, OutsideArea) and error.where["area"] == "测试区"


# ---- property: the verdict is shapely's, plus finiteness and closed rings of >= 4 positions

coordinate = st.one_of(
    st.floats(min_value=113.5, max_value=113.9, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
latitude = st.floats(min_value=34.6, max_value=34.9, allow_nan=False)
open_rings = st.lists(st.tuples(coordinate, latitude), min_size=3, max_size=9)


def closed(points: list[tuple[float, float]]) -> list[list[float]]:
    ring = [list(p) for p in points]
    return ring + [ring[0]]


def shapely_verdict(rings: list[list[list[float]]]) -> bool:
    finite = all(math.isfinite(v) for ring in rings for p in ring for v in p)
    if not finite:
        return False
    try:
        return bool(Polygon(rings[0], rings[1:]).is_valid)
    except ValueError:  # fewer than 4 positions after closing
        return False


def domain_verdict(rings: list[list[list[float]]]) -> bool:
    try:
        parse_geometry(poly(*rings), RULES)
    except GeometryInvalid:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(shell=open_rings, hole=st.one_of(st.none(), open_rings))
def test_verdict_matches_shapely(shell: list, hole: list | None) -> None:
    rings = [closed(shell)] + ([closed(hole)] if hole else [])
    assert domain_verdict(rings) == shapely_verdict(rings)


@settings(max_examples=100, deadline=None)
@given(shell=open_rings)
def test_unclosed_rings_are_always_refused(shell: list) -> None:
    ring = [list(p) for p in shell]
    if ring[0] == ring[-1]:
        ring.append([ring[0][0] + 0.001, ring[0][1]])
    assert not domain_verdict([ring])
