"""The base-map setting, the per-tile GCJ-02 affine map and the browser's datum module."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from service.domain.basemap import BaseMapSettingError, parse_basemap
from service.domain.coords import gcj02_to_wgs84, wgs84_to_gcj02
from service.domain.tile_shift import _to_lonlat, _to_mercator, gcj02_tile_affine

ROOT = Path(__file__).resolve().parents[2]


def test_presets_and_custom_urls() -> None:
    assert parse_basemap("").layers == () and parse_basemap("none").crs == "wgs84"
    tdt = parse_basemap("tianditu-imagery", "KEY")
    assert tdt.crs == "wgs84" and "LAYER=img" in tdt.layers[0].url and "tk=KEY" in tdt.layers[0].url
    assert "LAYER=cia" in tdt.layers[1].url  # imagery with its annotation layer
    assert parse_basemap("amap").crs == "gcj02"
    own = parse_basemap("xyz:gcj02:http://127.0.0.1:9/{z}/{x}/{y}.png")
    assert own.crs == "gcj02" and own.layers[0].url.endswith("{y}.png")
    assert parse_basemap("wmts:cgcs2000:https://t/{z}/{x}/{y}").crs == "wgs84"


@pytest.mark.parametrize(
    "spec, says",
    [
        ("tianditu-vector", "WANGGE_TIANDITU_KEY"),
        ("xyz:mars:http://x/{z}/{x}/{y}", "crs"),
        ("xyz:gcj02:http://x/{z}/{x}", "{y}"),
        ("google", "not one of"),
    ],
)
def test_bad_settings_say_why(spec: str, says: str) -> None:
    with pytest.raises(BaseMapSettingError, match=None) as err:
        parse_basemap(spec)
    assert says in str(err.value)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_540)


@pytest.mark.parametrize("z", [13, 15, 17, 19])
def test_tile_affine_is_within_a_metre_of_the_formula(z: int) -> None:
    lon, lat = 113.6801, 34.7953  # Zhengzhou
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    a, b, d, e, xoff, yoff = gcj02_tile_affine(z, x, y)
    size = 2 * math.pi * 6378137.0 / n
    x0, y1 = -math.pi * 6378137.0 + x * size, math.pi * 6378137.0 - y * size
    worst = 0.0
    for fx in (0.1, 0.5, 0.9):
        for fy in (0.1, 0.5, 0.9):
            mx, my = x0 + fx * size, y1 - fy * size
            want = tuple(float(v) for v in wgs84_to_gcj02(*_to_lonlat(mx, my)))
            got = _to_lonlat(a * mx + b * my + xoff, d * mx + e * my + yoff)
            worst = max(worst, _metres(want, got))
    assert worst < 1.0
    assert _to_mercator(*_to_lonlat(1000.0, 2000.0)) == pytest.approx((1000.0, 2000.0))


def test_browser_datum_matches_the_server() -> None:
    points = [(113.68, 34.79), (116.397, 39.909), (121.47, 31.23), (2.35, 48.85)]
    script = (
        "import { wgs84ToGcj02, gcj02ToWgs84 } from './map_ui/static/datum.js';"
        f"const pts = {json.dumps(points)};"
        "console.log(JSON.stringify(pts.map(([x, y]) => "
        "[wgs84ToGcj02(x, y), gcj02ToWgs84(...wgs84ToGcj02(x, y))])));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for (lon, lat), (gcj, back) in zip(points, json.loads(out.stdout), strict=True):
        want = [float(v) for v in wgs84_to_gcj02(lon, lat)]
        assert gcj == pytest.approx(want, abs=1e-9)
        assert back == pytest.approx([lon, lat], abs=1e-8)
        assert back == pytest.approx([float(v) for v in gcj02_to_wgs84(*gcj)], abs=1e-8)
