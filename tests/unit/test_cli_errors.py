"""`wangge` refuses bad choices and bad values in one sentence, before touching the database."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from service.cli import app


def test_unknown_layer_lists_the_choices(tmp_path) -> None:
    r = CliRunner().invoke(app, ["export", "nolayer", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "'nolayer' is not one of" in r.output and "'grid_cells'" in r.output
    assert "Traceback" not in r.output


def test_unknown_format_and_role_are_refused(tmp_path) -> None:
    r = CliRunner().invoke(app, ["export", "reports", "-f", "xlsx", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "'xlsx' is not one of" in r.output
    r = CliRunner().invoke(app, ["users", "create", "u", "--role", "mayor", "--password", "pw"])
    assert r.exit_code == 2 and "'mayor' is not one of" in r.output


def test_bad_bbox_is_one_line(tmp_path) -> None:
    r = CliRunner().invoke(app, ["export", "reports", "--bbox", "1,2", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2
    [line] = r.output.strip().splitlines()
    assert line.startswith("error: bbox must be") and "'value': '1,2'" in line
    assert not (tmp_path / "x").exists()


def test_unreachable_database_is_one_sentence(tmp_path) -> None:
    nowhere = f"postgresql+psycopg://nobody@/nodb?host={tmp_path}"
    env = {**os.environ, "WANGGE_DATABASE_URL": nowhere, "WANGGE_MIGRATION_DATABASE_URL": nowhere}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "service.cli", "users", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach the database:")
    assert "Traceback" not in done.stderr
