"""`wangge`: the operator's command line (database, demo data, users, ...)."""

from __future__ import annotations

import typer
from sqlalchemy import create_engine

from service import cli_ops, cli_reports, cli_serve
from service.cli_exports import register as register_export_commands
from service.cli_grids import grids_app
from service.cli_users import users_app
from service.settings import get_settings

app = typer.Typer(help="wangge 网格 — operator commands", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
demo_app = typer.Typer(help="Demo city", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.command(name="escalate")(cli_reports.escalate)
app.add_typer(cli_serve.app)  # wangge serve | wangge scheduler
app.add_typer(grids_app, name="grids")
register_export_commands(app)
app.add_typer(cli_ops.app)  # wangge backup FILE | wangge restore FILE


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    """Alembic configuration pointing at the project's migrations folder."""
    from alembic.config import Config

    from service.settings import PROJECT_ROOT

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url or get_settings().effective_migration_url
    return cfg


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Apply migrations up to REVISION (default: heads — every branch of the history)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION ('base' removes everything)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


@demo_app.command("load")
def demo_load(
    force: bool = typer.Option(False, help="Load even when the database already has data"),
    seed: int = typer.Option(410105, help="Random seed (same seed, same city)"),
    residential_areas: int = typer.Option(0, help="Number of 小区 (0 = demo size)"),
    grid_cells: int = typer.Option(0, help="Number of grid cells (0 = demo size)"),
    reports: int = typer.Option(0, help="Number of reports (0 = demo size)"),
) -> None:
    """Load the demo city (郑州市金水区) if the database is empty."""
    from gis_data.demo_loader import DemoScale, database_is_empty, load_demo

    url = get_settings().effective_migration_url
    engine = create_engine(url)
    with engine.connect() as conn:
        empty = database_is_empty(conn)
    engine.dispose()
    if not empty and not force:
        typer.echo("demo: database already has data; nothing loaded (use --force to add anyway)")
        return
    scale = DemoScale.demo().override(
        residential_areas=residential_areas or None,
        grid_cells=grid_cells or None,
        reports=reports or None,
    )
    summary = load_demo(url, scale=scale, seed=seed, progress=True)
    typer.echo(f"demo loaded: {summary}")


if __name__ == "__main__":
    app()
