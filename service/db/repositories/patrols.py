"""Patrols: a walk through a grid with its GPS track, checklist and findings (reports)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import Patrol
from service.domain.principal import Principal

PATROL_VIEW = """
    SELECT p.id, u.username AS worker, p.started_at, p.ended_at,
      ST_AsGeoJSON(p.geom)::json AS track, p.track_accuracy_m, p.track_recorded_at,
      p.checklist, p.note,
      gc.code AS grid_code, c.code AS community_code, p.content_hash, p.finish_hash,
      (SELECT count(*) FROM report r WHERE r.patrol_id = p.id) AS findings
    FROM patrol p
    JOIN app_user u ON u.id = p.worker_id
    LEFT JOIN grid_cell gc ON gc.id = p.grid_cell_id
    LEFT JOIN community c ON c.id = p.community_id
"""


def _visibility(principal: Principal, scope: str) -> tuple[str, dict[str, Any]]:
    clause = area_clause(
        principal,
        scope,
        district_col=Patrol.district_id,
        street_col=Patrol.street_id,
        community_col=Patrol.community_id,
        owner_col=Patrol.worker_id,
    )
    compiled = clause.compile(compile_kwargs={"render_postcompile": True})
    return str(compiled).replace("patrol.", "p."), dict(compiled.params)


def start_patrol(
    session: Session,
    patrol_id: uuid.UUID,
    started_at: Any,
    checklist: dict[str, Any],
    fingerprint: str,
    actor: Principal,
) -> bool:
    """Insert the patrol in the worker's community; False when the id already exists."""
    row = session.execute(
        text(
            """
            INSERT INTO patrol (id, worker_id, community_id, street_id, district_id, started_at,
                                checklist, content_hash)
            SELECT :id, :w, CAST(:c AS integer), (SELECT street_id FROM community WHERE id = :c),
                   :d, :started, CAST(:checklist AS jsonb), :hash
            ON CONFLICT (id) DO NOTHING RETURNING id
            """
        ),
        {
            "id": patrol_id,
            "w": actor.id,
            "c": actor.community_id,
            "d": actor.district_id,
            "started": started_at,
            "checklist": json.dumps(checklist),
            "hash": fingerprint,
        },
    ).first()
    return row is not None


def finish_patrol(
    session: Session,
    patrol_id: uuid.UUID,
    *,
    ended_at: Any,
    track_wkt: str | None,
    accuracies: list[float],
    recorded_at: list[Any],
    checklist: dict[str, Any],
    note: str,
    fingerprint: str,
) -> None:
    """Record the end, the track and the checklist; the cell is where the track starts."""
    session.execute(
        text(
            """
            UPDATE patrol SET ended_at = :ended, note = :note,
              geom = ST_GeomFromText(CAST(:wkt AS text), 4326),
              track_accuracy_m = CAST(:acc AS real[]),
              track_recorded_at = CAST(:times AS timestamptz[]),
              checklist = CAST(:checklist AS jsonb), finish_hash = :hash,
              grid_cell_id = (SELECT gc.id FROM grid_cell gc WHERE gc.is_active
                 AND ST_Intersects(gc.geom, ST_StartPoint(ST_GeomFromText(CAST(:wkt AS text),
                 4326))) ORDER BY gc.id LIMIT 1)
            WHERE id = :id
            """
        ),
        {
            "id": patrol_id,
            "ended": ended_at,
            "note": note,
            "wkt": track_wkt,
            "acc": accuracies,
            "times": recorded_at,
            "checklist": json.dumps(checklist),
            "hash": fingerprint,
        },
    )


def get_patrol(
    session: Session, patrol_id: uuid.UUID, principal: Principal, scope: str, lock: bool = False
) -> dict[str, Any] | None:
    cond, params = _visibility(principal, scope)
    sql = f"{PATROL_VIEW} WHERE p.id = :pid AND ({cond})"
    if lock:
        sql += " FOR UPDATE OF p"
    row = session.execute(text(sql), {**params, "pid": patrol_id}).mappings().first()
    return dict(row) if row else None


def patrol_owner_hash(session: Session, patrol_id: uuid.UUID) -> tuple[int, str | None] | None:
    row = session.execute(
        text("SELECT worker_id, content_hash FROM patrol WHERE id = :id"), {"id": patrol_id}
    ).first()
    return (row[0], row[1]) if row else None


def list_patrols(
    session: Session, principal: Principal, scope: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    cond, params = _visibility(principal, scope)
    count_sql = f"SELECT count(*) FROM patrol p WHERE {cond}"  # noqa: S608 (bound params only)
    total = session.scalar(text(count_sql), params) or 0
    rows = session.execute(
        text(f"{PATROL_VIEW} WHERE {cond} ORDER BY p.started_at DESC, p.id LIMIT :l OFFSET :o"),
        {**params, "l": limit, "o": offset},
    ).mappings()
    return [dict(r) for r in rows], int(total)
