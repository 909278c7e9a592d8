"""The audit log: one append-only row per write (who, what, when, from where)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal


def record_write(
    session: Session,
    principal: Principal,
    *,
    action: str,
    method: str,
    path: str,
    object_type: str | None,
    object_id: str | None,
    client_addr: str | None,
    summary: dict[str, Any],
) -> None:
    """Append one audit row inside the caller's transaction (it commits with the write)."""
    session.execute(
        text(
            "INSERT INTO audit_log (user_id, username, action, method, path, object_type,"
            " object_id, client_addr, summary)"
            " VALUES (:uid, :username, :action, :method, :path, :otype, :oid, :addr,"
            " CAST(:summary AS jsonb))"
        ),
        {
            "uid": principal.id,
            "username": principal.username,
            "action": action,
            "method": method,
            "path": path,
            "otype": object_type,
            "oid": object_id,
            "addr": client_addr,
            "summary": _json(summary),
        },
    )


def _json(summary: dict[str, Any]) -> str:
    import json

    return json.dumps(summary, ensure_ascii=False, default=str)
