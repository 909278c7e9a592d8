"""Cases residents bring (complaints, 12345 orders, petitions): where a point lies, 小区 as
places to search, the insert of the case with its first history row and the caller's contact,
and the hotline order numbers already known in a district."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal
from service.domain.residents import CHANNELS

# The cell gives community and street through its parents; a point in no cell falls back to
# the community and street polygons, as the filing function (migration 011) does.
LOCATE = """
  WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
  SELECT d.id AS district_id, s.id AS street_id, c.id AS community_id, gc.id AS grid_cell_id,
         gc.code AS grid_code, c.code AS community_code, s.code AS street_code,
         (SELECT a.id FROM residential_area a WHERE a.geom && p.g AND ST_Intersects(a.geom, p.g)
          ORDER BY a.id LIMIT 1) AS residential_area_id
  FROM p
  JOIN district d ON d.geom && p.g AND ST_Intersects(d.geom, p.g)
  LEFT JOIN street s ON s.district_id = d.id AND s.geom && p.g AND ST_Intersects(s.geom, p.g)
  LEFT JOIN community c ON c.street_id = s.id AND c.geom && p.g AND ST_Intersects(c.geom, p.g)
  LEFT JOIN grid_cell gc ON gc.community_id = c.id AND gc.is_active AND gc.geom && p.g
    AND ST_Intersects(gc.geom, p.g)
  ORDER BY (d.id = CAST(:district AS integer)) DESC, gc.id, c.id, s.id
  LIMIT 1
"""


def locate(
    session: Session, lon: float, lat: float, district_id: int | None
) -> dict[str, Any] | None:
    """The district, street, community, grid cell and 小区 a WGS84 point lies in (the caller's
    district first where districts touch), or None outside every district."""
    row = session.execute(
        text(LOCATE), {"lon": lon, "lat": lat, "district": district_id}
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def in_jurisdiction(me: Principal, place: dict[str, Any]) -> bool:
    """Whether a located point lies in the caller's own community, street or district."""
    if me.district_id is None or place["district_id"] != me.district_id:
        return False
    if me.community_id is not None:
        return bool(place["community_id"] == me.community_id)
    if me.street_id is not None:
        return bool(place["street_id"] == me.street_id)
    return True


def _area_filter(me: Principal) -> tuple[str, dict[str, Any]]:
    if me.community_id is not None:
        return "a.community_id = :m_comm", {"m_comm": me.community_id}
    if me.street_id is not None:
        return "c.street_id = :m_street", {"m_street": me.street_id}
    if me.district_id is not None:
        return "s.district_id = :m_dist", {"m_dist": me.district_id}
    return "true", {}


def search_places(session: Session, me: Principal, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """小区 in the caller's jurisdiction whose name or community contains `q` (LIKE-escaped),
    each with a point inside it to place a complaint at."""
    cond, params = _area_filter(me)
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        text(
            "SELECT a.code, a.name, c.name AS community_name, s.name AS street_name,"  # noqa: S608
            " ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat"
            " FROM residential_area a JOIN community c ON c.id = a.community_id"
            " JOIN street s ON s.id = c.street_id"
            f" WHERE {cond} AND (a.name ILIKE :q ESCAPE '\\' OR c.name ILIKE :q ESCAPE '\\')"
            " ORDER BY a.name, a.code LIMIT :lim"
        ),
        {**params, "q": f"%{escaped}%", "lim": limit},
    ).mappings()
    return [dict(r) for r in rows]


def place_of_area(session: Session, me: Principal, code: str) -> tuple[float, float] | None:
    """A point inside the 小区 `code` when it lies in the caller's jurisdiction."""
    cond, params = _area_filter(me)
    row = session.execute(
        text(
            "SELECT ST_X(ST_PointOnSurface(a.geom)) AS lon,"  # noqa: S608
            " ST_Y(ST_PointOnSurface(a.geom)) AS lat"
            " FROM residential_area a JOIN community c ON c.id = a.community_id"
            f" JOIN street s ON s.id = c.street_id WHERE a.code = :code AND {cond}"
        ),
        {**params, "code": code},
    ).first()
    return (float(row.lon), float(row.lat)) if row else None


def category_codes(session: Session) -> dict[str, str]:
    """Active categories by code and by Chinese name (both → code)."""
    rows = session.execute(text("SELECT code, name_zh FROM event_category WHERE is_active")).all()
    return {**{r.name_zh: r.code for r in rows}, **{r.code: r.code for r in rows}}


@dataclass(frozen=True)
class NewCase:
    id: uuid.UUID
    lon: float
    lat: float
    crs: str
    place: dict[str, Any]
    category: str
    description: str
    channel: str
    caller_name: str
    caller_phone: str
    caller_masked: str | None
    external_ref: str | None = None
    deadline_at: datetime | None = None  # the hotline's own; else the category's hours


def insert_case(session: Session, me: Principal, case: NewCase) -> bool:
    """Insert the case, its first history row and the caller's contact; False when the
    category is unknown (nothing written)."""
    p = case.place
    created = session.execute(
        text(
            """
            INSERT INTO report (id, geom, coordinate_system, placed_by_hand, category_code,
              description, reporter_id, grid_cell_id, residential_area_id, community_id,
              street_id, district_id, department_id, deadline_at, channel, external_ref,
              caller_masked)
            SELECT :id, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :crs, true, ec.code, :descr,
              :me, :cell, :area, :comm, :street, :district, ec.department_id,
              COALESCE(CAST(:deadline AS timestamptz),
                       now() + ec.deadline_hours * interval '1 hour'),
              :channel, :ref, :masked
            FROM event_category ec WHERE ec.code = :cat AND ec.is_active
            RETURNING id, street_id, district_id
            """
        ),
        {
            "id": case.id,
            "lon": case.lon,
            "lat": case.lat,
            "crs": case.crs,
            "descr": case.description,
            "me": me.id,
            "cell": p["grid_cell_id"],
            "area": p["residential_area_id"],
            "comm": p["community_id"],
            "street": p["street_id"],
            "district": p["district_id"],
            "deadline": case.deadline_at,
            "channel": case.channel,
            "ref": case.external_ref,
            "masked": case.caller_masked,
            "cat": case.category,
        },  # fmt: skip
    ).first()
    if created is None:
        return False
    session.execute(
        text(
            "INSERT INTO report_event (report_id, from_status, to_status, actor_id, note,"
            " street_id, district_id) VALUES (:id, NULL, 'reported', :me, :note, :s, :d)"
        ),
        {
            "id": case.id,
            "me": me.id,
            "s": created.street_id,
            "d": created.district_id,
            "note": _intake_note(case),
        },  # fmt: skip
    )
    if case.caller_name or case.caller_phone:
        session.execute(
            text(
                "INSERT INTO report_contact (report_id, caller_name, caller_phone)"
                " VALUES (:id, :name, :phone)"
            ),
            {"id": case.id, "name": case.caller_name, "phone": case.caller_phone},
        )
    return True


def _intake_note(case: NewCase) -> str:
    note = f"登记来源：{CHANNELS[case.channel]}"
    return note + (f"，工单号 {case.external_ref}" if case.external_ref else "")


def known_refs(session: Session, district_id: int, refs: list[str]) -> set[str]:
    """Which of these hotline order numbers the district already has."""
    if not refs:
        return set()
    rows = session.execute(
        text(
            "SELECT external_ref FROM report WHERE district_id = :d"
            " AND external_ref = ANY(CAST(:refs AS text[]))"
        ),
        {"d": district_id, "refs": refs},
    ).scalars()
    return set(rows)


def read_contact(session: Session, report_id: uuid.UUID) -> dict[str, Any] | None:
    """The caller's name and phone (row-level security answers only handling roles)."""
    row = session.execute(
        text("SELECT caller_name, caller_phone FROM report_contact WHERE report_id = :id"),
        {"id": report_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None
