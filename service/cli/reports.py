"""`wangge escalate`: escalate overdue reports one level (community → street → district)."""

from __future__ import annotations

import typer

from service.cli.common import owner_engine
from service.db.repositories.escalation import escalate_overdue

app = typer.Typer(help="Reports")


@app.command("escalate")
def escalate() -> None:
    """Escalate every overdue open report one level (community → street → district)."""
    with owner_engine() as engine, engine.begin() as conn:
        count = escalate_overdue(conn)
    typer.echo(f"escalated {count} overdue reports")
