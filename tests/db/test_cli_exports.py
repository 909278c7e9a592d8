"""`wangge export` and `wangge import` against the test database."""

from __future__ import annotations

import pyogrio
from typer.testing import CliRunner

from service.cli import app
from tests import exports_world

export_world = exports_world.export_world


def _env(monkeypatch, world) -> None:
    monkeypatch.setenv("WANGGE_DATABASE_URL", world.settings.database.url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", world.settings.database.owner_url)


def test_export_then_import_dry_run(monkeypatch, export_world, tmp_path) -> None:
    _env(monkeypatch, export_world)
    out = tmp_path / "grids.gpkg"
    runner = CliRunner()
    r = runner.invoke(
        app, ["export", "grid_cells", "--format", "gpkg", "--out", str(out), "--user", "x7street"]
    )
    assert r.exit_code == 0, r.output
    df = pyogrio.read_dataframe(out)
    assert sorted(df["code"]) == ["410108001001001", "410108001001002", "410108001002001"]
    r = runner.invoke(app, ["import", "grid_cells", str(out), "--report", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    assert "added 0, changed 0, unchanged 3, refused 0 — dry run" in r.output


def test_export_csv_for_the_operator(monkeypatch, export_world, tmp_path) -> None:
    _env(monkeypatch, export_world)
    out = tmp_path / "r.csv"
    r = CliRunner().invoke(
        app, ["export", "reports", "-f", "csv", "-o", str(out), "--area", "410108002001"]
    )
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,category_code") and len(lines) == 1 + 10


def test_import_refuses_bad_layer(monkeypatch, export_world, tmp_path) -> None:
    _env(monkeypatch, export_world)
    f = tmp_path / "x.geojson"
    f.write_text('{"type":"FeatureCollection","features":[]}')
    r = CliRunner().invoke(app, ["import", "reports", str(f)])
    assert r.exit_code != 0
