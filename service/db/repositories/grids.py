"""Grid cells, their lineage, split records and edit history: every query of grid editing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import Community, Street
from service.domain.grid_carry import AssignmentState
from service.domain.grid_generate import AreaInput
from service.domain.principal import Principal
from service.errors import NotFound, OutsideJurisdiction, ValidationFailed


@dataclass(frozen=True)
class CommunityRow:
    id: int
    code: str
    name: str
    street_id: int
    geom: BaseGeometry


@dataclass(frozen=True)
class CellRow:
    id: int
    code: str
    community_id: int
    geom: BaseGeometry
    households: int


def _scoped_communities(principal: Principal, scope: str) -> Any:
    return (
        select(Community.id, Community.code, Community.name, Community.street_id)
        .join(Street, Street.id == Community.street_id)
        .where(
            area_clause(
                principal,
                scope,
                district_col=Street.district_id,
                street_col=Community.street_id,
                community_col=Community.id,
            )
        )
    )


def community_ids_in_scope(
    session: Session,
    principal: Principal,
    scope: str,
    *,
    community: str | None = None,
    street: str | None = None,
) -> list[int]:
    """Ids of the communities the principal may see, narrowed by community or street code."""
    query = _scoped_communities(principal, scope)
    if community:
        query = query.where(Community.code == community)
    if street:
        query = query.where(Street.code == street)
    ids = [row.id for row in session.execute(query.order_by(Community.code))]
    if (community or street) and not ids:
        raise OutsideJurisdiction(
            "no such community or street in your jurisdiction",
            message_zh="您的辖区内没有该社区或街道",
            where={"community": community, "street": street},
        )
    return ids


def load_community(
    session: Session, principal: Principal | None, scope: str, code: str, *, lock: bool = False
) -> CommunityRow:
    """One community (404 outside the jurisdiction); `lock` serialises edits of its cells."""
    query = (
        _scoped_communities(principal, scope)
        if principal
        else select(Community.id, Community.code, Community.name, Community.street_id)
    )
    row = session.execute(query.where(Community.code == code)).first()
    if row is None:
        raise OutsideJurisdiction(
            f"community {code} not found",
            message_zh=f"未找到社区 {code}",
            where={"community": code},
        )
    sql = "SELECT ST_AsBinary(geom) FROM community WHERE id = :id"
    wkb = session.execute(text(sql + (" FOR UPDATE" if lock else "")), {"id": row.id}).scalar_one()
    return CommunityRow(row.id, row.code, row.name, row.street_id, shapely.from_wkb(bytes(wkb)))


def residential_areas(session: Session, community_id: int) -> list[AreaInput]:
    rows = session.execute(
        text(
            "SELECT id, code, ST_AsBinary(geom), households FROM residential_area"
            " WHERE community_id = :c ORDER BY code"
        ),
        {"c": community_id},
    )
    return [AreaInput(r[0], r[1], shapely.from_wkb(bytes(r[2])), r[3]) for r in rows]


def active_cells(session: Session, community_id: int) -> list[CellRow]:
    rows = session.execute(
        text(
            "SELECT id, code, community_id, ST_AsBinary(geom), households FROM grid_cell"
            " WHERE community_id = :c AND is_active ORDER BY code"
        ),
        {"c": community_id},
    )
    return [CellRow(r[0], r[1], r[2], shapely.from_wkb(bytes(r[3])), r[4]) for r in rows]


def cell_by_code(session: Session, principal: Principal, scope: str, code: str) -> CellRow:
    """An active cell in the principal's jurisdiction (404 otherwise)."""
    ids = community_ids_in_scope(session, principal, scope)
    row = session.execute(
        text(
            "SELECT id, code, community_id, ST_AsBinary(geom), households FROM grid_cell"
            " WHERE code = :code AND is_active AND community_id = ANY(:ids)"
        ),
        {"code": code, "ids": ids},
    ).first()
    if row is None:
        raise NotFound(
            f"no active grid cell {code}", message_zh=f"未找到网格 {code}", where={"code": code}
        )
    return CellRow(row[0], row[1], row[2], shapely.from_wkb(bytes(row[3])), row[4])


def community_code_of(session: Session, community_id: int) -> str:
    return str(
        session.execute(
            text("SELECT code FROM community WHERE id = :id"), {"id": community_id}
        ).scalar_one()
    )


def codes_ever_used(session: Session, community_code: str) -> list[str]:
    """Every code with this community's prefix, active or retired (never to be reused)."""
    return list(
        session.execute(
            text("SELECT code FROM grid_cell WHERE left(code, 12) = :c"), {"c": community_code}
        ).scalars()
    )


@dataclass(frozen=True)
class NewCell:
    code: str
    geom: BaseGeometry
    households: int
    replaces: list[int]  # ids of the retired cells it replaces (lineage)
    split_shares: dict[int, int]  # 小区 id → households held here, for split 小区
    primary: int | None
    backups: list[int]


def insert_cells(session: Session, community_id: int, cells: list[NewCell]) -> dict[str, int]:
    """Insert cells with their lineage, split records and carried workers, in a few
    statements; returns code → id."""
    if not cells:
        return {}
    rows = session.execute(
        text(
            "INSERT INTO grid_cell (code, community_id, geom, households)"
            " SELECT t.code, :c, ST_Multi(ST_GeomFromWKB(t.wkb, 4326)), t.h"
            " FROM unnest(CAST(:codes AS text[]), CAST(:wkbs AS bytea[]), CAST(:hs AS int[]))"
            " AS t(code, wkb, h) RETURNING code, id"
        ),
        {
            "c": community_id,
            "codes": [n.code for n in cells],
            "wkbs": [shapely.to_wkb(n.geom) for n in cells],
            "hs": [n.households for n in cells],
        },
    ).all()
    ids = {code: int(cell_id) for code, cell_id in rows}
    lineage = [{"n": ids[n.code], "o": old} for n in cells for old in n.replaces]
    splits = [
        {"a": area, "c": ids[n.code], "h": h} for n in cells for area, h in n.split_shares.items()
    ]
    workers = [
        {"w": n.primary, "c": ids[n.code], "p": True} for n in cells if n.primary is not None
    ] + [{"w": b, "c": ids[n.code], "p": False} for n in cells for b in n.backups]
    statements = (
        (lineage, "INSERT INTO grid_cell_lineage (cell_id, replaces_cell_id) VALUES (:n, :o)"),
        (
            splits,
            "INSERT INTO residential_area_split (residential_area_id, cell_id, households)"
            " VALUES (:a, :c, :h)",
        ),
        (
            workers,
            "INSERT INTO grid_assignment (worker_id, cell_id, is_primary) VALUES (:w, :c, :p)",
        ),
    )
    for params, sql in statements:
        if params:
            session.execute(text(sql), params)
    return ids


def retire_cells(session: Session, cell_ids: list[int]) -> None:
    """Retire cells (kept for history) and end their current assignments today."""
    session.execute(
        text(
            "UPDATE grid_assignment SET valid_to = greatest(valid_from, current_date)"
            " WHERE cell_id = ANY(:ids) AND valid_to IS NULL"
        ),
        {"ids": cell_ids},
    )
    session.execute(
        text(
            "UPDATE grid_cell SET is_active = false, retired_at = now()"
            " WHERE id = ANY(:ids) AND is_active"
        ),
        {"ids": cell_ids},
    )


def split_shares_of(session: Session, cell_ids: list[int]) -> dict[int, dict[int, int]]:
    """Recorded split shares: cell id → {小区 id: households}."""
    out: dict[int, dict[int, int]] = {}
    rows = session.execute(
        text(
            "SELECT cell_id, residential_area_id, households FROM residential_area_split"
            " WHERE cell_id = ANY(:ids)"
        ),
        {"ids": cell_ids},
    )
    for cell_id, area_id, households in rows:
        out.setdefault(cell_id, {})[area_id] = households
    return out


def record_edit(
    session: Session,
    *,
    community_id: int,
    kind: str,
    actor_id: int | None,
    retired: list[str],
    created: list[str],
    detail: dict[str, Any],
    note: str = "",
) -> None:
    session.execute(
        text(
            "INSERT INTO grid_edit (community_id, kind, actor_id, retired_codes, created_codes,"
            " note, detail) VALUES (:c, :k, :a, :r, :n, :note, CAST(:d AS jsonb))"
        ),
        {
            "c": community_id,
            "k": kind,
            "a": actor_id,
            "r": retired,
            "n": created,
            "note": note,
            "d": json.dumps(detail, ensure_ascii=False),
        },
    )


def current_assignments(session: Session, cell_ids: list[int]) -> list[AssignmentState]:
    rows = session.execute(
        text(
            "SELECT a.worker_id, g.code, a.is_primary FROM grid_assignment a"
            " JOIN grid_cell g ON g.id = a.cell_id"
            " WHERE a.cell_id = ANY(:ids) AND a.valid_to IS NULL ORDER BY a.id"
        ),
        {"ids": cell_ids},
    )
    return [AssignmentState(r[0], r[1], r[2]) for r in rows]


def worker_for_cell(session: Session, worker: str, community_id: int) -> int:
    """Id of an active grid worker (or community staff) of the cell's community."""
    row = session.execute(
        text("SELECT id, role, community_id FROM app_user WHERE username = :u AND is_active"),
        {"u": worker},
    ).first()
    if row is None or row.role not in ("grid_worker", "community_staff"):
        raise ValidationFailed(
            f"{worker!r} is not an active grid worker",
            message_zh=f"{worker} 不是在岗网格员",
            where={"field": "worker", "worker": worker},
        )
    if row.community_id != community_id:
        raise ValidationFailed(
            f"{worker!r} works in another community",
            message_zh=f"{worker} 不属于该网格所在社区",
            where={"field": "worker", "worker": worker},
        )
    return int(row.id)
