"""WGS84 / GCJ-02 / BD-09 conversions: reference values, round trips, inverse accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from service.domain import coords

M_PER_DEG = 111_320.0


def _metres(lon1, lat1, lon2, lat2):
    dx = (np.asarray(lon1) - lon2) * np.cos(np.radians(lat2)) * M_PER_DEG
    return np.hypot(dx, (np.asarray(lat1) - lat2) * M_PER_DEG)


@pytest.fixture(scope="module")
def china_grid():
    lon, lat = np.meshgrid(np.linspace(75.0, 134.0, 60), np.linspace(18.5, 53.0, 60))
    return lon.ravel(), lat.ravel()


def test_published_reference_point_beijing():
    # The value every GCJ-02 implementation reproduces for WGS84 (116.404, 39.915).
    lon, lat = coords.wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    blon, blat = coords.gcj02_to_bd09(116.404, 39.915)
    assert blon == pytest.approx(116.41036949371029, abs=1e-9)
    assert blat == pytest.approx(39.92133699351021, abs=1e-9)


def test_offset_in_zhengzhou_is_hundreds_of_metres():
    lon, lat = coords.wgs84_to_gcj02(113.70, 34.80)
    assert 100 < _metres(lon, lat, 113.70, 34.80) < 1000
    blon, blat = coords.wgs84_to_bd09(113.70, 34.80)
    assert 500 < _metres(blon, blat, 113.70, 34.80) < 2000


def test_gcj02_round_trip_is_sub_metre_everywhere_in_china(china_grid):
    lon, lat = china_grid
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert np.max(_metres(*back, lon, lat)) < 0.5
    assert np.max(_metres(*back, lon, lat)) < 0.001  # in fact well under a millimetre


def test_one_step_inverse_is_metres_off(china_grid):
    lon, lat = china_grid
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    one = _metres(*coords.gcj02_to_wgs84_one_step(glon, glat), lon, lat)
    it = _metres(*coords.gcj02_to_wgs84(glon, glat), lon, lat)
    assert np.max(one) > 1.0
    assert np.max(one) > 1000 * np.max(it)


def test_bd09_round_trips(china_grid):
    lon, lat = china_grid
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert np.max(_metres(*back, lon, lat)) < 0.5
    g = coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lon, lat))
    assert np.max(_metres(*g, lon, lat)) < 0.01


def test_outside_china_gcj_is_identity():
    for lon, lat in [(-0.1276, 51.5072), (139.69, 35.68), (2.35, 48.85)]:
        assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)
    # A swapped pair in China (lat, lon) lands outside China too.
    assert coords.wgs84_to_gcj02(34.8, 113.7) == (34.8, 113.7)


def test_scalars_in_scalars_out_arrays_in_arrays_out():
    lon, lat = coords.gcj02_to_wgs84(113.7, 34.8)
    assert isinstance(lon, float) and isinstance(lat, float)
    alon, alat = coords.gcj02_to_wgs84(np.array([113.7, 113.8]), np.array([34.8, 34.9]))
    assert alon.shape == (2,) and alat.shape == (2,)
    assert alon[0] == pytest.approx(lon, abs=1e-12)


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_to_wgs84_dispatches(crs):
    lon, lat = 113.66, 34.78
    forward = {
        "wgs84": lambda x, y: (x, y),
        "gcj02": coords.wgs84_to_gcj02,
        "bd09": coords.wgs84_to_bd09,
    }[crs]
    back = coords.to_wgs84(*forward(lon, lat), crs)
    assert _metres(*back, lon, lat) < 0.01


def test_to_wgs84_rejects_unknown_crs():
    with pytest.raises(ValueError, match="cgcs"):
        coords.to_wgs84(113.7, 34.8, "cgcs2000x")
