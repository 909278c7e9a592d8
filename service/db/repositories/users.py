"""Users and their tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, text, update
from sqlalchemy.orm import Session

from service.db.models import AppUser, AuthToken
from service.domain.passwords import hash_password, verify_password
from service.domain.principal import Principal


def principal_of(user: AppUser | Row[Any]) -> Principal:
    """The principal of a user: an ORM object or a row with the same column names."""
    return Principal(
        id=user.id,
        username=user.username,
        role=user.role,
        district_id=user.district_id,
        street_id=user.street_id,
        community_id=user.community_id,
        department_id=user.department_id,
    )


def user_by_name(session: Session, username: str) -> AppUser | None:
    """The account called `username`, active or not (operator commands)."""
    return session.scalar(select(AppUser).where(AppUser.username == username))


def token_digest(token: str) -> str:
    """What the database keeps of a token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, username: str, password: str) -> AppUser | None:
    """The active user with this username and password, or None."""
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        # Spend the same time as a real check so timing does not reveal which names exist.
        verify_password(_DUMMY_HASH, password)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def issue_token(session: Session, user: AppUser, *, kind: str, ttl_minutes: int) -> tuple[str, str]:
    """A new random token (returned once, stored hashed) and its CSRF companion."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    session.add(
        AuthToken(
            user_id=user.id,
            token_sha256=token_digest(token),
            kind=kind,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(minutes=ttl_minutes),
        )
    )
    session.flush()
    return token, csrf


# The token lookup and the transaction-local settings read by the row-level security policies
# (see service.api.deps.set_rls_identity for the names) in one round trip: the database
# function wangge_authenticate (service/db/sql/functions/) is the one definition of a valid
# token, shared with the report-filing statement. It sets nothing for an unknown, revoked or
# expired token; the settings are transaction-local (they end with the request's transaction).
_AUTHENTICATE_SQL = text("SELECT * FROM wangge_authenticate(:digest)")


def authenticate_token(session: Session, token: str) -> tuple[Principal, str | None] | None:
    """The principal behind an unexpired, unrevoked token of an active user, and the token's
    CSRF companion; also tells PostgreSQL who is asking for the rest of the transaction.

    Every request reads the token row afresh (no cache), so a logout or a revocation takes
    effect on the next request.
    """
    row = session.execute(_AUTHENTICATE_SQL, {"digest": token_digest(token)}).first()
    if row is None:
        return None
    return principal_of(row), row.csrf_token


def revoke_token(session: Session, token: str) -> None:
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_sha256 == token_digest(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


_DUMMY_HASH = hash_password("not-a-real-password")


def revoke_user_tokens(session: Session, user_id: int, *, keep_token: str | None = None) -> int:
    """Revoke every live token of a user (except `keep_token`); returns how many."""
    stmt = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep_token is not None:
        stmt = stmt.where(AuthToken.token_sha256 != token_digest(keep_token))
    result = session.execute(stmt.values(revoked_at=datetime.now(UTC)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
