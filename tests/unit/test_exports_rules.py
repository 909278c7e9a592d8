"""Pure parts of exports and imports: CSV cells, field names, encodings, boundary rules."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from service.domain.boundary_rules import (
    geometry_problems,
    outside_parent,
    overlap_m2,
    same_geometry,
)
from service.domain.coords import wgs84_to_gcj02
from service.domain.export_formats import LAYERS, formula_guarded, neutralise_cell
from service.exports.gcj import wgs84_to_gcj02_array
from service.imports.readers import shapefile_encoding


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+86 123", "'+86 123"),
        ("-楼道", "'-楼道"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("幸福小区", "幸福小区"),
        (-3, "-3"),
        (None, ""),
        (True, "true"),
    ],
)
def test_neutralise_cell(value, cell) -> None:
    assert neutralise_cell(value) == cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+86 123", "'+86 123"),
        ("-楼道", "'-楼道"),
        ("@SUM(1)", "'@SUM(1)"),
        ("幸福小区 =1", "幸福小区 =1"),
        ("'=1", "'=1"),
        ("", ""),
        # a leading tab or carriage return is guarded too (importers may strip it first)
        ("\t=1+1", "'\t=1+1"),
        ("\r@x", "'\r@x"),
    ],
)
def test_formula_guarded_text_of_the_table_downloads(text, cell) -> None:
    assert formula_guarded(text) == cell


def test_shapefile_field_names_are_short_and_unique() -> None:
    for info in LAYERS.values():
        shorts = [f.short for f in info.fields]
        assert all(len(s) <= 10 for s in shorts)
        assert len(set(shorts)) == len(shorts)


def test_encoding_detection(tmp_path) -> None:
    shp = tmp_path / "a.shp"
    shp.with_suffix(".dbf").write_bytes(b"\x03header" + "南阳社区".encode("gbk"))
    assert shapefile_encoding(shp) == "GBK"
    shp.with_suffix(".dbf").write_bytes(b"\x03header" + "南阳社区".encode())
    assert shapefile_encoding(shp) == "UTF-8"
    shp.with_suffix(".cpg").write_text("936")
    assert shapefile_encoding(shp) == "GBK"


def test_gcj_array_matches_domain_coords() -> None:
    pts = np.array([[113.70, 34.78], [113.5, 34.8]])
    lon, lat = wgs84_to_gcj02(113.70, 34.78)
    out = wgs84_to_gcj02_array(pts)
    assert out[0] == pytest.approx([float(lon), float(lat)])
    assert 0.001 < abs(out[0][0] - 113.70) < 0.02


def test_boundary_rules() -> None:
    square = shapely.box(113.5, 34.8, 113.51, 34.81)
    assert same_geometry(square, shapely.MultiPolygon([square.reverse()]))
    assert not same_geometry(square, shapely.box(113.5, 34.8, 113.51, 34.8101))
    bowtie = shapely.from_wkt("POLYGON((0 0,1 1,1 0,0 1,0 0))")
    problems, where = geometry_problems(bowtie, 100)
    assert "invalid" in problems[0] and where == [0.5, 0.5]
    assert "outside China" in geometry_problems(shapely.box(34.8, 113.5, 34.9, 113.6), 100)[0][0]
    assert "vertices" in geometry_problems(square, 3)[0][0]
    parent = shapely.box(113.5, 34.8, 113.52, 34.82)
    nudged = shapely.box(113.5, 34.8, 113.52 + 0.5 / 91_000, 34.81)  # 0.5 m outside: tolerated
    assert outside_parent(nudged, parent) is None
    spilled = shapely.box(113.5, 34.8, 113.52 + 5 / 91_000, 34.81)  # 5 m outside: refused
    assert outside_parent(spilled, parent) is not None
    area, _ = overlap_m2(square, shapely.box(113.505, 34.805, 113.52, 34.82))
    assert 200_000 < area < 300_000  # ~455 m × 555 m / 4
