"""`wangge escalate`: escalate overdue reports one level (community → street → district)."""

from __future__ import annotations

import typer

from service.escalation import run_escalation
from service.settings import get_settings

app = typer.Typer(help="Reports")


@app.command("escalate")
def escalate() -> None:
    """Escalate every overdue open report one level (community → street → district)."""
    count = run_escalation(get_settings())
    typer.echo(f"escalated {count} overdue reports")
