"""The periodic escalation task started by the app's lifespan (interval is a setting)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import create_engine

from service.db.repositories.escalation import escalate_overdue
from service.settings import Settings

log = logging.getLogger("wangge.escalation")


def run_escalation(settings: Settings, now: datetime | None = None) -> int:
    """One escalation pass as the owner role (a background job has no user for RLS)."""
    engine = create_engine(settings.effective_migration_url, pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            return escalate_overdue(conn, now)
    finally:
        engine.dispose()


async def escalation_loop(settings: Settings) -> None:
    """Run an escalation pass every `escalation_interval_s` seconds until cancelled."""
    while True:
        await asyncio.sleep(settings.escalation_interval_s)
        try:
            count = await asyncio.to_thread(run_escalation, settings)
            if count:
                log.info("escalated %d overdue reports", count)
        except Exception:  # a failed pass must not stop the schedule
            log.exception("escalation pass failed")
