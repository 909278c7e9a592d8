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


def test_a_pass_runs_with_the_escalation_statement_timeout(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pass connects through the app's engine factory, with its own longer timeout."""
    from sqlalchemy import text

    from service.services import escalation

    seen: dict[str, str] = {}
    real = escalation.escalate_overdue

    def spy(conn, now=None):  # type: ignore[no-untyped-def]
        seen["timeout"] = conn.execute(text("SHOW statement_timeout")).scalar_one()
        seen["name"] = conn.execute(text("SHOW application_name")).scalar_one()
        return real(conn, now)

    monkeypatch.setattr(escalation, "escalate_overdue", spy)
    escalation.run_escalation(settings.replace(escalation_statement_timeout_ms=123_000))
    assert seen == {"timeout": "123s", "name": "wangge-escalation"}
