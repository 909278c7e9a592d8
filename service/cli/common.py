"""What every `wangge` command shares: the owner's database session, choices, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.db.engine import create_db_engine
from service.errors import WanggeError
from service.settings import get_settings


@contextmanager
def owner_engine() -> Iterator[Engine]:
    """An engine as the schema owner, with the same pool and statement timeouts as the app."""
    settings = get_settings()
    engine = create_db_engine(settings, settings.database.owner_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def owner_session() -> Iterator[Session]:
    """One transaction as the schema owner: committed when the block ends, rolled back on error."""
    with owner_engine() as engine, Session(engine) as session, session.begin():
        yield session


def choices(name: str, values: object) -> type[StrEnum]:
    """A StrEnum of `values`, so Typer lists the choices and refuses others in one line."""
    return StrEnum(name, {str(v): str(v) for v in values})  # type: ignore[return-value]


def fail(message: str, exit_code: int = 2) -> NoReturn:
    """Print one line on stderr and leave with `exit_code`."""
    typer.echo(message, err=True)
    raise typer.Exit(exit_code)


@contextmanager
def refusals(prefix: str = "error", exit_code: int = 2) -> Iterator[None]:
    """A refusal from the domain becomes one line on stderr instead of a traceback."""
    try:
        yield
    except WanggeError as exc:
        where = f" {exc.where}" if exc.where else ""
        fail(f"{prefix}: {exc.message}{where}", exit_code)
