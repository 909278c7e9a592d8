"""What an import is compared with, and writing its plan in one transaction."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.boundary_rules import ATTRIBUTES, Decision, Existing

# layer -> (table, parent table, parent fk column); identifiers from this allow-list only
TABLES: dict[str, tuple[str, str, str]] = {
    "streets": ("street", "district", "district_id"),
    "communities": ("community", "street", "street_id"),
    "residential_areas": ("residential_area", "community", "community_id"),
    "grid_cells": ("grid_cell", "community", "community_id"),
}


def _geom(wkb: bytes) -> BaseGeometry:
    return shapely.from_wkb(bytes(wkb))


def load_parents(session: Session, layer: str, prefix: str | None) -> dict[str, BaseGeometry]:
    """Parent code -> geometry (restricted to codes starting with `prefix`)."""
    _, parent, _ = TABLES[layer]
    rows = session.execute(
        text(f"SELECT code, ST_AsBinary(geom) FROM {parent} WHERE code LIKE :p"),  # noqa: S608
        {"p": (prefix or "") + "%"},
    )
    return {code: _geom(wkb) for code, wkb in rows}


def load_existing(session: Session, layer: str, prefix: str | None) -> dict[str, Existing]:
    """Current features of the layer (active grid cells only), by code."""
    table, parent, fk = TABLES[layer]
    attrs = ATTRIBUTES[layer]
    cols = ", ".join(f"t.{a}" for a in attrs)
    active = " AND t.is_active" if layer == "grid_cells" else ""
    sql = (
        f"SELECT t.code, p.code, ST_AsBinary(t.geom), {cols} FROM {table} t"  # noqa: S608
        f" JOIN {parent} p ON p.id = t.{fk} WHERE t.code LIKE :p{active}"
    )
    out = {}
    for code, parent_code, wkb, *values in session.execute(text(sql), {"p": (prefix or "") + "%"}):
        out[code] = Existing(code, parent_code, dict(zip(attrs, values, strict=True)), _geom(wkb))
    return out


def load_retired(session: Session, layer: str, prefix: str | None) -> dict[str, BaseGeometry]:
    """Retired grid cells by code (kept for history; their codes are never reused)."""
    if layer != "grid_cells":
        return {}
    rows = session.execute(
        text("SELECT code, ST_AsBinary(geom) FROM grid_cell WHERE NOT is_active AND code LIKE :p"),
        {"p": (prefix or "") + "%"},
    )
    return {code: _geom(wkb) for code, wkb in rows}


def community_ids(session: Session, codes: set[str]) -> list[int]:
    """Ids of the communities with these codes."""
    rows = session.execute(
        text("SELECT id FROM community WHERE code = ANY(:c) ORDER BY id"), {"c": sorted(codes)}
    )
    return list(rows.scalars())


def _params(d: Decision, layer: str) -> dict[str, Any]:
    f = d.feature
    assert f is not None and f.geom is not None
    params: dict[str, Any] = {"code": f.code, "wkb": shapely.to_wkb(f.geom)}
    for a in ATTRIBUTES[layer]:
        params[a] = f.attrs.get(a)
    return params


def apply_plan(session: Session, layer: str, decisions: list[Decision]) -> dict[str, int]:
    """Insert the added and update the changed features; the caller's transaction commits."""
    table, parent, fk = TABLES[layer]
    plen = {"streets": 6, "communities": 9}.get(layer, 12)
    geom_sql = "ST_Multi(ST_GeomFromWKB(:wkb, 4326))"
    done = {"added": 0, "changed": 0}
    for d in decisions:
        if d.action not in done:
            continue
        p = _params(d, layer)
        p["parent"] = d.code[:plen]
        attrs = [a for a in ATTRIBUTES[layer] if d.action == "added" or a in d.changed]
        attrs = [a for a in attrs if p[a] is not None or a == "build_year"]
        if d.action == "added":
            cols = ", ".join([fk, "code", "geom", *attrs])
            vals = ", ".join(
                [f"(SELECT id FROM {parent} WHERE code = :parent)", ":code", geom_sql]  # noqa: S608
                + [f":{a}" for a in attrs]
            )
            sql = f"INSERT INTO {table} ({cols}) VALUES ({vals})"  # noqa: S608
        else:
            sets = [f"{a} = :{a}" for a in attrs]
            if "geometry" in d.changed:
                sets.append(f"geom = {geom_sql}")
            sql = f"UPDATE {table} SET {', '.join(sets)} WHERE code = :code"  # noqa: S608
        session.execute(text(sql), p)
        done[d.action] += 1
    return done
