"""create_app(settings) and the lifespan; no business logic here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.api.error_answers import install_error_handlers
from service.api.limits import install_request_limits
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
    patrols,
    photos,
    reports,
    stats,
    users,
)
from service.db.async_pool import create_async_pool
from service.db.engine import create_db_engine, create_session_factory
from service.escalation import escalation_loop
from service.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger("wangge")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; tests pass their own settings."""
    settings = settings or get_settings()

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
            await async_pool.close()
            engine.dispose()

    app = FastAPI(
        title="wangge 网格",
        version="0.1.0",
        summary="Geospatial grid management for residential communities",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_request_limits(app, settings)
    for module in (
        health,
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
    """The periodic overdue-report escalation; 0 seconds disables it."""
    if settings.escalation_interval_s <= 0:
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
