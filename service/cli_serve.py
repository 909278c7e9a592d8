"""`wangge serve` / `wangge scheduler`: the production processes."""

from __future__ import annotations

import typer

from service.settings import get_settings
from service.startup_checks import UnsafeSettings

app = typer.Typer(help="Production processes")


@app.command("serve")
def serve(
    workers: int = typer.Option(0, help="Worker processes (0 = WANGGE_WORKERS, else one per core)"),
) -> None:
    """Serve the app with several worker processes; SIGTERM finishes in-flight requests."""
    from service.serve import serve as run

    try:
        run(get_settings(), workers or None)
    except UnsafeSettings as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@app.command("scheduler")
def scheduler() -> None:
    """Run the escalation schedule (one process per installation; the app can then skip it)."""
    from service.serve import run_scheduler

    try:
        run_scheduler(get_settings())
    except UnsafeSettings as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
