"""The asynchronous connection pool of the hot paths (report filing, vector tiles); made by the
lifespan.

Raw psycopg in autocommit mode: the filing is one statement, so its own transaction commits
before the answer arrives (no BEGIN/COMMIT round trips, no ORM, no worker thread). Every other
route uses the SQLAlchemy engine in service.db.engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from psycopg import AsyncConnection, OperationalError
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from service.db.role_check import check_async_connection
from service.settings import Settings

T = TypeVar("T")


def libpq_conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (postgresql+psycopg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_async_pool(settings: Settings) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """A closed pool (the lifespan opens it) of autocommit connections with the app's timeouts;
    each new connection is checked to be subject to row-level security (service.db.role_check).
    """

    async def configure(conn: AsyncConnection[Any]) -> None:
        await check_async_connection(conn, settings.database.allow_rls_bypass)

    return AsyncConnectionPool(
        libpq_conninfo(settings.database.url),
        min_size=0,  # nothing connects before the first filing (as the engine)
        max_size=settings.database.async_pool_size,
        timeout=settings.database.pool_timeout_s,
        open=False,
        configure=configure,
        kwargs={
            "autocommit": True,
            "row_factory": dict_row,
            # the filing statement is prepared on its first use on each connection
            "prepare_threshold": 0,
            "connect_timeout": 5,
            "application_name": "wangge",
            # no JIT: these statements take a few milliseconds, and compiling one took ~200 ms
            # whenever a cost estimate crossed jit_above_cost
            "options": f"-c statement_timeout={int(settings.database.statement_timeout_ms)}"
            f" -c synchronous_commit={settings.database.synchronous_commit} -c jit=off",
        },
    )


async def on_live_connection(
    pool: AsyncConnectionPool[AsyncConnection[Any]],
    work: Callable[[AsyncConnection[Any]], Awaitable[T]],
) -> T:
    """`work(conn)` on a pooled connection; once more if that connection was dead.

    A pooled connection is not checked before use (no pre-ping round trip). When one turns out
    dead (a database restart drops them all), every idle connection is checked and the dead
    ones replaced (`pool.check()`), then the work is sent once more. Only the two one-statement
    routes use this pool, and both are safe to repeat: a tile is a read, and a filing is
    idempotent by its client UUID (one that committed before its connection broke answers as
    a replay).
    """
    for attempt in (1, 2):
        async with pool.connection() as conn:
            try:
                return await work(conn)
            except OperationalError:
                if attempt == 2 or not conn.broken:
                    raise
        await pool.check()
    raise AssertionError("unreachable")  # pragma: no cover
