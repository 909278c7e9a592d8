"""The workbench queues: live counts and keyset pages, over the partial indexes of 015_cases.

Every statement is built from constant fragments (status lists from service.domain.case_queues,
sort columns from an allow-list) and the jurisdiction clause of reports.visibility; values are
bound parameters only. The status lists are written out literally because PostgreSQL uses a
partial index only when it can prove the query's list implies the index's predicate.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import literal_column, text
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause, compile_clause
from service.db.repositories.reports import visibility
from service.domain.case_queues import (
    ESCALATION_LEVEL,
    ROLE_QUEUES,
    Cursor,
    Queue,
)
from service.domain.principal import Principal

# sort name → (column, direction); never from input
SORTS = {"deadline": ("deadline_at", "ASC"), "closed": ("closed_at", "DESC"),
         "updated": ("updated_at", "DESC")}  # fmt: skip
MY_CELLS = (
    "r.grid_cell_id IN (SELECT cell_id FROM grid_assignment"
    " WHERE worker_id = :q_me AND valid_to IS NULL)"
)
# A grid worker verifies in their own community: in their cells, or what they filed there.
WORKER_VERIFY = f"r.community_id = :q_comm AND (r.reporter_id = :q_me OR {MY_CELLS})"


def _in(statuses: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in statuses) + ")"


@dataclass(frozen=True)
class CaseFilter:
    category: str | None = None
    department: str | None = None
    community: str | None = None
    grid: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None


def _branches(me: Principal, scope: str) -> tuple[list[str], dict[str, Any]]:
    """The jurisdiction as one or more index-friendly conditions on `r`, to be UNION ALLed.

    A department works the reports routed to it and, in a second branch, those it assists on
    (联合处置); an OR of the two would hide both from the indexes.
    """
    params: dict[str, Any] = {"q_me": me.id, "q_comm": me.community_id}
    if me.role == "grid_worker":
        return [f"(r.reporter_id = :q_me OR {MY_CELLS})"], params
    cond, vis = visibility(me, scope, assists=False)
    params.update(vis)
    branches = [f"({cond})"]
    if me.role == "department":
        params["q_dep"] = me.department_id
        branches.append(
            "r.id IN (SELECT report_id FROM report_assist WHERE department_id = :q_dep)"
            " AND r.department_id IS DISTINCT FROM :q_dep"
        )
    return branches, params


def _queue_condition(me: Principal, queue: Queue, params: dict[str, Any]) -> str:
    if queue.name == "mine":
        return "r.reporter_id = :q_me"
    parts = [f"r.status IN {_in(queue.statuses)}"]
    if queue.name == "verify" and me.role == "grid_worker":
        parts.append(f"({WORKER_VERIFY})")
    if queue.overdue:
        parts.append("r.deadline_at < :q_now")
    if queue.escalated:
        parts.append("r.escalation_level = :q_level")
        params["q_level"] = ESCALATION_LEVEL.get(me.role, "none")
    if queue.sort == "closed":
        parts.append("r.closed_at >= :q_recent")
    return " AND ".join(parts)


def _filter_conditions(flt: CaseFilter, params: dict[str, Any]) -> list[str]:
    conds = []
    if flt.category:
        conds.append("r.category_code = :f_cat")
        params["f_cat"] = flt.category
    if flt.department:
        conds.append("r.department_id = (SELECT id FROM department WHERE code = :f_dep)")
        params["f_dep"] = flt.department
    if flt.community:
        conds.append("r.community_id = (SELECT id FROM community WHERE code = :f_comm)")
        params["f_comm"] = flt.community
    if flt.grid:
        conds.append("r.grid_cell_id = (SELECT id FROM grid_cell WHERE code = :f_grid)")
        params["f_grid"] = flt.grid
    if flt.created_from:
        conds.append("r.created_at >= :f_from")
        params["f_from"] = flt.created_from
    if flt.created_to:
        conds.append("r.created_at < :f_to")
        params["f_to"] = flt.created_to
    if flt.q:
        conds.append("r.description ILIKE :f_q ESCAPE '\\'")
        escaped = flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["f_q"] = f"%{escaped}%"
    return conds


def list_queue(
    session: Session,
    me: Principal,
    scope: str,
    queue: Queue,
    flt: CaseFilter,
    *,
    after: Cursor | None,
    limit: int,
    now: datetime,
    recent_days: int,
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """One page of a queue in its sort order, and the cursor of the next page (or None)."""
    branches, params = _branches(me, scope)
    params.update({"q_now": now, "q_recent": now - timedelta(days=recent_days), "q_lim": limit + 1})
    col, direction = SORTS[queue.sort]
    where = [_queue_condition(me, queue, params), *_filter_conditions(flt, params)]
    if after is not None:
        where.append(f"(r.{col}, r.id) {'>' if direction == 'ASC' else '<'} (:q_key, :q_kid)")
        params.update({"q_key": after.key, "q_kid": after.id})
    order = f"k {direction}, id {direction}"
    # the page's rows are joined back by (id, created_at): the month's partition alone is
    # searched for each, not every month's primary key
    parts = [
        f"(SELECT r.id, r.{col} AS k, r.created_at AS c FROM report r"  # noqa: S608
        f" WHERE {b} AND {' AND '.join(where)}"
        f" ORDER BY r.{col} {direction}, r.id {direction} LIMIT :q_lim)"
        for b in branches
    ]
    sql = f"""
      SELECT r.id, r.category_code AS category, ec.name_zh AS category_name_zh, r.status,
        left(r.description, 200) AS description, c.code AS community_code,
        c.name AS community_name, gc.code AS grid_code, dep.code AS department,
        dep.name_zh AS department_name_zh, r.deadline_at, r.escalation_level, r.created_at,
        r.updated_at, r.closed_at, u.username AS reporter, p.k, r.channel,
        last.to_status AS last_status, last.note AS last_note, last.created_at AS last_at,
        (SELECT a.part FROM report_assist a WHERE a.report_id = r.id
           AND a.department_id = CAST(:q_dep_view AS integer)) AS my_part
      FROM (SELECT * FROM ({" UNION ALL ".join(parts)}) u ORDER BY {order} LIMIT :q_lim) p
      JOIN report r ON r.id = p.id AND r.created_at = p.c
      JOIN event_category ec ON ec.code = r.category_code
      JOIN department dep ON dep.id = r.department_id
      JOIN app_user u ON u.id = r.reporter_id
      LEFT JOIN community c ON c.id = r.community_id
      LEFT JOIN grid_cell gc ON gc.id = r.grid_cell_id
      LEFT JOIN LATERAL (SELECT e.to_status, e.note, e.created_at FROM report_event e
        WHERE e.report_id = r.id ORDER BY e.created_at DESC, e.id DESC LIMIT 1) last ON true
      ORDER BY p.k {direction}, r.id {direction}
    """  # noqa: S608 (constant fragments and bound parameters only)
    params["q_dep_view"] = me.department_id
    rows = [dict(r) for r in session.execute(text(sql), params).mappings()]
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = Cursor(rows[-1]["k"], rows[-1]["id"])
    return rows, nxt


def count_queues(
    session: Session,
    me: Principal,
    scope: str,
    *,
    now: datetime,
    recent_days: int,
    since: datetime | None,
) -> dict[str, dict[str, int]]:
    """{queue: {"count": n, "new": changed since `since`}} for each of the role's queues."""
    names = ROLE_QUEUES.get(me.role, ())
    branches, params = _branches(me, scope)
    params.update(
        {
            "q_now": now,
            "q_recent": now - timedelta(days=recent_days),
            "q_since": since or now,
            "q_level": ESCALATION_LEVEL.get(me.role, "none"),
        }
    )
    if me.role == "grid_worker":
        return _count_worker(session, params)
    # counted by the database function of 015_cases: the same jurisdiction rule, applied once
    # per statement instead of once per row as row-level security would
    found = (
        session.execute(
            text("SELECT * FROM wangge_case_counts(:q_now, :q_since, :q_recent, :q_level)"),
            params,
        )
        .mappings()
        .one()
    )
    return {n: {"count": found[n], "new": found[f"new_{n}"]} for n in names}


def _count_worker(session: Session, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    found = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE r.reporter_id = :q_me) AS mine,"  # noqa: S608
            " count(*) FILTER (WHERE r.reporter_id = :q_me AND r.updated_at > :q_since)"
            " AS new_mine,"
            f" count(*) FILTER (WHERE r.status = 'handled' AND {WORKER_VERIFY}) AS verify,"
            f" count(*) FILTER (WHERE r.status = 'handled' AND {WORKER_VERIFY}"
            " AND r.updated_at > :q_since) AS new_verify"
            f" FROM report r WHERE r.reporter_id = :q_me OR {MY_CELLS}"
        ),
        params,
    ).one()
    return {
        "mine": {"count": found.mine, "new": found.new_mine},
        "verify": {"count": found.verify, "new": found.new_verify},
    }


_STAMPS = ("created_at", "updated_at")


def _rows(found: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """json_agg rows with their timestamps back as datetimes."""
    return [
        {k: datetime.fromisoformat(v) if k in _STAMPS and v else v for k, v in r.items()}
        for r in found or []
    ]


def case_parts(session: Session, report_id: uuid.UUID) -> dict[str, Any]:
    """Everything the case page shows besides the report row and its nearby duplicates, in one
    statement (each table under its row-level security as before): photos, history, assisting
    departments' parts, return visits, the cell and 小区 outlines, and the database's clock."""
    row = session.execute(
        text(
            """
            SELECT now() AS now,
              (SELECT json_agg(json_build_object('id', p.id, 'is_evidence', p.is_evidence,
                 'width', p.width, 'height', p.height, 'created_at', p.created_at)
                 ORDER BY p.created_at, p.id) FROM photo p WHERE p.report_id = r.id) AS photos,
              (SELECT json_agg(json_build_object('from_status', e.from_status,
                 'to_status', e.to_status, 'note', e.note, 'created_at', e.created_at,
                 'actor', u.username) ORDER BY e.created_at, e.id)
                 FROM report_event e LEFT JOIN app_user u ON u.id = e.actor_id
                 WHERE e.report_id = r.id) AS history,
              (SELECT json_agg(json_build_object('department', d.code,
                 'department_name_zh', d.name_zh, 'part', a.part, 'status', a.status,
                 'note', a.note, 'updated_at', a.updated_at) ORDER BY d.code)
                 FROM report_assist a JOIN department d ON d.id = a.department_id
                 WHERE a.report_id = r.id) AS assists,
              (SELECT json_agg(json_build_object('id', v.id, 'result', v.result, 'note', v.note,
                 'reopened', v.reopened, 'actor', u.username, 'created_at', v.created_at)
                 ORDER BY v.created_at, v.id)
                 FROM return_visit v JOIN app_user u ON u.id = v.actor_id
                 WHERE v.report_id = r.id) AS visits,
              ST_AsGeoJSON(gc.geom, 6) AS cell, gc.code AS cell_code,
              ST_AsGeoJSON(ra.geom, 6) AS area, ra.name AS area_name
            FROM report r LEFT JOIN grid_cell gc ON gc.id = r.grid_cell_id
            LEFT JOIN residential_area ra ON ra.id = r.residential_area_id WHERE r.id = :id
            """
        ),
        {"id": report_id},
    ).one()
    return {
        "now": row.now,
        "photos": _rows(row.photos),
        "history": _rows(row.history),
        "assists": _rows(row.assists),
        "visits": _rows(row.visits),
        "cell": {"code": row.cell_code, "geometry": json.loads(row.cell)} if row.cell else None,
        "residential_area": (
            {"name": row.area_name, "geometry": json.loads(row.area)} if row.area else None
        ),
    }


def jurisdiction_places(
    session: Session, me: Principal, scope: str, community: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The communities of the jurisdiction (names, for the filters' pick-lists) and, given one of
    them by code, its active grid cells."""
    where, params = compile_clause(
        area_clause(
            me,
            scope,
            district_col=literal_column("s.district_id"),
            street_col=literal_column("c.street_id"),
            community_col=literal_column("c.id"),
        )
    )
    communities = session.execute(
        text(
            "SELECT c.code, c.name, s.name AS street_name FROM community c"  # noqa: S608 - compiled clause, values bound
            f" JOIN street s ON s.id = c.street_id WHERE {where} ORDER BY s.code, c.code"
        ),
        params,
    ).mappings()
    cells: list[dict[str, Any]] = []
    if community:
        cells = [
            {"code": r.code, "label_zh": f"第{r.code[-3:]}网格"}
            for r in session.execute(
                text(
                    "SELECT g.code FROM grid_cell g JOIN community c ON c.id = g.community_id"  # noqa: S608 - compiled clause, values bound
                    " JOIN street s ON s.id = c.street_id"
                    f" WHERE g.is_active AND c.code = :q_comm_code AND {where} ORDER BY g.code"
                ),
                {**params, "q_comm_code": community},
            )
        ]
    return {"communities": [dict(r) for r in communities], "grid_cells": cells}
