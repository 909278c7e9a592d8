"""Failed logins kept in the database, so the limit holds across every worker process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class LoginLimits:
    """Failures tolerated per (account, address) pair and per address within the window, and
    the delay between tries at one account once it has failed often from anywhere."""

    max_per_account: int = 5
    max_per_address: int = 20
    window_s: int = 15 * 60
    delay_base_s: int = 1
    delay_max_s: int = 60


def seconds_until_allowed(
    session: Session, *, username: str, client_addr: str, limits: LoginLimits
) -> int:
    """0 when a login may be tried now, else seconds to wait.

    An address that failed an account `max_per_account` times waits for the window; the
    account's owner elsewhere is never locked out, only slowed: once the account has failed
    that often from all addresses together, each try waits a delay that doubles per failure.
    """
    since = datetime.now(UTC) - timedelta(seconds=limits.window_s)
    name = username.lower()
    waits = [
        _wait(session, _PAIR, {"u": name, "a": client_addr}, limits.max_per_account, since, limits),
        _wait(session, _ADDRESS, {"a": client_addr}, limits.max_per_address, since, limits),
        _account_delay(session, name, since, limits),
    ]
    return max(waits)


_PAIR = text(
    "SELECT count(*), min(attempted_at) FROM (SELECT attempted_at FROM login_attempt"
    " WHERE username = :u AND client_addr = :a AND attempted_at > :since"
    " ORDER BY attempted_at DESC LIMIT :limit) recent"
)
_ADDRESS = text(
    "SELECT count(*), min(attempted_at) FROM (SELECT attempted_at FROM login_attempt"
    " WHERE client_addr = :a AND attempted_at > :since"
    " ORDER BY attempted_at DESC LIMIT :limit) recent"
)
_ACCOUNT = text(
    "SELECT count(*), max(attempted_at) FROM login_attempt"
    " WHERE username = :u AND attempted_at > :since"
)


def _wait(
    session: Session,
    query: TextClause,
    params: dict[str, str],
    limit: int,
    since: datetime,
    limits: LoginLimits,
) -> int:
    count, oldest = session.execute(query, {**params, "since": since, "limit": limit}).one()
    if count < limit or oldest is None:
        return 0
    remaining = limits.window_s - (datetime.now(UTC) - oldest).total_seconds()
    return max(1, int(remaining) + 1)


def _account_delay(session: Session, name: str, since: datetime, limits: LoginLimits) -> int:
    count, latest = session.execute(_ACCOUNT, {"u": name, "since": since}).one()
    if count < limits.max_per_account or latest is None:
        return 0
    doublings = min(count - limits.max_per_account, 16)
    delay = min(limits.delay_base_s * 2**doublings, limits.delay_max_s)
    remaining = delay - (datetime.now(UTC) - latest).total_seconds()
    return 0 if remaining <= 0 else int(remaining) + 1


def record_failure(session: Session, *, username: str, client_addr: str) -> None:
    session.execute(
        text("INSERT INTO login_attempt (username, client_addr) VALUES (:u, :a)"),
        {"u": username.lower(), "a": client_addr},
    )


def clear_account_failures(session: Session, username: str) -> None:
    """A successful login resets the account's counter (not the address's)."""
    session.execute(text("DELETE FROM login_attempt WHERE username = :u"), {"u": username.lower()})
