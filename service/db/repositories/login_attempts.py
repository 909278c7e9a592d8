"""Failed logins kept in the database, so the limit holds across every worker process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session


def seconds_until_allowed(
    session: Session,
    *,
    username: str,
    client_addr: str,
    max_per_account: int,
    max_per_address: int,
    window_s: int,
) -> int:
    """0 when a login may be tried now, else seconds until the oldest counted failure expires."""
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    waits = [
        _wait(session, "username", username.lower(), max_per_account, since, window_s),
        _wait(session, "client_addr", client_addr, max_per_address, since, window_s),
    ]
    return max(waits)


_RECENT = {
    "username": text(
        "SELECT count(*), min(attempted_at) FROM (SELECT attempted_at FROM login_attempt"
        " WHERE username = :value AND attempted_at > :since"
        " ORDER BY attempted_at DESC LIMIT :limit) recent"
    ),
    "client_addr": text(
        "SELECT count(*), min(attempted_at) FROM (SELECT attempted_at FROM login_attempt"
        " WHERE client_addr = :value AND attempted_at > :since"
        " ORDER BY attempted_at DESC LIMIT :limit) recent"
    ),
}


def _wait(
    session: Session, column: str, value: str, limit: int, since: datetime, window_s: int
) -> int:
    count, oldest = session.execute(
        _RECENT[column], {"value": value, "since": since, "limit": limit}
    ).one()
    if count < limit or oldest is None:
        return 0
    remaining = window_s - (datetime.now(UTC) - oldest).total_seconds()
    return max(1, int(remaining) + 1)


def record_failure(session: Session, *, username: str, client_addr: str) -> None:
    session.execute(
        text("INSERT INTO login_attempt (username, client_addr) VALUES (:u, :a)"),
        {"u": username.lower(), "a": client_addr},
    )


def clear_account_failures(session: Session, username: str) -> None:
    """A successful login resets the account's counter (not the address's)."""
    session.execute(text("DELETE FROM login_attempt WHERE username = :u"), {"u": username.lower()})
