"""Joint meetings and their agenda items (decisions, owners, follow-up deadlines).

Reads are filtered by `_visible` — the same rule as the row-level security policies of
migration 022 (a community also sees its street's street-level meetings; a department the
meetings it attends) — so the policies are the second line, not the only one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal

_MEETING_COLUMNS = """
  m.id, m.kind, m.held_on, m.title, m.participants, m.note, m.created_at,
  s.code AS street_code, s.name AS street_name, c.code AS community_code,
  c.name AS community_name, u.username AS created_by
"""
_MEETING_FROM = """
  FROM joint_meeting m JOIN street s ON s.id = m.street_id
  LEFT JOIN community c ON c.id = m.community_id
  JOIN app_user u ON u.id = m.created_by
"""


def _visible(me: Principal) -> tuple[str, dict[str, Any]]:
    """SQL over `m` (joint_meeting) for the meetings `me` may read."""
    if me.role == "admin" and me.district_id is None:
        return "true", {}
    if me.district_id is None:
        return "false", {}
    params: dict[str, Any] = {"v_dist": me.district_id}
    if me.role in ("admin", "district_bureau"):
        return "m.district_id = :v_dist", params
    if me.role == "street_office" and me.street_id is not None:
        return "m.street_id = :v_street", {"v_street": me.street_id}
    if me.role == "community_staff" and me.community_id is not None:
        return (
            "(m.community_id = :v_comm OR (m.community_id IS NULL AND m.street_id ="
            " (SELECT street_id FROM community WHERE id = :v_comm)))",
            {"v_comm": me.community_id},
        )
    if me.role == "department" and me.department_id is not None:
        return (
            "m.district_id = :v_dist AND m.participants @> ARRAY[(SELECT code FROM department"
            " WHERE id = :v_dept)]",
            {**params, "v_dept": me.department_id},
        )
    return "false", {}


def writes(me: Principal, meeting: dict[str, Any]) -> bool:
    """Whether `me` records items in this meeting (staff of the meeting's own level)."""
    if me.role == "admin":
        return me.district_id is None or meeting["district_id"] == me.district_id
    if me.role == "district_bureau":
        return bool(meeting["district_id"] == me.district_id)
    if me.role == "street_office":
        return bool(meeting["street_id"] == me.street_id)
    if me.role == "community_staff":
        return bool(meeting["community_id"] == me.community_id)
    return False


def unit(
    session: Session, me: Principal, street: str | None, community: str | None
) -> dict[str, Any] | None:
    """The street (and community) a new meeting belongs to, when `me` may hold it there: a
    community's staff hold their community's, a street office its street's (or one of its
    communities'), the district any in the district. None when outside the jurisdiction."""
    row: Any
    if me.role == "community_staff" and not community and not street:
        # community staff hold their own community's meetings
        if me.community_id is None:
            return None
        row = session.execute(
            text(
                "SELECT c.id AS community_id, c.street_id, s.district_id"
                " FROM community c JOIN street s ON s.id = c.street_id WHERE c.id = :id"
            ),
            {"id": me.community_id},
        ).mappings().first()  # fmt: skip
    elif community:
        row = session.execute(
            text(
                "SELECT c.id AS community_id, s.id AS street_id, s.district_id"
                " FROM community c JOIN street s ON s.id = c.street_id WHERE c.code = :code"
            ),
            {"code": community},
        ).mappings().first()  # fmt: skip
    elif street:
        row = session.execute(
            text(
                "SELECT NULL::integer AS community_id, s.id AS street_id, s.district_id"
                " FROM street s WHERE s.code = :code"
            ),
            {"code": street},
        ).mappings().first()  # fmt: skip
    elif me.street_id is not None:
        row = {"community_id": None, "street_id": me.street_id, "district_id": me.district_id}
    else:
        return None
    if row is None:
        return None
    found = dict(row)
    if street and community:
        code = session.scalar(text("SELECT code FROM street WHERE id = :id"),
                              {"id": found["street_id"]})  # fmt: skip
        if code != street:
            return None
    return found if writes(me, found) else None


def departments(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT code, name_zh FROM department ORDER BY code")).mappings()
    return [dict(r) for r in rows]


def known_departments(session: Session, codes: list[str]) -> set[str]:
    rows = session.execute(
        text("SELECT code FROM department WHERE code = ANY(:codes)"), {"codes": codes}
    ).scalars()
    return set(rows)


def create_meeting(
    session: Session,
    me: Principal,
    where: dict[str, Any],
    *,
    kind: str,
    held_on: date,
    title: str,
    participants: list[str],
    note: str,
) -> int:
    found = session.scalar(
        text(
            "INSERT INTO joint_meeting (district_id, street_id, community_id, kind, held_on,"
            " title, participants, note, created_by)"
            " VALUES (:district, :street, :community, :kind, :held_on, :title, :participants,"
            " :note, :me) RETURNING id"
        ),
        {
            "district": where["district_id"],
            "street": where["street_id"],
            "community": where["community_id"],
            "kind": kind,
            "held_on": held_on,
            "title": title,
            "participants": participants,
            "note": note,
            "me": me.id,
        },  # fmt: skip
    )
    return int(found)  # type: ignore[arg-type]


def list_meetings(
    session: Session,
    me: Principal,
    *,
    street: str | None,
    start: date | None,
    end: date | None,
    today: date,
    limit: int,
) -> list[dict[str, Any]]:
    """Meetings `me` may read, newest first, each with its item counts."""
    cond, params = _visible(me)
    rows = session.execute(
        text(
            f"SELECT {_MEETING_COLUMNS},"  # noqa: S608 - cond is built from constants
            " (SELECT count(*) FROM meeting_item i WHERE i.meeting_id = m.id) AS items,"
            " (SELECT count(*) FROM meeting_item i WHERE i.meeting_id = m.id"
            "   AND i.done_at IS NULL) AS open_items,"
            " (SELECT count(*) FROM meeting_item i WHERE i.meeting_id = m.id"
            "   AND i.done_at IS NULL AND i.due_on < :today) AS overdue_items"
            f" {_MEETING_FROM}"
            f" WHERE {cond} AND (CAST(:street AS text) IS NULL OR s.code = :street)"
            " AND (CAST(:start AS date) IS NULL OR m.held_on >= :start)"
            " AND (CAST(:end AS date) IS NULL OR m.held_on <= :end)"
            " ORDER BY m.held_on DESC, m.id DESC LIMIT :limit"
        ),
        {
            **params,
            "street": street,
            "start": start,
            "end": end,
            "today": today,
            "limit": limit,
        },  # fmt: skip
    ).mappings()
    return [dict(r) for r in rows]


def get_meeting(session: Session, me: Principal, meeting_id: int) -> dict[str, Any] | None:
    cond, params = _visible(me)
    row = session.execute(
        text(
            f"SELECT {_MEETING_COLUMNS}, m.district_id, m.street_id, m.community_id"  # noqa: S608
            f" {_MEETING_FROM} WHERE m.id = :id AND {cond}"
        ),
        {**params, "id": meeting_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


_ITEM_COLUMNS = """
  i.id, i.meeting_id, i.report_id, i.topic, i.decision, i.owner_department,
  d.name_zh AS owner_department_zh, i.owner_text, i.due_on, i.done_at, i.done_note,
  du.username AS done_by, r.status AS report_status, r.description AS report_description
"""
_ITEM_FROM = """
  FROM meeting_item i
  LEFT JOIN department d ON d.code = i.owner_department
  LEFT JOIN app_user du ON du.id = i.done_by
  LEFT JOIN report r ON r.id = i.report_id
"""


def items_of(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    return items_of_meetings(session, [meeting_id]).get(meeting_id, [])


def items_of_meetings(session: Session, meeting_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The agenda items of several meetings in one query, by meeting id."""
    rows = session.execute(
        text(
            f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE i.meeting_id = ANY(:ids)"
            " ORDER BY i.meeting_id, i.id"
        ),
        {"ids": meeting_ids},
    ).mappings()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["meeting_id"], []).append(dict(r))
    return out


def add_item(
    session: Session,
    me: Principal,
    meeting_id: int,
    *,
    report_id: Any,
    topic: str,
    decision: str,
    owner_department: str | None,
    owner_text: str,
    due_on: date | None,
) -> int:
    found = session.scalar(
        text(
            "INSERT INTO meeting_item (meeting_id, report_id, topic, decision, owner_department,"
            " owner_text, due_on, created_by) VALUES (:meeting, :report, :topic, :decision,"
            " :dept, :owner_text, :due_on, :me) RETURNING id"
        ),
        {
            "meeting": meeting_id,
            "report": report_id,
            "topic": topic,
            "decision": decision,
            "dept": owner_department,
            "owner_text": owner_text,
            "due_on": due_on,
            "me": me.id,
        },  # fmt: skip
    )
    return int(found)  # type: ignore[arg-type]


def get_item(session: Session, me: Principal, item_id: int) -> dict[str, Any] | None:
    """An item of a meeting `me` may read (the done mark itself guards against a race)."""
    cond, params = _visible(me)
    row = session.execute(
        text(
            f"SELECT {_ITEM_COLUMNS}, m.district_id, m.street_id, m.community_id"  # noqa: S608
            f" {_ITEM_FROM} JOIN joint_meeting m ON m.id = i.meeting_id"
            f" WHERE i.id = :id AND {cond}"
        ),
        {**params, "id": item_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def mark_done(session: Session, me: Principal, item_id: int, note: str) -> bool:
    """The decision carried out; False when it was already marked (a race)."""
    done = session.execute(
        text(
            "UPDATE meeting_item SET done_at = now(), done_note = :note, done_by = :me"
            " WHERE id = :id AND done_at IS NULL"
        ),
        {"id": item_id, "note": note, "me": me.id},
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def overdue_items(session: Session, me: Principal, today: date, limit: int) -> list[dict[str, Any]]:
    """Open decisions past their follow-up day in meetings `me` may read, oldest due first."""
    cond, params = _visible(me)
    rows = session.execute(
        text(
            f"SELECT {_ITEM_COLUMNS}, m.title AS meeting_title, m.held_on,"  # noqa: S608
            " m.district_id, m.street_id, m.community_id, s.name AS street_name,"
            " c.name AS community_name"
            f" {_ITEM_FROM} JOIN joint_meeting m ON m.id = i.meeting_id"
            " JOIN street s ON s.id = m.street_id LEFT JOIN community c ON c.id = m.community_id"
            f" WHERE {cond} AND i.done_at IS NULL AND i.due_on < :today"
            " ORDER BY i.due_on, i.id LIMIT :limit"
        ),
        {**params, "today": today, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def _reach(me: Principal) -> tuple[str, str, dict[str, Any]] | None:
    """(street condition over s, community condition over c and s, params) of `me`'s reach."""
    if me.role == "admin" and me.district_id is None:
        return "true", "true", {}
    if me.role == "community_staff" and me.community_id is not None:
        return "false", "c.id = :u_comm", {"u_comm": me.community_id}
    if me.role == "street_office" and me.street_id is not None:
        return "s.id = :u_street", "s.id = :u_street", {"u_street": me.street_id}
    if me.role in ("admin", "district_bureau") and me.district_id is not None:
        return "s.district_id = :u_dist", "s.district_id = :u_dist", {"u_dist": me.district_id}
    return None


def last_held(session: Session, me: Principal, *, communities: bool) -> list[dict[str, Any]]:
    """Per street in `me`'s reach and street meeting kind — and per community when asked —
    the date of the last meeting (None if it never met)."""
    reach = _reach(me)
    if reach is None:
        return []
    street_cond, community_cond, params = reach
    units: list[dict[str, Any]] = []
    streets = session.execute(
        text(f"SELECT s.id, s.code, s.name FROM street s WHERE {street_cond} ORDER BY s.code"),  # noqa: S608
        params,
    ).mappings()  # fmt: skip
    for s in streets:
        units += [
            {
                "street_id": s["id"],
                "community_id": None,
                "street_code": s["code"],
                "street_name": s["name"],
                "community_code": None,
                "community_name": None,
                "kind": kind,
            }  # fmt: skip
            for kind in ("street_joint", "grid_quarterly")
        ]
    if communities or me.role == "community_staff":
        for c in session.execute(
            text(
                "SELECT c.id, c.code, c.name, s.id AS street_id, s.code AS street_code,"  # noqa: S608
                " s.name AS street_name FROM community c JOIN street s ON s.id = c.street_id"
                f" WHERE {community_cond} ORDER BY c.code"
            ),
            params,
        ).mappings():
            units.append(
                {"street_id": c["street_id"], "community_id": c["id"],
                 "street_code": c["street_code"], "street_name": c["street_name"],
                 "community_code": c["code"], "community_name": c["name"], "kind": "community"}
            )  # fmt: skip
    cond, vparams = _visible(me)
    last = {
        (r.street_id, r.community_id, r.kind): r.held
        for r in session.execute(
            text(
                "SELECT m.street_id, m.community_id, m.kind, max(m.held_on) AS held"  # noqa: S608
                f" FROM joint_meeting m WHERE {cond} GROUP BY 1, 2, 3"
            ),
            vparams,
        )
    }
    for u in units:
        u["last_held"] = last.get((u["street_id"], u["community_id"], u["kind"]))
    return units
