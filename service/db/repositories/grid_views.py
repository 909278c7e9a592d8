"""Reading grid cells with their workers, and assigning workers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import Conflict, NotFound

_CELLS = """
SELECT g.code, c.code AS community, c.name AS community_name, g.households,
       ST_AsGeoJSON(g.geom, 7) AS geom,
       (SELECT json_build_object('id', u.id, 'username', u.username,
                                 'display_name', u.display_name, 'valid_from', a.valid_from)
        FROM grid_assignment a JOIN app_user u ON u.id = a.worker_id
        WHERE a.cell_id = g.id AND a.is_primary AND a.valid_to IS NULL) AS primary_worker,
       (SELECT coalesce(json_agg(json_build_object('id', u.id, 'username', u.username,
                                 'display_name', u.display_name) ORDER BY u.username), '[]')
        FROM grid_assignment a JOIN app_user u ON u.id = a.worker_id
        WHERE a.cell_id = g.id AND NOT a.is_primary AND a.valid_to IS NULL) AS backups
FROM grid_cell g JOIN community c ON c.id = g.community_id
WHERE g.is_active AND g.community_id = ANY(:ids)
"""


def cells_geojson(
    session: Session, community_ids: list[int], *, without_primary: bool = False
) -> dict[str, Any]:
    """Active cells of these communities as GeoJSON, each with its primary and backups."""
    sql = _CELLS
    if without_primary:
        sql += (
            " AND NOT EXISTS (SELECT 1 FROM grid_assignment a WHERE a.cell_id = g.id"
            " AND a.is_primary AND a.valid_to IS NULL)"
        )
    rows = session.execute(text(sql + " ORDER BY g.code"), {"ids": community_ids}).mappings()
    features = []
    for r in rows:
        props = {k: r[k] for k in ("code", "community", "community_name", "households")}
        props["primary_worker"] = r["primary_worker"]
        props["backup_workers"] = r["backups"]
        features.append({"type": "Feature", "geometry": json.loads(r["geom"]), "properties": props})
    return {"type": "FeatureCollection", "features": features}


def cell_history(session: Session, community_ids: list[int], code: str) -> dict[str, Any]:
    """A cell (active or retired) with lineage both ways and every assignment it had."""
    row = session.execute(
        text(
            "SELECT g.id, g.code, c.code, g.households, g.is_active, g.created_at, g.retired_at,"
            " ST_AsGeoJSON(g.geom, 7) FROM grid_cell g JOIN community c ON c.id = g.community_id"
            " WHERE g.code = :code AND g.community_id = ANY(:ids)"
        ),
        {"code": code, "ids": community_ids},
    ).first()
    if row is None:
        raise NotFound(
            f"no grid cell {code}", message_zh=f"未找到网格 {code}", where={"code": code}
        )
    cell_id = row[0]
    replaces = session.execute(
        text(
            "SELECT o.code FROM grid_cell_lineage l JOIN grid_cell o ON o.id = l.replaces_cell_id"
            " WHERE l.cell_id = :id ORDER BY o.code"
        ),
        {"id": cell_id},
    ).scalars()
    replaced_by = session.execute(
        text(
            "SELECT n.code FROM grid_cell_lineage l JOIN grid_cell n ON n.id = l.cell_id"
            " WHERE l.replaces_cell_id = :id ORDER BY n.code"
        ),
        {"id": cell_id},
    ).scalars()
    assignments = session.execute(
        text(
            "SELECT a.id, u.username, a.is_primary, a.valid_from, a.valid_to"
            " FROM grid_assignment a JOIN app_user u ON u.id = a.worker_id"
            " WHERE a.cell_id = :id ORDER BY a.valid_from, a.id"
        ),
        {"id": cell_id},
    ).mappings()
    return {
        "code": row[1],
        "community": row[2],
        "households": row[3],
        "is_active": row[4],
        "created_at": row[5].isoformat(),
        "retired_at": row[6].isoformat() if row[6] else None,
        "geometry": json.loads(row[7]),
        "replaces": list(replaces),
        "replaced_by": list(replaced_by),
        "assignments": [
            {
                "id": a["id"],
                "worker": a["username"],
                "is_primary": a["is_primary"],
                "valid_from": a["valid_from"].isoformat(),
                "valid_to": a["valid_to"].isoformat() if a["valid_to"] else None,
            }
            for a in assignments
        ],
    }


def worker_cells(session: Session, community_ids: list[int], username: str) -> list[dict[str, Any]]:
    """The active cells a worker currently serves, primary or backup."""
    rows = session.execute(
        text(
            "SELECT g.code, a.is_primary, a.valid_from FROM grid_assignment a"
            " JOIN grid_cell g ON g.id = a.cell_id JOIN app_user u ON u.id = a.worker_id"
            " WHERE lower(u.username) = lower(:u) AND a.valid_to IS NULL AND g.is_active"
            " AND g.community_id = ANY(:ids) ORDER BY g.code"
        ),
        {"u": username, "ids": community_ids},
    ).all()
    return [{"code": r[0], "is_primary": r[1], "valid_from": r[2].isoformat()} for r in rows]


# Advisory-lock namespace for one cell's assignments ("wg" + 1).
ASSIGNMENT_LOCK = 0x77670001


def lock_cell_assignments(session: Session, cell_id: int) -> None:
    """Serialise assignment edits on one cell until the transaction ends, so the duplicate
    check, the one-primary rule and the cell's fact row each see the edit before."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :cell)"), {"ns": ASSIGNMENT_LOCK, "cell": cell_id}
    )


def assign_worker(
    session: Session,
    cell_id: int,
    cell_code: str,
    worker_id: int,
    *,
    primary: bool,
    valid_from: date | None,
    replace_primary: bool,
) -> int:
    """Add an assignment; a second current primary is refused by the unique index → 409."""
    lock_cell_assignments(session, cell_id)
    if primary and replace_primary:
        session.execute(
            text(
                "UPDATE grid_assignment SET valid_to = greatest(valid_from, current_date)"
                " WHERE cell_id = :c AND is_primary AND valid_to IS NULL"
            ),
            {"c": cell_id},
        )
    duplicate = session.execute(
        text(
            "SELECT 1 FROM grid_assignment WHERE cell_id = :c AND worker_id = :w"
            " AND valid_to IS NULL AND is_primary = :p"
        ),
        {"c": cell_id, "w": worker_id, "p": primary},
    ).first()
    if duplicate:
        raise Conflict(
            f"this worker is already assigned to {cell_code} in that role",
            message_zh=f"该网格员已按此身份分配到网格 {cell_code}",
            where={"code": cell_code},
        )
    try:
        with session.begin_nested():
            new_id = session.execute(
                text(
                    "INSERT INTO grid_assignment (worker_id, cell_id, is_primary, valid_from)"
                    " VALUES (:w, :c, :p, coalesce(CAST(:f AS date), current_date)) RETURNING id"
                ),
                {"w": worker_id, "c": cell_id, "p": primary, "f": valid_from},
            ).scalar_one()
    except IntegrityError as exc:
        if "grid_assignment_one_primary" in str(exc.orig):
            raise Conflict(
                f"cell {cell_code} already has a primary grid worker",
                message_zh=f"网格 {cell_code} 已有专职网格员",
                where={"code": cell_code, "field": "role"},
            ) from exc
        raise
    return int(new_id)


def end_assignment(session: Session, cell_id: int, assignment_id: int, cell_code: str) -> None:
    """End a current assignment today (history is kept)."""
    lock_cell_assignments(session, cell_id)
    done = session.execute(
        text(
            "UPDATE grid_assignment SET valid_to = greatest(valid_from, current_date)"
            " WHERE id = :a AND cell_id = :c AND valid_to IS NULL RETURNING id"
        ),
        {"a": assignment_id, "c": cell_id},
    ).first()
    if done is None:
        raise NotFound(
            f"no current assignment {assignment_id} on {cell_code}",
            message_zh="未找到该网格的当前分配",
            where={"code": cell_code, "assignment": assignment_id},
        )


def edit_history(session: Session, community_ids: list[int], limit: int) -> list[dict[str, Any]]:
    """The latest grid edits (generate, split, merge, redraw, assign) in these communities."""
    rows = session.execute(
        text(
            "SELECT e.id, c.code, e.kind, u.username, e.retired_codes, e.created_codes, e.note,"
            " e.detail, e.created_at FROM grid_edit e JOIN community c ON c.id = e.community_id"
            " LEFT JOIN app_user u ON u.id = e.actor_id WHERE e.community_id = ANY(:ids)"
            " ORDER BY e.created_at DESC, e.id DESC LIMIT :n"
        ),
        {"ids": community_ids, "n": limit},
    ).all()
    return [
        {
            "id": r[0],
            "community": r[1],
            "kind": r[2],
            "actor": r[3],
            "retired": r[4],
            "created": r[5],
            "note": r[6],
            "detail": r[7],
            "at": r[8].isoformat(),
        }
        for r in rows
    ]


def community_workers(session: Session, community_ids: list[int]) -> list[dict[str, str]]:
    """Active grid workers (and community staff) of these communities, for a pick list."""
    rows = session.execute(
        text(
            "SELECT u.username, u.display_name, c.name AS community FROM app_user u"
            " JOIN community c ON c.id = u.community_id"
            " WHERE u.is_active AND u.role IN ('grid_worker', 'community_staff')"
            " AND u.community_id = ANY(:ids) ORDER BY c.code, u.role DESC, u.username"
        ),
        {"ids": community_ids},
    ).mappings()
    return [
        {
            "username": r["username"],
            "display_name": f"{r['display_name'] or r['username']}（{r['community']}）",
        }
        for r in rows
    ]


def community_extents(
    session: Session, community_ids: list[int]
) -> list[tuple[str, str, float, float, float, float]]:
    """(code, name, and the bounding box of all of them: xmin, ymin, xmax, ymax) by code."""
    rows = session.execute(
        text(
            "SELECT code, name, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            " SELECT code, name, ST_Extent(geom) OVER () AS e FROM community"
            " WHERE id = ANY(:ids)) x ORDER BY code"
        ),
        {"ids": community_ids},
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]
