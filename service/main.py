"""create_app(settings) and the lifespan; no business logic here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from service.api.client_address import install_trusted_proxies
from service.api.error_answers import install_error_handlers
from service.api.limits import install_request_limits
from service.api.openapi_doc import install_api_docs
from service.api.request_context import RequestContext
from service.api.routes import (
    auth,
    cases,
    categories,
    exports,
    field_cells,
    geometry,
    grid_pages,
    grids,
    health,
    hotline,
    imports,
    login_page,
    maps,
    meetings,
    meetings_page,
    mobile,
    ogc,
    open311,
    operations,
    patrols,
    performance,
    photos,
    property_companies,
    public,
    record_pages,
    reports,
    residential_area_sheets,
    residential_areas,
    residents,
    shell_pages,
    stats,
    survey_public,
    surveys,
    users,
    work_page,
)
from service.api.stream_budget import StreamBudget
from service.api.vendor_files import PackageFiles, runtime_packages
from service.db.async_pool import create_async_pool
from service.db.engine import create_db_engine, create_session_factory, create_stream_engine
from service.db.role_check import RlsBypassed, install_role_guard
from service.domain.tile_cache import TileCache
from service.metrics import forget_this_process
from service.services.escalation import escalation_loop
from service.services.photos import PhotoDecoder
from service.services.tiles import TileService
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
        stream_engine = create_stream_engine(settings)
        for each in (engine, stream_engine):
            install_role_guard(each, settings.database.allow_rls_bypass)
        try:
            _refuse_rls_bypass_at_start(engine)
        except RlsBypassed:
            engine.dispose()
            stream_engine.dispose()
            raise
        app.state.engine = engine
        app.state.stream_engine = stream_engine
        app.state.stream_budget = StreamBudget(
            settings.exports.max_concurrent,
            settings.exports.max_per_user,
            settings.exports.retry_after_s,
        )
        app.state.session_factory = create_session_factory(engine)
        # what each process keeps between requests, sized from the settings
        app.state.tiles = TileService(settings.maps.tile_cache_bytes, settings.policy)
        app.state.stats_cache = TileCache(max_bytes=settings.stats.cache_bytes)
        app.state.photo_decoder = PhotoDecoder(settings.photos)
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
            stream_engine.dispose()
            forget_this_process()

    app = FastAPI(
        title="wangge 网格",
        version="0.1.0",
        summary="Geospatial grid management for residential communities",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served from npm packages (install_api_docs)
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_request_limits(app, settings)
    install_trusted_proxies(app, settings)
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
        residential_area_sheets,
        residential_areas,
        property_companies,
        public,
        record_pages,
        cases,
        work_page,
        shell_pages,
        residents,
        hotline,
        performance,
        meetings,
        meetings_page,
        surveys,
        survey_public,
    ):
        app.include_router(module.router)
    app.include_router(residential_areas.party_router)
    install_api_docs(app, settings.limits.max_page_size)
    _mount_assets(app)
    return app


def _refuse_rls_bypass_at_start(engine: Engine) -> None:
    """Connect once at start-up: a role that bypasses row-level security stops the process
    (uvicorn exits non-zero). A database that is down now is checked on its first connection.
    """
    try:
        with engine.connect():
            pass
        # close it again: an app whose lifespan runs without serving (a schema loader, a
        # test collecting) must not keep a session open on the database
        engine.dispose()
    except RlsBypassed as exc:
        log.error("%s", exc)
        raise
    except OperationalError as exc:
        log.warning("database not reachable at start-up (%s); role checked later", exc.orig)


def _start_escalation(settings: Settings) -> asyncio.Task[None] | None:
    """The periodic overdue-report escalation; 0 seconds (or the scheduler unit) disables it."""
    if settings.escalation.interval_s <= 0 or not settings.escalation.in_app:
        return None
    return asyncio.create_task(escalation_loop(settings))


def _mount_assets(app: FastAPI) -> None:
    """Browser assets come from the app itself: npm packages under /vendor, ours under /static."""
    vendor = PROJECT_ROOT / "map_ui" / "node_modules"
    static = PROJECT_ROOT / "map_ui" / "static"
    if vendor.is_dir():
        packages = runtime_packages(PROJECT_ROOT / "map_ui" / "package.json")
        app.mount("/vendor", PackageFiles(directory=vendor, packages=packages), name="vendor")
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
