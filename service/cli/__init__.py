"""`wangge`: the operator's command line, one Typer sub-app per module of this package.

`db`, `demo`, `users`, `grids` and `open311` are command groups; `export`, `import`,
`escalate`, `backup`, `restore`, `serve` and `scheduler` are top-level commands, merged in from
their modules' apps.
"""

from __future__ import annotations

import sys

import psycopg
import typer
from sqlalchemy.exc import OperationalError

from service.cli import db, demo, exports, grids, open311, ops, reports, serve, users
from service.cli.db import alembic_config

__all__ = ["alembic_config", "app", "main"]

app = typer.Typer(help="wangge 网格 — operator commands", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(users.app, name="users")
app.add_typer(grids.app, name="grids")
app.add_typer(open311.app, name="open311")
app.add_typer(reports.app)
app.add_typer(exports.app)
app.add_typer(ops.app)
app.add_typer(serve.app)


def main() -> None:
    """The `wangge` entry point: the commands, with a sentence instead of a traceback when the
    database cannot be reached."""
    try:
        app()
    except (OperationalError, psycopg.OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"error: cannot reach the database: {reason}", err=True)
        sys.exit(1)
