"""`wangge db upgrade|downgrade`: apply or revert the Alembic migrations as the owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from service.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

app = typer.Typer(help="Database schema", no_args_is_help=True)


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the project's migrations folder."""
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url or get_settings().database.owner_url
    return cfg


@app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Apply migrations up to REVISION (default: heads — every branch of the history)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


@app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION ('base' removes everything)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")
