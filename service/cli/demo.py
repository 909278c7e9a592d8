"""`wangge demo load`: the demo city (郑州市金水区), or a bigger one for benchmarks."""

from __future__ import annotations

import typer

from service.cli.common import owner_engine
from service.settings import get_settings

app = typer.Typer(help="Demo city", no_args_is_help=True)


@app.command("load")
def demo_load(
    force: bool = typer.Option(False, help="Load even when the database already has data"),
    seed: int = typer.Option(410105, help="Random seed (same seed, same city)"),
    residential_areas: int = typer.Option(0, help="Number of 小区 (0 = demo size)"),
    grid_cells: int = typer.Option(0, help="Number of grid cells (0 = demo size)"),
    reports: int = typer.Option(0, help="Number of reports (0 = demo size)"),
) -> None:
    """Load the demo city (郑州市金水区) if the database is empty."""
    from gis_data.demo_loader import DemoScale, database_is_empty, load_demo

    with owner_engine() as engine, engine.connect() as conn:
        empty = database_is_empty(conn)
    if not empty and not force:
        typer.echo("demo: database already has data; nothing loaded (use --force to add anyway)")
        return
    scale = DemoScale.demo().override(
        residential_areas=residential_areas or None,
        grid_cells=grid_cells or None,
        reports=reports or None,
    )
    # The bulk loader opens its own connections: its COPYs must not meet the app's timeout.
    summary = load_demo(get_settings().database.owner_url, scale=scale, seed=seed, progress=True)
    typer.echo(f"demo loaded: {summary}")
