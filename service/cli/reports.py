"""`wangge escalate`: escalate overdue reports one level (community → street → district)."""

from __future__ import annotations

import typer

from service.services.escalation import run_escalation
from service.settings import get_settings

app = typer.Typer(help="Reports")


@app.command("escalate")
def escalate() -> None:
    """Escalate every overdue open report one level (community → street → district)."""
    # the scheduler's own pass, so a pass run by hand is the same pass with the same timeout
    count = run_escalation(get_settings())
    typer.echo(f"escalated {count} overdue reports")
