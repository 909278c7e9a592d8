"""Prometheus metrics: request latency by route template, connection pools and their queues.

Under `wangge serve` every worker process writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (set by the serve command before the workers start) and `/metrics`,
whichever worker answers it, adds up all of them. Without that variable (tests, the demo) the
process's own registry is served.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "wangge_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS_IN_PROGRESS = Gauge(
    "wangge_http_requests_in_progress",
    "Requests being answered now",
    multiprocess_mode="livesum",
)
POOL_CONNECTIONS = Gauge(
    "wangge_db_pool_connections",
    "Database connections held by the pools, by pool and state (in_use, idle)",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "wangge_db_pool_waiting_requests",
    "Requests queued for a connection of the asynchronous pool (filings, tiles)",
    ["pool"],
    multiprocess_mode="livesum",
)
ESCALATION_PASSES = Counter(
    "wangge_escalation_passes", "Overdue-escalation passes run", ["outcome"]
)
ESCALATED_REPORTS = Counter("wangge_escalated_reports", "Reports escalated one level")


def update_pool_gauges(app_state: Any) -> None:
    """Copy this process's pool figures into the gauges (cheap: no database round trip)."""
    engine = getattr(app_state, "engine", None)
    if engine is not None:
        pool = engine.pool
        in_use = pool.checkedout()
        POOL_CONNECTIONS.labels("sync", "in_use").set(in_use)
        POOL_CONNECTIONS.labels("sync", "idle").set(pool.checkedin())
    async_pool = getattr(app_state, "async_pool", None)
    if async_pool is not None:
        stats = async_pool.get_stats()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        POOL_CONNECTIONS.labels("async", "in_use").set(size - idle)
        POOL_CONNECTIONS.labels("async", "idle").set(idle)
        POOL_WAITING.labels("async").set(stats.get("requests_waiting", 0))


def render_metrics() -> tuple[bytes, str]:
    """The exposition text of all processes (multiprocess mode) or of this one."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def forget_this_process() -> None:
    """Drop this worker's live gauges when it stops (they would otherwise be summed on)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
