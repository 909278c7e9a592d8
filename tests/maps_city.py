"""A small city of our own for the map and statistics tests (district 419906, far from the demo).

Two streets × two communities × two grid cells, three 小区 per community with every coverage
state represented, users at each level, reports (some overdue, some with hostile text),
patrols and attribute history. Built once per session and committed, with fresh codes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, text

from service.domain.passwords import hash_password

DISTRICT_CODE = "419906"
X0, Y0 = 100.0, 30.0  # south-west corner of the district (lon, lat)
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
MODES = ("professional", "quasi", "none")
PARTY = ("own_branch", "none", "joint_branch")
COMMITTEE = ("established", "none", "interim_committee")
RENOVATION = ("completed", "planned", "in_progress")


@dataclass
class City:
    district_id: int = 0
    street_ids: list[int] = field(default_factory=list)
    community_ids: list[int] = field(default_factory=list)
    cell_ids: list[int] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    hostile_report_id: str = ""


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"SRID=4326;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def _insert(conn: Connection, sql: str, **params: object) -> int:
    return int(conn.execute(text(sql + " RETURNING id"), params).scalar_one())


def build_city(conn: Connection) -> City:
    """Insert the whole city through `conn` (caller commits)."""
    city = City()
    city.district_id = _insert(
        conn,
        "INSERT INTO district (code, name, geom) VALUES (:c, '测试六区', :g)",
        c=DISTRICT_CODE,
        g=_box(X0, Y0, X0 + 0.04, Y0 + 0.02),
    )
    for s in range(2):
        sid = _insert(
            conn,
            "INSERT INTO street (code, name, district_id, geom) VALUES (:c, :n, :d, :g)",
            c=f"{DISTRICT_CODE}{s + 1:03d}",
            n=f"测试街道{s + 1}",
            d=city.district_id,
            g=_box(X0 + 0.02 * s, Y0, X0 + 0.02 * (s + 1), Y0 + 0.02),
        )
        city.street_ids.append(sid)
        for k in range(2):
            _add_community(conn, city, sid, s, k)
    _add_users(conn, city)
    _add_reports_and_patrols(conn, city)
    return city


def _add_community(conn: Connection, city: City, sid: int, s: int, k: int) -> None:
    x = X0 + 0.02 * s + 0.01 * k
    code = f"{DISTRICT_CODE}{s + 1:03d}{k + 1:03d}"
    cid = _insert(
        conn,
        "INSERT INTO community (code, name, street_id, geom) VALUES (:c, :n, :s, :g)",
        c=code,
        n=f"测试社区{s + 1}-{k + 1}",
        s=sid,
        g=_box(x, Y0, x + 0.01, Y0 + 0.02),
    )
    city.community_ids.append(cid)
    for j in range(2):
        city.cell_ids.append(
            _insert(
                conn,
                "INSERT INTO grid_cell (code, community_id, geom, households)"
                " VALUES (:c, :cid, :g, 300)",
                c=f"{code}{j + 1:03d}",
                cid=cid,
                g=_box(x, Y0 + 0.01 * j, x + 0.01, Y0 + 0.01 * (j + 1)),
            )
        )
    n = len(city.community_ids)
    for j in range(3):
        i = n + j  # varies the pattern between communities
        y = Y0 + 0.002 + 0.006 * j
        city.area_ids.append(
            _insert(
                conn,
                "INSERT INTO residential_area (code, name, community_id, geom, households,"
                " buildings, build_year, property_service_mode, party_org_status,"
                " owners_committee_status, renovation_status, renovation_planned_year)"
                " VALUES (:c, :n, :cid, :g, :hh, 4, :by, :m, :p, :o, :r, :py)",
                c=f"{code}R{j + 1:03d}",
                n=f"小区{s + 1}{k + 1}{j + 1}" if j else "<b>加粗小区</b>",
                cid=cid,
                g=_box(x + 0.002, y, x + 0.008, y + 0.004),
                hh=100 * (j + 1) + 10 * n,
                by=(1990, 2003, 2012)[(i + k) % 3],
                m=MODES[i % 3],
                p=PARTY[(i + s) % 3],
                o=COMMITTEE[(i + 2 * k) % 3],
                r=RENOVATION[i % 3],
                py=2027 if RENOVATION[i % 3] == "planned" else None,
            )
        )


def _add_users(conn: Connection, city: City) -> None:
    pw = hash_password("demo")
    specs = [
        ("m6-district", "district_bureau", None, None, None),
        ("m6-street1", "street_office", city.street_ids[0], None, None),
        ("m6-street2", "street_office", city.street_ids[1], None, None),
        ("m6-community", "community_staff", None, city.community_ids[0], None),
        ("m6-worker", "grid_worker", None, city.community_ids[0], None),
    ]
    fire = conn.execute(text("SELECT id FROM department WHERE code = 'fire_rescue'")).scalar()
    specs.append(("m6-fire", "department", None, None, fire))
    for name, role, street, community, dept in specs:
        city.users[name] = _insert(
            conn,
            "INSERT INTO app_user (username, display_name, password_hash, role, district_id,"
            " street_id, community_id, department_id) VALUES (:u, :dn, :pw, :r, :d, :s, :c, :dep)",
            u=name,
            dn=f"{name}<i>员</i>",
            pw=pw,
            r=role,
            d=city.district_id,
            s=street,
            c=community,
            dep=dept,
        )
    for cell in city.cell_ids[:2]:
        conn.execute(
            text(
                "INSERT INTO grid_assignment (worker_id, cell_id, is_primary) VALUES (:w, :c, true)"
            ),
            {"w": city.users["m6-worker"], "c": cell},
        )


def _add_reports_and_patrols(conn: Connection, city: City) -> None:
    now = datetime.now(UTC)
    cats = conn.execute(
        text("SELECT code, department_id FROM event_category ORDER BY code LIMIT 4")
    ).all()
    fire = conn.execute(
        text(
            "SELECT e.code, e.department_id FROM event_category e JOIN department d"
            " ON d.id = e.department_id WHERE d.code = 'fire_rescue' LIMIT 1"
        )
    ).one()
    statuses = ("reported", "dispatched", "closed", "in_progress", "rejected")
    for n, cell in enumerate(city.cell_ids):
        community = city.community_ids[n // 2]
        street = city.street_ids[n // 4]
        x = X0 + 0.01 * (n // 2) + 0.005
        y = Y0 + 0.01 * (n % 2) + 0.003
        for m in range(3):
            cat, dept = fire if m == 0 else cats[(n + m) % len(cats)]
            rid = str(uuid.uuid4())
            description = HOSTILE if n == 0 and m == 0 else f"事件{n}-{m}"
            if description == HOSTILE:
                city.hostile_report_id = rid
            conn.execute(
                text(
                    "INSERT INTO report (id, geom, category_code, description, status,"
                    " reporter_id, grid_cell_id, residential_area_id, community_id, street_id,"
                    " district_id, department_id, deadline_at)"
                    " VALUES (:id, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :cat, :desc, :st,"
                    " :rep, :cell, :area, :c, :s, :d, :dep, :dl)"
                ),
                {
                    "id": rid,
                    "x": x + 0.001 * m,
                    "y": y,
                    "cat": cat,
                    "desc": description,
                    "st": statuses[(n + m) % len(statuses)],
                    "rep": city.users["m6-worker"],
                    "cell": cell,
                    "area": city.area_ids[3 * (n // 2)] if n % 2 == 0 else None,
                    "c": community,
                    "s": street,
                    "d": city.district_id,
                    "dep": dept,
                    "dl": now + timedelta(days=(-2 if m != 1 else 3)),
                },
            )
        if n % 4 != 3:  # every fourth cell was never patrolled
            conn.execute(
                text(
                    "INSERT INTO patrol (id, worker_id, grid_cell_id, community_id, street_id,"
                    " district_id, started_at, ended_at) VALUES (:id, :w, :cell, :c, :s, :d,"
                    " :t, :t)"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "w": city.users["m6-worker"],
                    "cell": cell,
                    "c": community,
                    "s": street,
                    "d": city.district_id,
                    "t": now - timedelta(days=2 * n),
                },
            )
    _add_history(conn, city, now)


def _add_history(conn: Connection, city: City, now: datetime) -> None:
    """Two 小区 gained a party branch two months ago; one lost its property service last month.

    The dates are mid-month in calendar months before this one (not a number of days back), so
    every run, whatever the day of the month, puts them inside a 4-month trend window."""
    for area, attr, old, new, at in (
        (city.area_ids[0], "party_org_status", "none", None, _mid_month(now, 2, day=12)),
        (city.area_ids[4], "party_org_status", "none", None, _mid_month(now, 2, day=8)),
        (city.area_ids[2], "property_service_mode", "professional", None, _mid_month(now, 1)),
    ):
        current = conn.execute(
            text(f"SELECT {attr} FROM residential_area WHERE id = :id"), {"id": area}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO residential_area_change (residential_area_id, attribute, old_value,"
                " new_value, changed_at) VALUES (:a, :attr, :old, :new, :at)"
            ),
            {
                "a": area,
                "attr": attr,
                "old": old,
                "new": new or current,
                "at": at,
            },
        )


def _mid_month(now: datetime, months_back: int, day: int = 15) -> datetime:
    """Noon UTC on `day` of the calendar month `months_back` months before `now`'s."""
    index = now.year * 12 + now.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, day, 12, tzinfo=UTC)
