"""The asynchronous connection pool of the hot paths (report filing, vector tiles); made by the
lifespan.

Raw psycopg in autocommit mode: the filing is one statement, so its own transaction commits
before the answer arrives (no BEGIN/COMMIT round trips, no ORM, no worker thread). Every other
route uses the SQLAlchemy engine in service.db.engine.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from service.settings import Settings


def libpq_conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (postgresql+psycopg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_async_pool(settings: Settings) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """A closed pool (the lifespan opens it) of autocommit connections with the app's timeouts."""
    return AsyncConnectionPool(
        libpq_conninfo(settings.database_url),
        min_size=0,  # nothing connects before the first filing (as the engine)
        max_size=settings.db_async_pool_size,
        timeout=settings.db_pool_timeout_s,
        open=False,
        kwargs={
            "autocommit": True,
            "row_factory": dict_row,
            # the filing statement is prepared on its first use on each connection
            "prepare_threshold": 0,
            "connect_timeout": 5,
            "application_name": "wangge",
            # no JIT: these statements take a few milliseconds, and compiling one took ~200 ms
            # whenever a cost estimate crossed jit_above_cost
            "options": f"-c statement_timeout={int(settings.db_statement_timeout_ms)}"
            f" -c synchronous_commit={settings.db_synchronous_commit} -c jit=off",
        },
    )
