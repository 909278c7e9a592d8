"""Engine and session factory; created by the app's lifespan, never at import."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.settings import Settings


def create_db_engine(
    settings: Settings,
    url: str | None = None,
    *,
    pool: tuple[int, int] | None = None,
    application_name: str = "wangge",
    statement_timeout_ms: int | None = None,
) -> Engine:
    """A pooled engine whose connections carry the statement timeout from the settings.

    `pool` is (size, overflow); the settings' db_pool_size and db_pool_max_overflow by default.
    `statement_timeout_ms` replaces db_statement_timeout_ms for a job whose statements are
    allowed longer than a request's (0: none).
    """
    size, overflow = pool or (settings.database.pool_size, settings.database.pool_max_overflow)
    if statement_timeout_ms is None:
        statement_timeout_ms = settings.database.statement_timeout_ms
    engine = create_engine(
        url or settings.database.url,
        pool_size=size,
        max_overflow=overflow,
        pool_timeout=settings.database.pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 5,
            "application_name": application_name,
            # no JIT, as in async_pool: compiling took ~230 ms whenever a cost estimate crossed
            # jit_above_cost (the case page's nearby look-up at 1,000,000 reports)
            "options": f"-c statement_timeout={int(statement_timeout_ms)}"
            f" -c synchronous_commit={settings.database.synchronous_commit} -c jit=off",
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.autocommit = False

    return engine


def create_stream_engine(settings: Settings) -> Engine:
    """The pool of long downloads: one connection per allowed concurrent export, never shared
    with requests, so clients that read slowly cannot take the connections others need."""
    return create_db_engine(
        settings, pool=(settings.exports.max_concurrent, 0), application_name="wangge-stream"
    )


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
