"""`wangge`: the operator's command line, one Typer sub-app per module of this package.

`db`, `demo`, `users` and `grids` are command groups; `export`, `import`, `escalate`, `backup`
and `restore` are top-level commands, merged in from their modules' apps.
"""

from __future__ import annotations

import typer

from service.cli import db, demo, exports, grids, ops, reports, users
from service.cli.db import alembic_config

__all__ = ["alembic_config", "app"]

app = typer.Typer(help="wangge 网格 — operator commands", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(users.app, name="users")
app.add_typer(grids.app, name="grids")
app.add_typer(reports.app)
app.add_typer(exports.app)
app.add_typer(ops.app)


if __name__ == "__main__":
    app()
