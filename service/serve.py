"""`wangge serve` and `wangge scheduler`: the production processes (systemd units in deploy/).

serve: uvicorn's supervisor with several worker processes sharing one listening socket. On
SIGTERM the supervisor stops accepting connections and every worker finishes the requests it
has in flight (up to `graceful_timeout_s`) before it exits; SIGHUP replaces the workers one by
one (after an upgrade). scheduler: the escalation schedule in a process of its own.
"""

from __future__ import annotations

import asyncio
import logging.config
import os
import shutil

import uvicorn

from service.logs import logging_config
from service.metrics import MULTIPROC_ENV
from service.settings import Settings
from service.startup_checks import refuse_unsafe_settings

WORKER_START_TIMEOUT_S = 60


def worker_count(settings: Settings, requested: int | None = None) -> int:
    """Workers asked for, else the setting, else one per core this process may use (at least 2).

    Two at least: with one, uvicorn runs no supervisor, and SIGHUP (systemctl reload) would
    stop the server instead of replacing its workers one by one.
    """
    if requested:
        return requested
    if settings.workers > 0:
        return settings.workers
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
    prepare_metrics_dir(settings)
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=settings.bind_host,
        port=settings.bind_port,
        workers=worker_count(settings, workers),
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
        # A new worker imports the whole app before it answers; on a busy server that can take
        # longer than uvicorn's 5 s, which would abort a reload and keep the old workers.
        timeout_worker_healthcheck=WORKER_START_TIMEOUT_S,
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=False,  # service.api.request_context writes one line per request instead
        # Forwarded headers are judged by the app against WANGGE_TRUSTED_PROXIES, so uvicorn
        # must not rewrite the client address first.
        proxy_headers=False,
        server_header=False,
    )


def run_scheduler(settings: Settings) -> None:
    """The escalation schedule alone, until SIGTERM (the scheduler unit)."""
    from service.escalation import escalation_loop

    refuse_unsafe_settings(settings)
    logging.config.dictConfig(logging_config(settings.log_format, settings.log_level))
    logging.getLogger("wangge.escalation").info(
        "scheduler started: escalation every %s s", settings.escalation_interval_s
    )
    if settings.escalation_interval_s <= 0:
        raise SystemExit("WANGGE_ESCALATION_INTERVAL_S is 0: nothing to schedule")
    try:
        asyncio.run(escalation_loop(settings))
    except KeyboardInterrupt:
        pass
