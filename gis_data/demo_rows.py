"""COPY the generated demo city into the database, table by table, wiring foreign keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

import numpy as np
import psycopg
import shapely

from gis_data import pgcopy as pc
from gis_data.demo_attrs import AreaAttributes
from gis_data.demo_city import Territory
from gis_data.demo_patrols import Patrol
from gis_data.demo_people import Assignment, DemoUser
from gis_data.demo_reports import STATUSES, Catalogue, Reports

Advance = Callable[[int], None] | None
_NOTES = {
    "reported": "网格员上报",
    "accepted": "社区已受理",
    "rejected": "重复上报，不予受理",
    "dispatched": "街道派遣至职能部门",
    "in_progress": "部门已接单处置",
    "handled": "已处置完毕，上传处置照片",
    "verified": "网格员现场核查通过",
    "closed": "结案销号",
}


def copy_territory(cur: psycopg.Cursor, t: Territory) -> dict[str, dict[str, int]]:
    """District, streets and communities; returns code -> id maps."""
    pc.copy_columns(
        cur,
        "district",
        {"code": [t.district_code], "name": [t.district_name], "geom": pc.ewkb([t.district])},
    )
    district = pc.id_map(cur, "district", "code")
    d_id = str(district[t.district_code])
    pc.copy_columns(
        cur,
        "street",
        {
            "code": [s[0] for s in t.streets],
            "name": pc.text(s[1] for s in t.streets),
            "district_id": [d_id] * len(t.streets),
            "geom": pc.ewkb([s[2] for s in t.streets]),
        },
    )
    street = pc.id_map(cur, "street", "code")
    pc.copy_columns(
        cur,
        "community",
        {
            "code": [c[0] for c in t.communities],
            "name": pc.text(c[1] for c in t.communities),
            "street_id": [str(street[c[2]]) for c in t.communities],
            "geom": pc.ewkb([c[3] for c in t.communities]),
        },
    )
    return {
        "district": district,
        "street": street,
        "community": pc.id_map(cur, "community", "code"),
    }


def copy_areas(
    cur: psycopg.Cursor,
    t: Territory,
    attrs: list[AreaAttributes],
    companies: list[tuple[str, str, str]],
    ids: dict[str, dict[str, int]],
) -> None:
    """Property companies, 小区 and grid cells."""
    pc.copy_columns(
        cur,
        "property_company",
        {
            "name": pc.text(c[0] for c in companies),
            "credit_grade": [c[1] for c in companies],
            "list_status": [c[2] for c in companies],
        },
    )
    company = pc.id_map(cur, "property_company", "name")
    company_ids = [company[c[0]] for c in companies]
    vals = [a.values for a in attrs]

    def col(name: str) -> list[str]:
        return pc.text(v[name] for v in vals)

    cols = {
        "code": [a[0] for a in t.areas],
        "name": pc.text(a[1] for a in t.areas),
        "community_id": [str(ids["community"][a[2]]) for a in t.areas],
        "geom": pc.ewkb([a[3] for a in t.areas]),
        "property_company_id": pc.text(
            None if v["property_company"] is None else company_ids[cast(int, v["property_company"])]
            for v in vals
        ),
        "renovation_items": pc.array(v["renovation_items"] for v in vals),  # type: ignore[misc]
        "updated_at": pc.timestamps(
            np.array([a.updated_at.replace(tzinfo=None) for a in attrs], dtype="datetime64[s]")
        ),
    }
    for name in (
        "households",
        "buildings",
        "build_year",
        "property_service_mode",
        "owners_committee_status",
        "owners_committee_party_share",
        "party_org_status",
        "renovation_eligible",
        "renovation_status",
        "renovation_planned_year",
        "has_property_office",
        "maintenance_fund_ratio",
    ):
        cols[name] = col(name)
    pc.copy_columns(cur, "residential_area", cols)
    ids["residential_area"] = pc.id_map(cur, "residential_area", "code")
    hh = {a[0]: cast(int, v["households"]) for a, v in zip(t.areas, vals, strict=True)}
    pc.copy_columns(
        cur,
        "grid_cell",
        {
            "code": [c[0] for c in t.cells],
            "community_id": [str(ids["community"][c[1]]) for c in t.cells],
            "geom": pc.ewkb([c[2] for c in t.cells]),
            "households": [str(sum(hh[a] for a in c[3])) for c in t.cells],
        },
    )
    ids["grid_cell"] = pc.id_map(cur, "grid_cell", "code")


def copy_users(
    cur: psycopg.Cursor,
    t: Territory,
    users: list[DemoUser],
    assignments: list[Assignment],
    password_hash: str,
    ids: dict[str, dict[str, int]],
) -> None:
    """Accounts (district-wide unless a street or community is given) and grid assignments."""
    cur.execute("SELECT code, id FROM department")
    dept: dict[str, int] = dict(cur.fetchall())
    d_id = ids["district"][t.district_code]
    pc.copy_columns(
        cur,
        "app_user",
        {
            "username": [u.username for u in users],
            "display_name": pc.text(u.display_name for u in users),
            "password_hash": [password_hash] * len(users),
            "role": [u.role for u in users],
            "district_id": [str(d_id)] * len(users),
            "street_id": pc.text(ids["street"].get(u.street_code or "") for u in users),
            "community_id": pc.text(ids["community"].get(u.community_code or "") for u in users),
            "department_id": pc.text(dept.get(u.department_code or "") for u in users),
        },
    )
    ids["app_user"] = pc.id_map(cur, "app_user", "username")
    pc.copy_columns(
        cur,
        "grid_assignment",
        {
            "worker_id": [str(ids["app_user"][a.username]) for a in assignments],
            "cell_id": [str(ids["grid_cell"][a.cell_code]) for a in assignments],
            "is_primary": pc.text(a.is_primary for a in assignments),
            "valid_from": [a.valid_from.isoformat() for a in assignments],
            "valid_to": pc.text(
                a.valid_to.isoformat() if a.valid_to else None for a in assignments
            ),
        },
    )


def copy_changes(
    cur: psycopg.Cursor,
    t: Territory,
    attrs: list[AreaAttributes],
    ids: dict[str, dict[str, int]],
    staff: dict[str, str],
) -> int:
    """The 小区 attribute history (who changed what, when)."""
    rows = [(t.areas[i][0], t.areas[i][2], *ch) for i, a in enumerate(attrs) for ch in a.changes]
    rows.sort(key=lambda r: r[5])
    return pc.copy_columns(
        cur,
        "residential_area_change",
        {
            "residential_area_id": [str(ids["residential_area"][r[0]]) for r in rows],
            "attribute": [r[2] for r in rows],
            "old_value": pc.text(r[3] for r in rows),
            "new_value": pc.text(r[4] for r in rows),
            "changed_by": [str(ids["app_user"][staff[r[1]]]) for r in rows],
            "changed_at": pc.timestamps(
                np.array([r[5].replace(tzinfo=None) for r in rows], dtype="datetime64[s]")
            ),
        },
    )


def _hierarchy(t: Territory, ids: dict[str, dict[str, int]]) -> dict[str, np.ndarray]:
    """Per cell index: the ids of the cell, its community, street and district."""
    d = ids["district"][t.district_code]
    return {
        "grid_cell_id": np.array([ids["grid_cell"][c[0]] for c in t.cells]),
        "community_id": np.array([ids["community"][c[1]] for c in t.cells]),
        "street_id": np.array([ids["street"][c[1][:9]] for c in t.cells]),
        "district_id": np.full(len(t.cells), d),
    }


def copy_patrols(
    cur: psycopg.Cursor,
    t: Territory,
    patrols: list[Patrol],
    workers: dict[int, str],
    ids: dict[str, dict[str, int]],
) -> int:
    """Patrol tracks with the cell hierarchy resolved; `workers` maps cell index -> username."""
    h = _hierarchy(t, ids)
    cells = np.array([p.cell for p in patrols], dtype=np.int64)
    ended = np.array([p.ended for p in patrols], dtype="datetime64[s]")
    started = np.array([p.started for p in patrols], dtype="datetime64[s]")
    cols = {
        "id": [p.id for p in patrols],
        "worker_id": [str(ids["app_user"][workers[p.cell]]) for p in patrols],
        **{k: [str(x) for x in v[cells]] for k, v in h.items()},
        "started_at": pc.timestamps(started),
        "ended_at": pc.timestamps(ended),
        "geom": pc.ewkb([p.track for p in patrols]),
        "track_accuracy_m": pc.array(p.accuracy for p in patrols),
        "checklist": pc.text(json.dumps(p.checklist) for p in patrols),
        "note": pc.text(p.note for p in patrols),
        "created_at": pc.timestamps(np.where(np.isnat(ended), started, ended)),
    }
    return pc.copy_columns(cur, "patrol", cols)


def copy_reports(
    cur: psycopg.Cursor,
    t: Territory,
    r: Reports,
    cat: Catalogue,
    actors: dict[str, np.ndarray],
    ids: dict[str, dict[str, int]],
    advance: Advance = None,
) -> int:
    """Reports and their history; `actors` holds user ids per report for each kind of actor."""
    h = _hierarchy(t, ids)
    cur.execute("SELECT code, id FROM department")
    dept: dict[str, int] = dict(cur.fetchall())
    dept_ids = np.array([dept[d] for d in cat.departments])[r.category]
    area_ids = np.array([ids["residential_area"][a[0]] for a in t.areas] + [0])[r.area]
    n = len(r.ids)
    cols = {
        "id": r.ids,
        "geom": pc.ewkb(np.asarray(shapely.points(r.xy))),
        "accuracy_m": [str(a) for a in r.accuracy],
        "coordinate_system": ["wgs84"] * n,
        "placed_by_hand": pc.text(r.by_hand.tolist()),
        "category_code": [cat.codes[c] for c in r.category],
        "description": pc.text(r.descriptions),
        "status": [STATUSES[s] for s in r.status],
        "reporter_id": [str(x) for x in actors["reporter"]],
        **{k: [str(x) for x in v[r.cell]] for k, v in h.items()},
        "residential_area_id": [
            pc.NULL if a < 0 else str(x) for a, x in zip(r.area, area_ids, strict=True)
        ],
        "department_id": [str(x) for x in dept_ids],
        "deadline_at": pc.timestamps(r.deadline),
        "escalation_level": [("community", "street", "district")[e] for e in r.escalation],
        "created_at": pc.timestamps(r.created),
        "updated_at": pc.timestamps(r.updated),
        "closed_at": pc.timestamps(r.closed),
    }
    pc.copy_columns(cur, "report", cols, advance)
    return _copy_events(cur, r, h, actors, advance)


def _copy_events(
    cur: psycopg.Cursor,
    r: Reports,
    h: dict[str, np.ndarray],
    actors: dict[str, np.ndarray],
    advance: Advance,
) -> int:
    rep = r.ev_report
    by_status = {
        "reported": "reporter",
        "verified": "reporter",
        "accepted": "staff",
        "rejected": "staff",
        "closed": "staff",
        "dispatched": "street",
        "in_progress": "department",
        "handled": "department",
    }
    actor = np.zeros(len(rep), dtype=np.int64)
    for i, s in enumerate(STATUSES):
        mask = r.ev_to == i
        actor[mask] = actors[by_status[s]][rep[mask]]
    ids = np.array(r.ids, dtype=object)
    cols = {
        "report_id": ids[rep].tolist(),
        "from_status": [pc.NULL if f < 0 else STATUSES[f] for f in r.ev_from],
        "to_status": [STATUSES[x] for x in r.ev_to],
        "actor_id": [str(a) for a in actor],
        "note": [_NOTES[STATUSES[x]] for x in r.ev_to],
        "street_id": [str(x) for x in h["street_id"][r.cell[rep]]],
        "district_id": [str(x) for x in h["district_id"][r.cell[rep]]],
        "created_at": pc.timestamps(r.ev_at),
    }
    return pc.copy_columns(cur, "report_event", cols, advance)
