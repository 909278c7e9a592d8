"""The database's clock: deadlines, escalation, meetings' due days and the assessment are all
measured by it, so no answer depends on which app server's clock asked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session


def database_now(session: Session) -> datetime:
    """The transaction's now() (one instant for the whole request)."""
    return session.scalar(text("SELECT now()"))  # type: ignore[no-any-return]


def beijing_today(session: Session) -> date:
    """Today's date in Beijing by the database's clock."""
    return session.scalar(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date"))  # type: ignore[no-any-return]
