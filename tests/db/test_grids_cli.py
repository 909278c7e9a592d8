"""`wangge grids generate|check|assign` against the test database."""

from __future__ import annotations

import json
import random

from sqlalchemy import create_engine
from typer.testing import CliRunner

from service.cli import app
from tests.fixtures.grid_territory import create_territory


def test_generate_check_and_exit_status(test_db, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("WANGGE_DATABASE_URL", test_db.owner_url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", test_db.owner_url)
    engine = create_engine(test_db.owner_url)
    with engine.begin() as conn:
        territory = create_territory(conn, random.Random(), communities=2, blocks=(2, 1))
    engine.dispose()
    runner = CliRunner()
    street = territory.street_code
    out = tmp_path / "proposal.geojson"
    r = runner.invoke(app, ["grids", "generate", "--street", street, "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert "would create" in r.output and json.loads(out.read_text())["features"]
    r = runner.invoke(app, ["grids", "check", "--street", street, "--json"])
    assert r.exit_code == 1  # nothing generated yet: communities without cells
    kinds = {f["kind"] for f in json.loads(r.output)}
    assert "community_without_cells" in kinds
    r = runner.invoke(app, ["grids", "generate", "--street", street, "--apply"])
    assert r.exit_code == 0 and "created" in r.output
    r = runner.invoke(app, ["grids", "check", "--street", street, "--json"])
    findings = json.loads(r.output)
    assert {f["kind"] for f in findings} <= {
        "no_primary_worker",
        "households_below_min",
        "households_above_max",
    }
    assert r.exit_code == 1  # no cell has a primary yet
    r = runner.invoke(app, ["grids", "check", "--community", "000000000000"])
    assert r.exit_code == 2


def test_check_exits_zero_when_clean(test_db, monkeypatch) -> None:
    from sqlalchemy import text

    monkeypatch.setenv("WANGGE_DATABASE_URL", test_db.owner_url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", test_db.owner_url)
    engine = create_engine(test_db.owner_url)
    with engine.begin() as conn:
        territory = create_territory(conn, random.Random(), communities=1, blocks=(2, 1))
        worker = f"g4cli{territory.district_code}"
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, district_id, community_id)"
                " SELECT :u, 'x', 'grid_worker', s.district_id, c.id FROM community c"
                " JOIN street s ON s.id = c.street_id WHERE c.code = :c"
            ),
            {"u": worker, "c": territory.communities[0]},
        )
    runner = CliRunner()
    community = territory.communities[0]
    assert (
        runner.invoke(app, ["grids", "generate", "--community", community, "--apply"]).exit_code
        == 0
    )
    with engine.connect() as conn:
        codes = (
            conn.execute(
                text("SELECT code FROM grid_cell WHERE left(code, 12) = :c"), {"c": community}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    for code in codes:
        r = runner.invoke(app, ["grids", "assign", code, worker])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["grids", "assign", codes[0], worker])
    assert r.exit_code == 1 and "refused" in r.output
    monkeypatch.setenv("WANGGE_GRID_HOUSEHOLDS_MIN", "0")
    monkeypatch.setenv("WANGGE_GRID_HOUSEHOLDS_MAX", "1000000")
    r = runner.invoke(app, ["grids", "check", "--community", community])
    assert r.exit_code == 0, r.output
    assert "0 finding(s)" in r.output
