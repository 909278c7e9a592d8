"""Matrix cases for joint meetings (联席会议): one community meeting per target, attended by
fire and rescue (the matrix department), with an overdue decision for the board and one the
department owns for the done mark.

Imported by tests/api/authz_cases.py (which registers them through `case`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from sqlalchemy import text

from tests.api.authz_cases import Ctx, case

_MEETINGS: dict[str, dict[str, int]] = {}


def _meeting(ctx: Ctx, target: str) -> dict[str, int]:
    """The target's meeting id and its two items (built once, as the owner)."""
    if target not in _MEETINGS:
        area = ctx.world.areas[target]
        with ctx.owner.begin() as conn:
            mid = conn.execute(
                text(
                    "INSERT INTO joint_meeting (district_id, street_id, community_id, kind,"
                    " held_on, title, participants, created_by) VALUES (:d, :s, :c,"
                    " 'community', current_date - 20, :title, ARRAY['fire_rescue'], :me)"
                    " RETURNING id"
                ),
                {
                    "d": area.district_id,
                    "s": area.street_id,
                    "c": area.community_id,
                    "title": f"矩阵会议-{target}",
                    "me": ctx.world.users["mx_admin"],
                },  # fmt: skip
            ).scalar_one()
            items = {}
            for key, due in (("overdue", 5), ("done", 1)):
                items[key] = conn.execute(
                    text(
                        "INSERT INTO meeting_item (meeting_id, topic, owner_department, due_on,"
                        " created_by) VALUES (:m, :topic, 'fire_rescue', current_date - :due,"
                        " :me) RETURNING id"
                    ),
                    {
                        "m": mid,
                        "topic": f"矩阵议题-{key}",
                        "due": due,
                        "me": ctx.world.users["mx_admin"],
                    },  # fmt: skip
                ).scalar_one()
        _MEETINGS[target] = {"id": int(mid), **{k: int(v) for k, v in items.items()}}
    return _MEETINGS[target]


def _meeting_id(ctx: Ctx, target: str) -> int:
    return _meeting(ctx, target)["id"]


def _overdue_id(ctx: Ctx, target: str) -> int:
    return _meeting(ctx, target)["overdue"]


def _title(ctx: Ctx, target: str) -> str:
    _meeting(ctx, target)
    return f"矩阵会议-{target}"


def _ids(r: httpx.Response) -> set[Any]:
    return {m["id"] for m in r.json()}


def _overdue_ids(r: httpx.Response) -> set[Any]:
    return {i["id"] for i in r.json()["overdue"]}


def _csv_titles(r: httpx.Response) -> set[Any]:
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return {row[4] for row in rows[1:]}


@case("GET", "/api/meetings", "list", target_id=_meeting_id, listed_ids=_ids)
def _list(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _meeting(ctx, target)
    return ctx.client.get("/api/meetings", params={"limit": 500}, headers=ctx.headers(role))


@case("GET", "/api/meetings/board", "list", target_id=_overdue_id, listed_ids=_overdue_ids)
def _board(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _meeting(ctx, target)
    return ctx.client.get("/api/meetings/board", headers=ctx.headers(role))


@case("GET", "/api/meetings/export.csv", "list", target_id=_title, listed_ids=_csv_titles)
def _export(ctx: Ctx, role: str, target: str) -> httpx.Response:
    _meeting(ctx, target)
    return ctx.client.get("/api/meetings/export.csv", headers=ctx.headers(role))


@case("GET", "/api/meetings/{meeting_id}", "object")
def _read(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get(f"/api/meetings/{_meeting_id(ctx, target)}", headers=ctx.headers(role))


@case("POST", "/api/meetings/{meeting_id}/items", "object")
def _add_item(ctx: Ctx, role: str, target: str) -> httpx.Response:
    path = f"/api/meetings/{_meeting_id(ctx, target)}/items"
    return ctx.client.post(path, json={"topic": "矩阵新议题"}, headers=ctx.headers(role))


@case("POST", "/api/meetings/items/{item_id}/done", "object")
def _done(ctx: Ctx, role: str, target: str) -> httpx.Response:
    path = f"/api/meetings/items/{_meeting(ctx, target)['done']}/done"
    return ctx.client.post(path, json={"note": "矩阵办结"}, headers=ctx.headers(role))


@case("POST", "/api/meetings", "self")
def _create(ctx: Ctx, role: str, target: str) -> httpx.Response:
    body = {"kind": "community", "held_on": "2026-01-05", "title": "矩阵登记会议"}
    return ctx.client.post("/api/meetings", json=body, headers=ctx.headers(role))


@case("GET", "/meetings", "self")
def _page(ctx: Ctx, role: str, target: str) -> httpx.Response:
    return ctx.client.get("/meetings", headers=ctx.headers(role))
