"""create_app(settings) and the lifespan; no business logic here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from psycopg import DataError as PsycopgDataError
from psycopg import OperationalError as PsycopgOperationalError
from psycopg_pool import PoolTimeout as AsyncPoolTimeout
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.api.error_answers import data_error
from service.api.limits import install_request_limits
from service.api.request_context import RequestContext
from service.api.routes import (
    auth,
    categories,
    exports,
    field_cells,
    geometry,
    grid_pages,
    grids,
    health,
    imports,
    login_page,
    maps,
    mobile,
    ogc,
    open311,
    operations,
    patrols,
    photos,
    reports,
    stats,
    users,
)
from service.db.async_pool import create_async_pool
from service.db.engine import create_db_engine, create_session_factory
from service.errors import WanggeError
from service.escalation import escalation_loop
from service.metrics import forget_this_process
from service.settings import PROJECT_ROOT, Settings, get_settings
from service.startup_checks import refuse_unsafe_settings

log = logging.getLogger("wangge")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; tests pass their own settings."""
    settings = settings or get_settings()
    refuse_unsafe_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings)
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        async_pool = create_async_pool(settings)
        await async_pool.open(wait=False)  # a database that is down now is a 503 later
        app.state.async_pool = async_pool
        escalation = _start_escalation(settings)
        try:
            yield
        finally:
            if escalation is not None:
                escalation.cancel()
                # let it release the schedule's lock now, so another process takes over at once
                with contextlib.suppress(asyncio.CancelledError):
                    await escalation
            await async_pool.close()
            engine.dispose()
            forget_this_process()

    app = FastAPI(
        title="wangge 网格",
        version="0.1.0",
        summary="Geospatial grid management for residential communities",
        lifespan=lifespan,
    )
    app.state.settings = settings
    _install_error_handlers(app)
    install_request_limits(app, settings)
    # outermost: the request id is set before anything logs, and every answer is timed
    app.add_middleware(RequestContext)
    for module in (
        health,
        operations,
        auth,
        login_page,
        users,
        reports,
        photos,
        patrols,
        categories,
        field_cells,
        mobile,
        open311,
        grids,
        grid_pages,
        exports,
        ogc,
        imports,
        stats,
        maps,
        geometry,
    ):
        app.include_router(module.router)
    _mount_assets(app)
    return app


def _start_escalation(settings: Settings) -> asyncio.Task[None] | None:
    """The periodic overdue-report escalation; 0 seconds (or the scheduler unit) disables it."""
    if settings.escalation_interval_s <= 0 or not settings.escalation_in_app:
        return None
    return asyncio.create_task(escalation_loop(settings))


def _mount_assets(app: FastAPI) -> None:
    """Browser assets come from the app itself: npm packages under /vendor, ours under /static."""
    vendor = PROJECT_ROOT / "map_ui" / "node_modules"
    static = PROJECT_ROOT / "map_ui" / "static"
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WanggeError)
    async def domain_error(_: Request, exc: WanggeError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(_: Request, exc: PoolTimeout) -> JSONResponse:
        return _unavailable("all database connections are busy")

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return _unavailable("the database is unavailable")

    # the same two failures on the asynchronous pool (raw psycopg, report filing)
    @app.exception_handler(AsyncPoolTimeout)
    async def async_pool_exhausted(_: Request, exc: AsyncPoolTimeout) -> JSONResponse:
        return _unavailable("all database connections are busy")

    @app.exception_handler(PsycopgOperationalError)
    async def async_database_down(_: Request, exc: PsycopgOperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return _unavailable("the database is unavailable")

    app.add_exception_handler(PsycopgDataError, data_error)  # type: ignore[arg-type]

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return _unavailable("the database connection was lost")
        raise exc


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse(
        {
            "detail": {
                "code": "service_unavailable",
                "message": message,
                "message_zh": "服务暂时不可用，请稍后重试",
            }
        },
        status_code=503,
        headers={"Retry-After": "5"},
    )
