"""`wangge partitions ensure|list|detach`: the monthly partitions of reports, history and audit.

docs/scale.md explains the layout; docs/deploy.md puts `ensure` and `detach` in the monthly
maintenance schedule.
"""

from __future__ import annotations

import typer

from service.cli.common import owner_engine, refusals
from service.db.repositories import partitions

app = typer.Typer(help="Monthly partitions of reports, their history and the audit log")


@app.command("ensure")
def ensure(
    months: int = typer.Option(3, "--months", help="create partitions this many months ahead"),
) -> None:
    """Create the missing monthly partitions from this month to --months ahead."""
    with refusals(), owner_engine() as engine, engine.begin() as conn:
        created = partitions.ensure(conn, months)
    typer.echo(f"created {created} partitions (up to {months} months ahead)")


@app.command("list")
def list_() -> None:
    """Every monthly partition, attached (public) or archived (wangge_archive), with rows."""
    with owner_engine() as engine, engine.connect() as conn:
        parts = partitions.listing(conn)
    for p in parts:
        typer.echo(f"{p.table}\t{p.month or 'DEFAULT'}\t{p.schema}.{p.name}\t~{p.rows} rows")


@app.command("detach")
def detach(
    before: str = typer.Option(..., "--before", help="archive every month before YYYY-MM"),
) -> None:
    """Move every month before --before out of the live tables into the wangge_archive schema
    (dump it with `pg_dump -n wangge_archive`, then DROP the tables)."""
    with refusals():
        month = partitions.parse_month(before)
        with owner_engine() as engine:
            done = partitions.detach(engine, month)
    typer.echo(f"detached {len(done)} partitions into {partitions.ARCHIVE_SCHEMA}")
    for name in done:
        typer.echo(f"  {partitions.ARCHIVE_SCHEMA}.{name}")
