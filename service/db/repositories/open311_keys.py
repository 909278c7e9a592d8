"""Open311 API keys: created and revoked by the operator, looked up (by their SHA-256) on every
filing, counted per minute, and the filing's key and media_url kept next to the report."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.passwords import hash_password
from service.domain.principal import Principal
from service.errors import Conflict, NotFound, ValidationFailed

KEY_PREFIX = "w311_"
WINDOW_S = 60


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    channel: str
    per_minute: int
    principal: Principal


def key_digest(key: str) -> str:
    """What the database keeps of a key (its SHA-256, hex)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, *, name: str, district_code: str, channel: str, per_minute: int
) -> tuple[str, int]:
    """A new key (returned once, stored hashed) and its id; the key files as an account of its
    own: a district bureau account of the district that cannot log in."""
    if not 1 <= len(name) <= 60:
        raise ValidationFailed("the name has 1 to 60 characters", where={"field": "name"})
    district = session.scalar(text("SELECT id FROM district WHERE code = :c"), {"c": district_code})
    if district is None:
        raise ValidationFailed("unknown district", where={"district": district_code})
    if session.scalar(text("SELECT 1 FROM open311_key WHERE name = :n"), {"n": name}):
        raise Conflict(f"a key named {name!r} exists", where={"field": "name"})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    user_id = session.scalar(
        text(
            "INSERT INTO app_user (username, display_name, password_hash, role, district_id,"
            " is_active) VALUES (:u, :dn, :pw, 'district_bureau', :d, false) RETURNING id"
        ),
        {
            "u": f"open311-{secrets.token_hex(6)}",
            "dn": f"Open311：{name}",
            # never told to anyone: the account files through its key only
            "pw": hash_password(secrets.token_urlsafe(32)),
            "d": district,
        },
    )
    key_id = session.scalar(
        text(
            "INSERT INTO open311_key (name, key_sha256, key_prefix, district_id, channel,"
            " user_id, per_minute) VALUES (:n, :h, :p, :d, :ch, :u, :pm) RETURNING id"
        ),
        {
            "n": name,
            "h": key_digest(key),
            "p": key[: len(KEY_PREFIX) + 4],
            "d": district,
            "ch": channel,
            "u": user_id,
            "pm": per_minute,
        },
    )
    return key, int(key_id)


def revoke_key(session: Session, name: str) -> None:
    """Revoke the key called `name` (its next request is refused)."""
    done = session.execute(
        text("UPDATE open311_key SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no live key named {name!r}", where={"field": "name"})


def list_keys(session: Session) -> list[dict[str, Any]]:
    """Every key: name, prefix, district code, channel, rate, created, revoked."""
    rows = session.execute(
        text(
            "SELECT k.name, k.key_prefix, d.code AS district, k.channel, k.per_minute,"
            " k.created_at, k.revoked_at FROM open311_key k JOIN district d"
            " ON d.id = k.district_id ORDER BY k.created_at, k.id"
        )
    ).mappings()
    return [dict(r) for r in rows]


def find_key(session: Session, key: str) -> ApiKey | None:
    """The live key with this text, with the principal its filings act as; None otherwise."""
    row = session.execute(
        text(
            "SELECT k.id, k.name, k.channel, k.per_minute, u.id AS user_id, u.username"
            " , k.district_id FROM open311_key k JOIN app_user u ON u.id = k.user_id"
            " WHERE k.key_sha256 = :h AND k.revoked_at IS NULL"
        ),
        {"h": key_digest(key)},
    ).first()
    if row is None:
        return None
    me = Principal(
        id=row.user_id,
        username=row.username,
        role="district_bureau",
        district_id=row.district_id,
        street_id=None,
        community_id=None,
    )
    return ApiKey(row.id, row.name, row.channel, row.per_minute, me)


def count_hit(session: Session, key_id: int) -> tuple[int, int]:
    """Count one request in the key's current minute: (requests in it, seconds until it ends)."""
    row = session.execute(
        text(
            """
            WITH w AS (SELECT date_trunc('minute', clock_timestamp()) AS start),
            gone AS (DELETE FROM open311_key_window
                      WHERE key_id = :k AND window_start < (SELECT start FROM w))
            INSERT INTO open311_key_window (key_id, window_start, hits)
            SELECT :k, start, 1 FROM w
            ON CONFLICT (key_id, window_start)
              DO UPDATE SET hits = open311_key_window.hits + 1
            RETURNING hits,
              ceil(extract(epoch FROM window_start + interval '60 seconds'
                                      - clock_timestamp()))::int AS left_s
            """
        ),
        {"k": key_id},
    ).one()
    return int(row.hits), max(1, min(WINDOW_S, int(row.left_s)))


def record_request(
    session: Session, report_id: uuid.UUID, key_id: int, media_url: str | None
) -> None:
    session.execute(
        text("INSERT INTO open311_request (report_id, key_id, media_url) VALUES (:r, :k, :m)"),
        {"r": report_id, "k": key_id, "m": media_url},
    )


def media_urls(session: Session, report_ids: list[str]) -> dict[str, str]:
    """The media_url filed with each of these reports, for those that have one (row-level
    security answers only reports the caller sees)."""
    if not report_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT report_id::text AS id, media_url FROM open311_request"
            " WHERE report_id = ANY(CAST(:ids AS uuid[])) AND media_url IS NOT NULL"
        ),
        {"ids": report_ids},
    )
    return {r.id: r.media_url for r in rows}
