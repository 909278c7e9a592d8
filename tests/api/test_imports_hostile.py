"""Hostile boundary files: decompression bombs, NaN rings, oversized CSV fields → a quick 4xx."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest

from service.errors import PayloadTooLarge
from service.imports.archives import ArchiveLimits, extract_member
from service.imports.readers import read_features
from tests import exports_world

export_world = exports_world.export_world
export_client = exports_world.export_client
export_headers = exports_world.export_headers

MB = 1024 * 1024


def _import(client, headers, layer, name, content, apply=False):
    return client.post(
        f"/api/imports/{layer}" + ("?apply=true" if apply else ""),
        headers=headers,
        files={"file": (name, content, "application/octet-stream")},
    )


def zip_bomb(expanded_mb: int, member: str = "bomb.dbf") -> bytes:
    """A real zip whose one member inflates from a few hundred KB to `expanded_mb` MB of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("bomb.shp", b"\0" * 100)
        with zf.open(member, "w", force_zip64=True) as out:
            block = b"\0" * MB
            for _ in range(expanded_mb):
                out.write(block)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = zip_bomb(400)
    assert len(data) < 1 * MB  # 400 MB behind less than 1 MB
    return data


def test_zip_bomb_is_refused_quickly_through_the_api(export_client, export_headers, bomb) -> None:
    started = time.monotonic()
    r = _import(export_client, export_headers["x7district"], "streets", "bomb.zip", bomb)
    elapsed = time.monotonic() - started
    assert r.status_code == 413, r.text
    detail = r.json()["detail"]
    assert detail["message_zh"] and detail["where"]["field"] == "file"
    assert elapsed < 5, f"took {elapsed:.1f} s: the bomb was unpacked"


def test_zip_bomb_unpacks_nothing(tmp_path: Path, bomb) -> None:
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(PayloadTooLarge) as err:
        read_features(path, "streets", work)
    assert err.value.where["expanded_bytes"] > 400 * MB - 1
    assert list(work.iterdir()) == []  # refused from the zip's directory, before unpacking


def test_high_ratio_member_under_the_total_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratio.zip"
    path.write_bytes(zip_bomb(20))  # 20 MB of zeros: ~1000:1
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(PayloadTooLarge) as err:
        read_features(path, "streets", work)
    assert err.value.where["member"] == "bomb.dbf" and err.value.where["max_ratio"] == 200


def test_unpacking_stops_at_the_budget_and_leaves_nothing(tmp_path: Path) -> None:
    """The copy counts the bytes it really produces: past the budget it stops and cleans up."""
    path = tmp_path / "ok.zip"
    path.write_bytes(zip_bomb(3))
    target = tmp_path / "bomb.dbf"
    limits = ArchiveLimits(max_bytes=1 * MB, max_ratio=10_000)
    with zipfile.ZipFile(path) as zf, pytest.raises(PayloadTooLarge):
        extract_member(zf, zf.getinfo("bomb.dbf"), target, 1 * MB, "ok.zip", limits)
    assert not target.exists()


def _geojson_text(ring_literal: str) -> bytes:
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature",'
        ' "properties": {"code": "410108001", "name": "花园路街道"},'
        ' "geometry": {"type": "Polygon", "coordinates": [' + ring_literal + "]}}]}"
    ).encode()


def test_geojson_ring_starting_with_nan_is_a_422_with_where(export_client, export_headers) -> None:
    """NaN never equals itself, so the ring cannot close: GEOS refuses to build it at all."""
    ring = "[[NaN, 34.80], [113.52, 34.80], [113.52, 34.84], [113.50, 34.84], [NaN, 34.80]]"
    h = export_headers["x7district"]
    for apply in (False, True):
        r = _import(export_client, h, "streets", "nan.geojson", _geojson_text(ring), apply)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail["where"]["feature"] == 1 and detail["where"]["code"] == "410108001"
        assert "finite" in detail["message"] and detail["where"]["field"] == "geometry"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_geojson_ring_with_non_finite_vertex_is_refused_with_its_reason(
    export_client, export_headers, bad
) -> None:
    ring = f"[[113.50, 34.80], [113.52, 34.80], [{bad}, 34.84], [113.50, 34.84], [113.50, 34.80]]"
    h = export_headers["x7district"]
    dry = _import(export_client, h, "streets", "nan.geojson", _geojson_text(ring))
    assert dry.status_code == 200, dry.text
    (feature,) = dry.json()["features"]
    assert feature["action"] == "refused" and "non-finite" in feature["reasons"][0]
    applied = _import(export_client, h, "streets", "nan.geojson", _geojson_text(ring), True)
    assert applied.status_code == 422, applied.text
    assert applied.json()["detail"]["where"]["refused"][0]["code"] == "410108001"


def _csv_with_wkt(wkt: str) -> bytes:
    return ("code,name,wkt\n" + f'410108001,花园路街道,"{wkt}"\n').encode()


def test_csv_with_a_wkt_field_over_128_kib_is_read_and_checked(
    export_client, export_headers
) -> None:
    h = export_headers["x7district"]
    wkt = "POLYGON((" + ",".join(["113.5 34.8"] * 20_000) + "))"
    assert len(wkt) > 128 * 1024  # past the csv module's default field limit
    r = _import(export_client, h, "streets", "big.csv", _csv_with_wkt(wkt))
    assert r.status_code == 200, r.text  # read, then refused for what it is: a degenerate ring
    (feature,) = r.json()["features"]
    assert feature["action"] == "refused" and "invalid geometry" in feature["reasons"][0]
    applied = _import(export_client, h, "streets", "big.csv", _csv_with_wkt(wkt), apply=True)
    assert applied.status_code == 422, applied.text


def test_csv_with_a_huge_field_is_refused_with_its_line(export_client, export_headers) -> None:
    h = export_headers["x7district"]
    wkt = "POLYGON((" + "113.5 34.8," * 1_000_000 + "113.5 34.8))"
    r = _import(export_client, h, "streets", "huge.csv", _csv_with_wkt(wkt))
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["where"]["line"] == 2


def test_geojson_with_large_ring_in_csv_still_imports(export_client, export_headers) -> None:
    """A legitimate street of 10,000 vertices as CSV WKT (~250 KB) is read, not refused."""
    h = export_headers["x7district"]
    exported = export_client.get("/api/exports/streets.geojson", headers=h).json()
    feature = exported["features"][0]
    import shapely

    geom = shapely.geometry.shape(feature["geometry"]).segmentize(0.00001)
    assert shapely.get_num_coordinates(geom) > 10_000
    body = _csv_with_wkt(geom.wkt)
    assert len(body) > 128 * 1024
    r = _import(export_client, h, "streets", "dense.csv", body)
    assert r.status_code == 200, r.text
    assert json.loads(r.text)["counts"]["refused"] == 0
