"""`wangge escalate` runs one escalation pass as the owner and says how many reports moved."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from service.cli import app


def test_escalate_reports_its_count(test_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WANGGE_DATABASE_URL", test_db.app_url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", test_db.owner_url)
    r = CliRunner().invoke(app, ["escalate"])
    assert r.exit_code == 0, r.output
    assert re.fullmatch(r"escalated \d+ overdue reports\n", r.output)
