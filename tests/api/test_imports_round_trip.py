"""Export → edit one name in GDAL → import: accepted as a rename, never refused for overlaps
that only the export's rounding of coordinates created."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.domain.passwords import hash_password
from service.settings import Settings
from tests.api.grid_env import GridEnv, build_env

DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp.zip": "ESRI Shapefile"}


@pytest.fixture(scope="module")
def env(test_db, tmp_path_factory) -> Iterator[GridEnv]:  # type: ignore[no-untyped-def]
    from service.main import create_app

    settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=Path(tmp_path_factory.mktemp("round-trip")),
    )
    with TestClient(create_app(settings)) as client:
        the_env = build_env(test_db.owner_url, client)
        name = f"rtadmin{uuid.uuid4().hex[:6]}"
        engine = create_engine(test_db.owner_url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO app_user (username, password_hash, role) VALUES (:u, :p, 'admin')"
                ),
                {"u": name, "p": hash_password("grid-demo")},
            )
        engine.dispose()
        r = client.post("/api/auth/token", data={"username": name, "password": "grid-demo"})
        the_env.headers["admin"] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield the_env


def _edited_file(env: GridEnv, layer: str, fmt: str, tmp: Path) -> tuple[bytes, str, str]:
    """The territory's features of `layer` exported, read by GDAL, one renamed, written back."""
    h = env.headers["admin"]
    exported = env.client.get(f"/api/exports/{layer}.{fmt}", headers=h)
    assert exported.status_code == 200, exported.text
    src = tmp / f"export.{fmt}"
    src.write_bytes(exported.content)
    df = pyogrio.read_dataframe(f"/vsizip/{src}" if fmt == "shp.zip" else src)
    df = df[df["code"].str.startswith(env.territory.street_code)].copy()
    assert len(df) >= 2  # neighbours sharing a border
    code = str(df["code"].iloc[0])
    df.loc[df["code"] == code, "name"] = f"改名后的名称 {fmt}"
    if fmt == "shp.zip":
        out = tmp / "edited" / f"{layer}.shp"
        out.parent.mkdir()
        pyogrio.write_dataframe(df, out, driver=DRIVERS[fmt], encoding="UTF-8")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for part in out.parent.iterdir():
                zf.write(part, arcname=part.name)
        return buf.getvalue(), f"{layer}.zip", code
    out = tmp / f"edited.{fmt}"
    pyogrio.write_dataframe(df, out, driver=DRIVERS[fmt])
    return out.read_bytes(), out.name, code


@pytest.mark.parametrize("fmt", list(DRIVERS))
@pytest.mark.parametrize("layer", ["communities", "residential_areas"])
def test_renamed_export_imports_as_a_rename(env: GridEnv, layer: str, fmt: str, tmp_path) -> None:
    content, name, code = _edited_file(env, layer, fmt, tmp_path)
    h = env.headers["admin"]
    files = {"file": (name, content, "application/octet-stream")}
    dry = env.client.post(f"/api/imports/{layer}", headers=h, files=files)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    refused = [f for f in report["features"] if f["action"] == "refused"]
    assert refused == [], refused
    changed = [(f["code"], f["changed"]) for f in report["features"] if f["action"] == "changed"]
    assert changed == [(code, ["name"])], report["counts"]
    applied = env.client.post(f"/api/imports/{layer}?apply=true", headers=h, files=files)
    assert applied.status_code == 200 and applied.json()["applied"] is True, applied.text
    back = env.client.get(f"/api/exports/{layer}.geojson", headers=h).json()["features"]
    assert {f["properties"]["code"]: f["properties"]["name"] for f in back}[
        code
    ] == f"改名后的名称 {fmt}"


def test_a_border_drawn_twice_with_rounding_is_a_sliver_not_an_overlap() -> None:
    from shapely.geometry import box

    from service.domain.boundary_rules import is_sliver, overlap_m2

    west = box(113.5, 34.8, 113.5100000449, 34.84)  # the shared border, rounded differently
    east = box(113.51, 34.8, 113.52, 34.84)
    assert overlap_m2(west, east)[0] > 1.0  # over the 1 m² limit on a 4.4 km border
    assert is_sliver(west, east)
    assert not is_sliver(box(113.5, 34.8, 113.511, 34.84), east)  # a real 90 m overlap
