"""`wangge`: the operator's command line, one Typer sub-app per module of this package.

`db`, `demo`, `users`, `grids`, `open311` and `partitions` are command groups; `export`, `import`,
`escalate`, `backup`, `restore`, `serve`, `scheduler` and `check-settings` are top-level
commands, merged in from their modules' apps.
"""

from __future__ import annotations

import sys

import psycopg
import typer
from sqlalchemy.exc import OperationalError

from service.cli import (
    db,
    demo,
    exports,
    grids,
    open311,
    ops,
    partitions,
    reports,
    serve,
    settings,
    users,
)
from service.cli.db import alembic_config
from service.settings import InvalidSettings

__all__ = ["alembic_config", "app", "main"]

app = typer.Typer(help="wangge 网格 — operator commands", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(users.app, name="users")
app.add_typer(grids.app, name="grids")
app.add_typer(open311.app, name="open311")
app.add_typer(partitions.app, name="partitions")
app.add_typer(reports.app)
app.add_typer(exports.app)
app.add_typer(ops.app)
app.add_typer(serve.app)
app.add_typer(settings.app)


def main() -> None:
    """The `wangge` entry point: the commands, with a sentence instead of a traceback when a
    setting is not usable or the database cannot be reached."""
    try:
        app()
    except InvalidSettings as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (OperationalError, psycopg.OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"error: cannot reach the database: {reason}", err=True)
        sys.exit(1)
