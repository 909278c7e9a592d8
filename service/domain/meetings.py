"""Joint meetings (联席会议, 吹哨报到), pure: their kinds and cadence, when the next one is due,
and whether a decision's follow-up is overdue.

The seeds ask streets to hold a joint meeting every month and to meet the grid workers and
departments every quarter; communities meet as their matters need. The cadence of each kind is
a setting (months; 0 = as needed, never due).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

KINDS: Final = {
    "street_joint": "街道联席会议",
    "grid_quarterly": "网格员季度联席会议",
    "community": "社区联席会议",
}
# the kinds a street holds; a community holds its own kind
STREET_KINDS: Final = frozenset({"street_joint", "grid_quarterly"})
COMMUNITY_KINDS: Final = frozenset({"community"})


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


@dataclass(frozen=True, slots=True)
class Cadence:
    """Where a unit stands against its meeting cadence for one kind."""

    kind: str
    months: int
    last_held: date | None
    next_due: date | None  # None when the kind has no cadence
    overdue: bool


def cadence(kind: str, months: int, last_held: date | None, today: date) -> Cadence:
    """The next meeting of `kind` is due `months` after the last one (today if none was ever
    held); overdue once that day has passed. months = 0: as needed, never due."""
    if months <= 0:
        return Cadence(kind, months, last_held, None, False)
    due = add_months(last_held, months) if last_held else today
    return Cadence(kind, months, last_held, due, due < today)


def decision_overdue(due_on: date | None, done: bool, today: date) -> bool:
    """A decision still open after its follow-up day."""
    return due_on is not None and not done and due_on < today


class MeetingRefused(ValueError):
    """A meeting or agenda item that cannot be recorded; `field` names what is wrong."""

    def __init__(self, field: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message_zh, self.message = field, message_zh, message


def check_kind(kind: str, community_level: bool) -> None:
    """A street holds street kinds, a community its own kind."""
    allowed = COMMUNITY_KINDS if community_level else STREET_KINDS
    if kind not in allowed:
        names = "、".join(KINDS[k] for k in sorted(allowed))
        raise MeetingRefused(
            "kind", f"此层级只能登记：{names}", f"kind must be one of {sorted(allowed)} here"
        )


def check_dates(held_on: date, today: date) -> None:
    """A meeting is recorded once held: not in the future."""
    if held_on > today:
        raise MeetingRefused("held_on", "会议日期不能晚于今天", "held_on is in the future")


def check_due(due_on: date | None, held_on: date) -> None:
    if due_on is not None and due_on < held_on:
        raise MeetingRefused("due_on", "办理期限不能早于会议日期", "due_on is before the meeting")
