"""GeoJSON drawn in GCJ-02 for a GCJ-02 base map; untouched otherwise."""

from __future__ import annotations

import pytest

from map_ui.display_frame import shift_bounds, shift_collection
from service.domain.coords import wgs84_to_gcj02


def test_shift_collection_and_bounds() -> None:
    ring = [[113.68, 34.79], [113.69, 34.79], [113.69, 34.80], [113.68, 34.79]]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "1"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    assert shift_collection(fc, "wgs84") is fc
    shifted = shift_collection(fc, "gcj02")
    got = shifted["features"][0]["geometry"]["coordinates"][0][1]
    assert list(got) == pytest.approx([float(v) for v in wgs84_to_gcj02(113.69, 34.79)], abs=1e-9)
    assert fc["features"][0]["geometry"]["coordinates"][0][1] == [113.69, 34.79]  # a copy
    assert shifted["features"][0]["properties"] == {"code": "1"}
    x0, y0, x1, y1 = shift_bounds((113.68, 34.79, 113.69, 34.80), "gcj02")
    assert (x0, y0) == pytest.approx([float(v) for v in wgs84_to_gcj02(113.68, 34.79)])
    assert shift_bounds(None, "gcj02") is None
