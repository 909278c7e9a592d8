"""Boundary import: export → import changes nothing; refusals say why and where; apply."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from tests import exports_world

export_world = exports_world.export_world
export_client = exports_world.export_client
export_headers = exports_world.export_headers
BOUNDARIES = ["streets", "communities", "residential_areas", "grid_cells"]


def _import(client, headers, layer, name, content, apply=False):
    return client.post(
        f"/api/imports/{layer}" + ("?apply=true" if apply else ""),
        headers=headers,
        files={"file": (name, content, "application/octet-stream")},
    )


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp.zip", "csv"])
@pytest.mark.parametrize("layer", BOUNDARIES)
def test_export_then_import_changes_nothing(fmt, layer, export_client, export_headers) -> None:
    h = export_headers["x7district"]
    exported = export_client.get(f"/api/exports/{layer}.{fmt}", headers=h)
    assert exported.status_code == 200
    name = f"{layer}.zip" if fmt == "shp.zip" else f"{layer}.{fmt}"
    r = _import(export_client, h, layer, name, exported.content)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["counts"]["unchanged"] > 0
    assert report["counts"] == {**report["counts"], "added": 0, "changed": 0, "refused": 0}, report
    applied = _import(export_client, h, layer, name, exported.content, apply=True)
    assert applied.status_code == 200 and applied.json()["applied"] is True


def _feature(code: str, wkt: str, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, **props},
        "geometry": json.loads(shapely.to_geojson(shapely.from_wkt(wkt))),
    }


def _geojson(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_refusals_carry_reasons_and_locations(export_client, export_headers) -> None:
    h = export_headers["x7district"]
    bowtie = "POLYGON((113.502 34.806,113.504 34.808,113.504 34.806,113.502 34.808,113.502 34.806))"
    body = _geojson(
        _feature("410108001001R010", bowtie, name="蝴蝶小区", households=10, buildings=1),
        _feature(
            "410108001001R011",
            "POLYGON((113.518 34.81,113.53 34.81,113.53 34.815,113.518 34.815,113.518 34.81))",
            name="越界小区",
            households=10,
            buildings=1,
        ),
        _feature(
            "410108001001R012",
            "POLYGON((113.502 34.802,113.504 34.802,113.504 34.804,113.502 34.804,113.502 34.802))",
            name="重叠小区",
            households=10,
            buildings=1,
        ),
        _feature(
            "4101080010R1",
            "POLYGON((113.506 34.81,113.507 34.81,113.507 34.811,113.506 34.811,113.506 34.81))",
            name="坏编码",
            households=1,
            buildings=1,
        ),
        _feature(
            "410108001001R013",
            "POLYGON((34.81 113.506,34.81 113.507,34.811 113.507,34.811 113.506,34.81 113.506))",
            name="经纬颠倒",
            households=1,
            buildings=1,
        ),
    )
    r = _import(export_client, h, "residential_areas", "bad.geojson", body)
    assert r.status_code == 200, r.text
    refused = {f["code"]: f for f in r.json()["features"]}
    assert r.json()["counts"]["refused"] == 5
    assert "invalid geometry" in refused["410108001001R010"]["reasons"][0]
    assert refused["410108001001R010"]["location"] == pytest.approx([113.503, 34.807])
    assert "outside parent 410108001001" in refused["410108001001R011"]["reasons"][0]
    assert refused["410108001001R011"]["location"][0] > 113.52
    assert "overlaps 410108001001R001" in refused["410108001001R012"]["reasons"][0]
    assert "not well-formed" in refused["4101080010R1"]["reasons"][0]
    assert "outside China" in refused["410108001001R013"]["reasons"][0]
    applied = _import(export_client, h, "residential_areas", "bad.geojson", body, apply=True)
    assert applied.status_code == 422  # nothing written when anything is refused


def test_apply_adds_and_changes_in_one_go(export_client, export_headers) -> None:
    h = export_headers["x7district"]
    body = _geojson(
        _feature(
            "410108002001R005",
            "POLYGON((113.532 34.82,113.535 34.82,113.535 34.823,113.532 34.823,113.532 34.82))",
            name="新建和园",
            households=210,
            buildings=4,
            build_year=2015,
        ),
    )
    dry = _import(export_client, h, "residential_areas", "new.geojson", body).json()
    assert dry["counts"]["added"] == 1 and dry["applied"] is False
    assert _import(export_client, h, "residential_areas", "new.geojson", body, True).json()[
        "applied"
    ]
    again = _import(export_client, h, "residential_areas", "new.geojson", body).json()
    assert again["counts"]["unchanged"] == 1
    renamed = json.loads(body)
    renamed["features"][0]["properties"]["name"] = "新建和园二期"
    r = _import(export_client, h, "residential_areas", "x.geojson", json.dumps(renamed).encode())
    assert r.json()["features"][0]["changed"] == ["name"]


def test_gbk_shapefile_without_cpg_is_detected(export_client, export_headers, tmp_path) -> None:
    h = export_headers["x7district"]
    r = export_client.get("/api/exports/communities.geojson", headers=h)
    src = tmp_path / "c.geojson"
    src.write_bytes(r.content)
    df = pyogrio.read_dataframe(src)
    df = df[["code", "name", "geometry"]]
    df.loc[df["code"] == "410108001001", "name"] = "南阳社区(改)"
    shp = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(df, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "南阳".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in Path(tmp_path).glob("gbk.*"):
            zf.write(part, arcname=part.name)
    out = _import(export_client, h, "communities", "gbk.zip", buf.getvalue())
    assert out.status_code == 200, out.text
    changed = [f for f in out.json()["features"] if f["action"] == "changed"]
    assert [(f["code"], f["changed"]) for f in changed] == [("410108001001", ["name"])]


def test_import_permissions_and_limits(export_client, export_headers, export_world) -> None:
    body = _geojson()
    assert (
        _import(
            export_client, export_headers["x7planner"], "streets", "a.geojson", body
        ).status_code
        == 403
    )
    r = _import(export_client, export_headers["x7district"], "reports", "a.geojson", body)
    assert r.status_code == 422 and r.json()["detail"]["where"]["field"] == "layer"
    r = _import(export_client, export_headers["x7district"], "streets", "a.exe", body)
    assert r.status_code == 422 and r.json()["detail"]["where"]["field"] == "file"
    other = _geojson(
        _feature(
            "410105099",
            "POLYGON((113.7 34.8,113.71 34.8,113.71 34.81,113.7 34.81,113.7 34.8))",
            name="别区街道",
        )
    )
    r = _import(export_client, export_headers["x7district"], "streets", "o.geojson", other)
    assert r.status_code == 404 and r.json()["detail"]["where"]["codes"] == ["410105099"]


def test_upload_size_limit(export_world, export_headers) -> None:
    from service.main import create_app

    small = export_world.settings.replace(max_import_bytes=1000)
    with TestClient(create_app(small)) as c:
        r = _import(c, export_headers["x7district"], "streets", "big.geojson", b" " * 5000)
    assert r.status_code == 413


def _grid_file(*cells: tuple[str, str]) -> bytes:
    return _geojson(*(_feature(code, wkt, households=300) for code, wkt in cells))


def _assert_refused_and_unwritten(client, h, body: bytes) -> dict[str, dict]:
    before = client.get("/api/exports/grid_cells.geojson", headers=h).json()["features"]
    dry = _import(client, h, "grid_cells", "cells.geojson", body)
    assert dry.status_code == 200, dry.text
    applied = _import(client, h, "grid_cells", "cells.geojson", body, apply=True)
    assert applied.status_code == 422
    refused = applied.json()["detail"]["where"]["refused"]
    assert refused == [f for f in dry.json()["features"] if f["action"] == "refused"]
    after = client.get("/api/exports/grid_cells.geojson", headers=h).json()["features"]
    assert after == before  # nothing written
    return {f["code"]: f for f in refused}


def test_grid_import_that_leaves_a_gap_is_refused(export_client, export_headers) -> None:
    h = export_headers["x7district"]
    # the eastern cell of 南阳社区 stops 0.001° (~90 m) short of the community's edge
    body = _grid_file(
        (
            "410108001001002",
            "POLYGON((113.51 34.8,113.519 34.8,113.519 34.82,113.51 34.82,113.51 34.8))",
        )
    )
    refused = _assert_refused_and_unwritten(export_client, h, body)
    cell = refused["410108001001002"]
    assert any("of community 410108001001 in no grid cell" in r for r in cell["reasons"])
    assert any("社区内有区域不属于任何网格" in r for r in cell["reasons"])
    assert 113.519 < cell["location"][0] < 113.52 and 34.80 < cell["location"][1] < 34.82


def test_grid_import_that_splits_a_residential_area_is_refused(
    export_client, export_headers
) -> None:
    h = export_headers["x7district"]
    # the border between the two cells moves from 113.51 to 113.503, through 幸福家园小区 (R001)
    body = _grid_file(
        (
            "410108001001001",
            "POLYGON((113.5 34.8,113.503 34.8,113.503 34.82,113.5 34.82,113.5 34.8))",
        ),
        (
            "410108001001002",
            "POLYGON((113.503 34.8,113.52 34.8,113.52 34.82,113.503 34.82,113.503 34.8))",
        ),
    )
    refused = _assert_refused_and_unwritten(export_client, h, body)
    assert set(refused) == {"410108001001001", "410108001001002"}
    for cell in refused.values():
        assert any("splits 小区 410108001001R001 across cells" in r for r in cell["reasons"])
        assert 113.501 <= cell["location"][0] <= 113.505
