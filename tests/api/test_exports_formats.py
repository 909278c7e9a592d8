"""Every export format read back by GDAL (pyogrio) and compared with the database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.domain.vocabulary import STATUSES
from tests import exports_world
from tests.exports_world import AREAS

# session fixtures of our own small territory (see tests/exports_world.py)
export_world = exports_world.export_world
export_client = exports_world.export_client
export_headers = exports_world.export_headers

FORMATS = ["geojson", "gpkg", "shp.zip", "csv"]


def _read(content: bytes, fmt: str, tmp_path: Path):
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    if fmt == "shp.zip":
        return pyogrio.read_dataframe(f"/vsizip/{path}")
    if fmt == "csv":
        return pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="wkt", KEEP_GEOM_COLUMNS="NO")
    return pyogrio.read_dataframe(path)


def _db_rows(world, sql: str) -> dict[str, tuple]:
    engine = create_engine(world.settings.database.owner_url)
    with engine.connect() as conn:
        rows = {r[0]: tuple(r[1:]) for r in conn.execute(text(sql))}
    engine.dispose()
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_residential_areas_round_trip_through_gdal(
    fmt, export_client: TestClient, export_headers, export_world, tmp_path
) -> None:
    r = export_client.get(
        f"/api/exports/residential_areas.{fmt}", headers=export_headers["x7planner"]
    )
    assert r.status_code == 200, r.text
    assert "wgs84" in r.headers["content-disposition"]
    df = _read(r.content, fmt, tmp_path)
    db = _db_rows(
        export_world,
        "SELECT t.code, t.name, t.households, ST_AsBinary(t.geom) FROM residential_area t"
        " JOIN community c ON c.id = t.community_id WHERE c.code LIKE '410108%'",
    )
    assert len(df) == len(db) >= len(AREAS)
    code_col = "code"
    households = "households" if fmt != "shp.zip" else "househlds"
    for _, row in df.iterrows():
        name, hh, wkb = db[row[code_col]]
        if fmt == "csv" and name.startswith("="):
            name = "'" + name  # CSV cells that a spreadsheet would run are neutralised
        assert row["name"] == name  # Chinese intact
        assert int(row[households]) == hh
        geom = shapely.from_wkb(bytes(wkb))
        got = row["geometry"]
        if got.geom_type == "Polygon":  # Shapefiles do not tell polygons from multipolygons
            got = shapely.MultiPolygon([got])
        assert shapely.equals_exact(shapely.normalize(got), shapely.normalize(geom), 1e-7)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_attributes_and_points(
    fmt, export_client: TestClient, export_headers, export_world, tmp_path
) -> None:
    # the stored codes (CSV gives Chinese labels unless asked: test_export_labels_and_times)
    r = export_client.get(
        f"/api/exports/reports.{fmt}?labels=code", headers=export_headers["x7planner"]
    )
    assert r.status_code == 200, r.text
    df = _read(r.content, fmt, tmp_path)
    db = _db_rows(
        export_world,
        "SELECT t.id::text, t.description, t.status, ST_X(t.geom), ST_Y(t.geom) FROM report t"
        " JOIN district d ON d.id = t.district_id WHERE d.code = '410108'",
    )
    assert len(df) == len(db) == len(export_world.reports)
    descr = "descr" if fmt == "shp.zip" else "description"
    for _, row in df.iterrows():
        description, status, x, y = db[row["id"]]
        if fmt == "csv" and description.startswith("-"):
            description = "'" + description
        assert row[descr] == description
        assert row["status"] == status
        assert row["geometry"].x == pytest.approx(x, abs=1e-7)
        assert row["geometry"].y == pytest.approx(y, abs=1e-7)


def test_geojson_is_rfc7946(export_client: TestClient, export_headers) -> None:
    r = export_client.get("/api/exports/grid_cells.geojson", headers=export_headers["x7planner"])
    doc = json.loads(r.content)
    assert r.headers["content-type"].startswith("application/geo+json")
    assert "crs" not in doc
    assert doc["metadata"]["crs"] == "wgs84"
    assert len(doc["features"]) == 4
    for feat in doc["features"]:
        geom = shapely.geometry.shape(feat["geometry"])
        for poly in geom.geoms:
            assert poly.exterior.is_ccw  # stored clockwise, exported counter-clockwise


def test_csv_has_bom_and_neutralised_formulas(export_client: TestClient, export_headers) -> None:
    r = export_client.get("/api/exports/residential_areas.csv", headers=export_headers["x7planner"])
    assert r.content.startswith("\ufeff".encode())
    text_body = r.content.decode("utf-8-sig")
    assert "'=1+1 花园" in text_body
    assert "\n=1+1" not in text_body and ",=1+1" not in text_body
    reports = export_client.get("/api/exports/reports.csv", headers=export_headers["x7planner"])
    assert "'-楼道堆放杂物" in reports.content.decode("utf-8-sig")


def test_shapefile_zip_has_cpg_and_field_mapping(export_client: TestClient, export_headers) -> None:
    import zipfile

    r = export_client.get("/api/exports/reports.shp.zip", headers=export_headers["x7planner"])
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    names = zf.namelist()
    assert {"reports.shp", "reports.dbf", "reports.shx", "reports.prj", "reports.cpg"} <= set(names)
    assert zf.read("reports.cpg").decode().strip().upper().startswith("UTF")
    readme = zf.read("reports.txt").decode()
    assert "descr      -> description" in readme


def test_export_labels_times_and_crs(export_client: TestClient, export_headers, tmp_path) -> None:
    """CSV speaks Chinese by default, times are Beijing time with the offset, GCJ-02 files say
    GCJ-02 (not EPSG:4326) and CGCS2000 files are EPSG:4490 (read back by GDAL)."""
    import csv
    import io

    from pyogrio import read_info

    headers = export_headers["x7planner"]
    text = export_client.get("/api/exports/reports.csv", headers=headers).text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["status"] in STATUS_WORDS for r in rows), rows[0]["status"]
    assert all(r["created_at"].endswith("+08:00") for r in rows), rows[0]["created_at"]
    coded = export_client.get("/api/exports/reports.geojson", headers=headers).json()
    assert coded["features"][0]["properties"]["status"] in STATUS_CODES
    assert coded["features"][0]["properties"]["created_at"].endswith("+08:00")
    zh = export_client.get("/api/exports/reports.geojson?labels=zh", headers=headers).json()
    assert zh["features"][0]["properties"]["status"] in STATUS_WORDS
    bad = export_client.get("/api/exports/reports.csv?labels=fr", headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"]["where"]["field"] == "labels"
    for crs, says in (("gcj02", "GCJ-02"), ("cgcs2000", "4490")):
        r = export_client.get(f"/api/exports/reports.gpkg?crs={crs}", headers=headers)
        assert r.status_code == 200, r.text
        path = tmp_path / f"reports_{crs}.gpkg"
        path.write_bytes(r.content)
        info = read_info(path)
        assert says in str(info["crs"]), info["crs"]
        assert "4326" not in str(info["crs"])


STATUS_CODES = set(STATUSES)
STATUS_WORDS = {"已上报", "已受理", "已驳回", "已派遣", "处置中", "已处置", "已核查", "已销号"}
