"""The case-handling queues: which reports each queue holds, who has which queues, and the
keyset cursor that pages them (pure: no SQL, no FastAPI)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from service.domain.vocabulary import AWAITING_HANDLING, CLOSED_STATUSES, OPEN_STATUSES
from service.errors import QueueRefused

# Every status a queue over open work reads: the open ones; the partial indexes of migration
# 015_cases hold exactly these rows (verified ones wait for 销号).
CASE_STATUSES: Final = OPEN_STATUSES
FINISHED_STATUSES: Final = CLOSED_STATUSES
# Past its deadline while still someone's to act on (the statuses escalation reads).
OVERDUE_STATUSES: Final = AWAITING_HANDLING


@dataclass(frozen=True)
class Queue:
    name: str
    label_zh: str
    statuses: tuple[str, ...]
    sort: str = "deadline"  # deadline ascending; "closed" / "updated": newest first
    overdue: bool = False
    escalated: bool = False


QUEUES: Final[dict[str, Queue]] = {
    q.name: q
    for q in (
        Queue("accept", "待受理", ("reported",)),
        Queue("dispatch", "待派遣", ("accepted",)),
        Queue("handling", "处置中", ("dispatched", "in_progress")),
        Queue("verify", "待核查", ("handled",)),
        Queue("close", "待销号", ("verified",)),
        Queue("overdue", "已超期", OVERDUE_STATUSES, overdue=True),
        Queue("escalated", "已升级", OVERDUE_STATUSES, escalated=True),
        Queue("finished", "已办结", FINISHED_STATUSES, sort="closed"),
        Queue("mine", "我的上报", CASE_STATUSES + FINISHED_STATUSES, sort="updated"),
    )
}
_TRIAGE_QUEUES = ("accept", "dispatch", "handling", "verify", "close", "overdue")
ROLE_QUEUES: Final[dict[str, tuple[str, ...]]] = {
    "grid_worker": ("mine", "verify"),
    "community_staff": (*_TRIAGE_QUEUES, "finished"),
    "street_office": (*_TRIAGE_QUEUES, "escalated", "finished"),
    "district_bureau": (*_TRIAGE_QUEUES, "escalated", "finished"),
    "admin": (*_TRIAGE_QUEUES, "escalated", "finished"),
    # verify: what the department handled, waiting for the check on site
    "department": ("handling", "verify", "overdue", "finished"),
}
# The escalation level whose reports land in a role's 已升级 queue ("escalated to my level").
ESCALATION_LEVEL: Final = {
    "street_office": "street",
    "district_bureau": "district",
    "admin": "district",
}


def queue_for(role: str, name: str) -> Queue:
    """The queue `name` if the role has it, else QueueRefused."""
    if name not in QUEUES:
        raise QueueRefused(f"unknown queue {name!r}", f"未知队列「{name}」", "queue")
    if name not in ROLE_QUEUES.get(role, ()):
        raise QueueRefused(f"role {role} has no queue {name!r}", "无权查看此队列", "queue")
    return QUEUES[name]


@dataclass(frozen=True)
class Cursor:
    key: datetime
    id: uuid.UUID


def encode_cursor(key: datetime, rid: uuid.UUID) -> str:
    """An opaque cursor for the row after which the next page starts."""
    raw = json.dumps([key.isoformat(), str(rid)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The position a cursor names, or QueueRefused for anything not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key, rid = json.loads(raw)
        when = datetime.fromisoformat(key)
        if when.tzinfo is None:
            raise ValueError("naive time")
        return Cursor(when, uuid.UUID(rid))
    except (ValueError, TypeError, json.JSONDecodeError):
        raise QueueRefused("cursor is not valid", "分页游标无效", "cursor") from None


def time_left_s(deadline: datetime, now: datetime) -> int:
    """Seconds until the deadline (negative: overdue by that much)."""
    return int((deadline - now).total_seconds())
