"""The periodic escalation schedule, run by exactly one process of an installation.

Every process that may run it (each app worker, or the scheduler unit) asks for a PostgreSQL
session-level advisory lock on a connection of its own; the one holding it runs the passes and
the others only ask again each interval. A holder that dies or loses its database (a failover)
loses the lock with its connection, and another process takes over within one interval.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import psycopg

from service.db.async_pool import libpq_conninfo
from service.db.engine import create_db_engine
from service.db.repositories.escalation import (
    compact_assessment_tally,
    compact_case_tally,
    escalate_overdue,
)
from service.db.repositories.partitions import ensure as ensure_partitions
from service.metrics import ESCALATED_REPORTS, ESCALATION_PASSES
from service.settings import Settings

log = logging.getLogger("wangge.escalation")

# pg_advisory_lock key of the escalation schedule ("wgesc" in ASCII, fits a bigint)
SCHEDULE_LOCK_KEY = 0x7767657363


def run_escalation(settings: Settings, now: datetime | None = None) -> int:
    """One escalation pass as the owner role (a background job has no user for RLS)."""
    engine = create_db_engine(
        settings,
        settings.database.owner_url,
        pool=(1, 0),
        application_name="wangge-escalation",
        statement_timeout_ms=settings.escalation.statement_timeout_ms,
    )
    try:
        with engine.begin() as conn:
            moved = escalate_overdue(conn, now)
        with engine.begin() as conn:
            compact_case_tally(conn)
        with engine.begin() as conn:
            compact_assessment_tally(conn)
        # next months' partitions exist long before a report is filed in them (a no-op
        # when they do; docs/scale.md)
        with engine.begin() as conn:
            ensure_partitions(conn, 3)
        return moved
    finally:
        engine.dispose()


class ScheduleLock:
    """The advisory lock that makes one process the schedule's runner."""

    def __init__(self, settings: Settings, key: int = SCHEDULE_LOCK_KEY) -> None:
        self.conninfo = libpq_conninfo(settings.database.owner_url)
        self.key = key
        self.conn: psycopg.Connection[Any] | None = None

    def held(self) -> bool:
        """True while this process holds the lock (taking it if it is free)."""
        try:
            if self.conn is not None and not self.conn.closed:
                self.conn.execute("SELECT 1")  # still connected, so still holding it
                return True
            self.conn = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=5, application_name="wangge-sched"
            )
            row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            got = bool(row.fetchone()[0])  # type: ignore[index]
        except psycopg.Error:
            self.release()
            return False
        if not got:
            self.release()
        return got

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()  # closing the session releases its advisory locks
        self.conn = None


def escalation_pass(settings: Settings, lock: ScheduleLock) -> int | None:
    """One pass if this process holds the schedule; None if another process does."""
    if not lock.held():
        return None
    count = run_escalation(settings)
    ESCALATION_PASSES.labels("ok").inc()
    ESCALATED_REPORTS.inc(count)
    log.info("escalation pass: %d escalated", count, extra={"escalated": count})
    return count


async def escalation_loop(settings: Settings) -> None:
    """Run an escalation pass every `escalation_interval_s` seconds until cancelled."""
    lock = ScheduleLock(settings)
    try:
        while True:
            await asyncio.sleep(settings.escalation.interval_s)
            try:
                await asyncio.to_thread(escalation_pass, settings, lock)
            except Exception:  # a failed pass must not stop the schedule
                ESCALATION_PASSES.labels("failed").inc()
                log.exception("escalation pass failed")
    finally:
        await asyncio.to_thread(lock.release)
