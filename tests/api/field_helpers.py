"""Helpers for the field-reporting tests: positions inside the demo city, filing bodies."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, text


def points_in_community_of(engine: Engine, username: str, n: int, seed: int) -> list[tuple]:
    """`n` random points inside the grid cells of `username`'s community (owner connection)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(d.geom), ST_Y(d.geom) FROM ("
                " SELECT (ST_Dump(ST_GeneratePoints(ST_Union(gc.geom), :n, :seed))).geom"
                " FROM grid_cell gc JOIN app_user u ON u.community_id = gc.community_id"
                " WHERE u.username = :u AND gc.is_active) d"
            ),
            {"n": n, "seed": seed, "u": username},
        ).all()
    return [(float(x), float(y)) for x, y in rows]


def report_body(lon: float, lat: float, category: str = "improper_waste", **extra: Any) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "category": category,
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "crs": "wgs84",
        "accuracy_m": 8.5,
        "placed_by_hand": False,
        "description": "楼道堆放杂物",
    }
    body.update(extra)
    return body
