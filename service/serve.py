"""`wangge serve` and `wangge scheduler`: the production processes (systemd units in deploy/).

serve: uvicorn's supervisor with several worker processes sharing one listening socket. On
SIGTERM the supervisor stops accepting connections and every worker finishes the requests it
has in flight (up to `graceful_timeout_s`) before it exits; SIGHUP replaces the workers one by
one (after an upgrade). The workers speak HTTP through service.http_server's protocol, so
production gets the same limits as every other start of the app (request head and body
timeouts, stalled writers aborted, header size cap, keep-alive). scheduler: the escalation
schedule in a process of its own.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
import shutil

import uvicorn
from sqlalchemy.exc import OperationalError

from service.db.engine import create_db_engine
from service.db.role_check import install_role_guard
from service.http_server import uvicorn_options
from service.logs import logging_config
from service.metrics import MULTIPROC_ENV
from service.settings import Settings
from service.startup_checks import refuse_unsafe_settings

WORKER_START_TIMEOUT_S = 60

log = logging.getLogger("wangge")


def worker_count(settings: Settings, requested: int | None = None) -> int:
    """Workers asked for, else the setting, else one per core this process may use (at least 2).

    Two at least: with one, uvicorn runs no supervisor, and SIGHUP (systemctl reload) would
    stop the server instead of replacing its workers one by one.
    """
    if requested:
        return requested
    if settings.server.workers > 0:
        return settings.server.workers
    return max(2, len(os.sched_getaffinity(0)))


def prepare_metrics_dir(settings: Settings) -> None:
    """An empty directory for the workers' metric files (a restart starts from zero)."""
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # read by prometheus_client in every worker: set before any of them starts
    os.environ[MULTIPROC_ENV] = str(metrics_dir)


def serve(settings: Settings, workers: int | None = None) -> None:
    """Run the app in `workers` processes until SIGTERM or SIGINT."""
    refuse_unsafe_settings(settings)
    refuse_rls_bypass(settings)
    prepare_metrics_dir(settings)
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=settings.server.bind_host,
        port=settings.server.bind_port,
        workers=worker_count(settings, workers),
        timeout_graceful_shutdown=int(settings.server.graceful_timeout_s),
        # A new worker imports the whole app before it answers; on a busy server that can take
        # longer than uvicorn's 5 s, which would abort a reload and keep the old workers.
        timeout_worker_healthcheck=WORKER_START_TIMEOUT_S,
        log_config=logging_config(settings.server.log_format, settings.server.log_level),
        access_log=False,  # service.api.request_context writes one line per request instead
        # the HTTP limits, by import string (each worker reads its settings from the
        # environment, like the app); proxy headers off: service.api.client_address decides
        # from WANGGE_TRUSTED_PROXIES.
        **uvicorn_options(settings, import_string=True),
    )


def refuse_rls_bypass(settings: Settings) -> None:
    """Check the app's database role once before any worker starts (RlsBypassed unless
    WANGGE_ALLOW_RLS_BYPASS): a worker refusing in its lifespan would only be restarted by
    the supervisor, over and over. A database that is down now is checked by each worker.
    """
    engine = create_db_engine(settings, pool=(1, 0), application_name="wangge-start")
    install_role_guard(engine, settings.database.allow_rls_bypass)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        log.warning("database not reachable at start-up (%s); role checked later", exc.orig)
    finally:
        engine.dispose()


def run_scheduler(settings: Settings) -> None:
    """The escalation schedule alone, until SIGTERM (the scheduler unit)."""
    from service.services.escalation import escalation_loop

    refuse_unsafe_settings(settings)
    logging.config.dictConfig(logging_config(settings.server.log_format, settings.server.log_level))
    logging.getLogger("wangge.escalation").info(
        "scheduler started: escalation every %s s", settings.escalation.interval_s
    )
    if settings.escalation.interval_s <= 0:
        raise SystemExit("WANGGE_ESCALATION_INTERVAL_S is 0: nothing to schedule")
    try:
        asyncio.run(escalation_loop(settings))
    except KeyboardInterrupt:
        pass
