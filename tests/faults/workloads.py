"""What the fault test sends: report filings with client UUIDs, or, before that route
exists, logins (each one a write: a stored token) — the same harness, a different write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from tests.conftest import TestDatabase


@dataclass(frozen=True)
class Item:
    key: str
    method: str
    path: str
    request: dict[str, Any]


class ReportFilings:
    """POST /api/reports with a client UUID; a retry re-sends the identical body."""

    name = "report filings (POST /api/reports)"
    acked_statuses = (200, 201)

    def __init__(self, db: TestDatabase, headers: dict[str, str], count: int, clients: int):
        self.db, self.headers, self.count, self.clients = db, headers, count, clients
        self.run_tag = f"fault-run-{uuid.uuid4().hex[:8]}"
        with psycopg.connect(db.libpq()) as conn:
            self.category = conn.execute(
                "SELECT code FROM event_category WHERE is_active ORDER BY code LIMIT 1"
            ).fetchone()[0]  # type: ignore[index]
            x, y = conn.execute(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) p"
                " FROM grid_cell g JOIN app_user u ON u.community_id = g.community_id"
                " WHERE u.username = 'worker1' LIMIT 1) s"
            ).fetchone()  # type: ignore[misc]
        self.point = [float(x), float(y)]

    def items(self) -> list[Item]:
        out = []
        for n in range(self.count):
            key = str(uuid.uuid4())
            body = {
                "id": key,
                "category": self.category,
                "location": {"type": "Point", "coordinates": self.point},
                "crs": "wgs84",
                "accuracy_m": 6.0,
                "placed_by_hand": False,
                "description": f"{self.run_tag} #{n}",
            }
            out.append(Item(key, "POST", "/api/reports", {"json": body, "headers": self.headers}))
        return out

    def verify(self, acked: set[str]) -> dict[str, int]:
        """Acknowledged-but-missing and duplicated records, straight from the database."""
        with psycopg.connect(self.db.libpq()) as conn:
            found = conn.execute(
                "SELECT count(*) FROM report WHERE id = ANY(%s::uuid[])", (list(acked),)
            ).fetchone()[0]  # type: ignore[index]
            stored, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT description) FROM report"
                " WHERE description LIKE %s",
                (f"{self.run_tag} #%",),
            ).fetchone()  # type: ignore[misc]
        return {
            "acknowledged": len(acked),
            "acknowledged_found": int(found),
            "lost": len(acked) - int(found),
            "stored": int(stored),
            "duplicates": int(stored) - int(distinct),
        }


class Logins:
    """POST /api/auth/token: each 200 is a token the server promised to remember."""

    name = "logins (POST /api/auth/token), until POST /api/reports exists"
    acked_statuses = (200,)

    def __init__(self, count: int, clients: int):
        self.count, self.clients = count, clients
        self.tokens: dict[str, str] = {}

    def items(self) -> list[Item]:
        form = {"data": {"username": "worker1", "password": "demo"}}
        return [Item(str(uuid.uuid4()), "POST", "/api/auth/token", form) for _ in range(self.count)]

    def remember(self, item: Item, response: httpx.Response) -> None:
        self.tokens[item.key] = response.json()["access_token"]

    def verify_over_http(self, base_url: str, acked: set[str]) -> dict[str, int]:
        lost = 0
        with httpx.Client(base_url=base_url, timeout=10) as http:
            for key in acked:
                token = self.tokens[key]
                r = http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
                lost += r.status_code != 200
        return {
            "acknowledged": len(acked),
            "acknowledged_found": len(acked) - lost,
            "lost": lost,
            "stored": len(acked) - lost,
            "duplicates": 0,
        }
