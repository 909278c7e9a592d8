"""`wangge check-settings`: the WANGGE_* variables checked without starting anything."""

from __future__ import annotations

import typer

from service.settings import get_settings
from service.startup_checks import unsafe_settings

app = typer.Typer(help="Settings")


@app.command("check-settings")
def check_settings() -> None:
    """Check every WANGGE_* variable as the app would at start; one line per problem."""
    settings = get_settings()  # a value out of range: one line naming it (service.cli.main)
    problems = unsafe_settings(settings)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"settings OK (WANGGE_ENVIRONMENT={settings.environment})")
