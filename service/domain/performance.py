"""Performance assessment of streets, communities and departments (pure): the period, the
rates from a unit's counts, the weighted score out of 100 and the ranking.

Figures are over the cohort of cases received (created) in the period. A rejected case
(duplicate or invalid) counts as received but in no rate. A case is overdue when it was closed
after its deadline, or is still open past its deadline at the end of the period (or now, for the
running period). Satisfaction is the share of 满意 and 基本满意 among the cohort's return visits
(the latest visit of each case).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

CHINA: Final = timezone(timedelta(hours=8))
PERIOD_RE: Final = re.compile(r"^([0-9]{4})(?:-([0-9]{2})|Q([1-4]))$")
# indicator → default weight; each indicator is 0–1, higher is better
DEFAULT_WEIGHTS: Final = {
    "on_time": 30.0,
    "satisfaction": 25.0,
    "speed": 10.0,
    "reopened": 15.0,
    "overdue": 15.0,
    "escalation": 5.0,
}
INDICATOR_ZH: Final = {
    "on_time": "按时办结率",
    "satisfaction": "满意率",
    "speed": "办理时效",
    "reopened": "未重办率",
    "overdue": "未超期率",
    "escalation": "未升级率",
}


class PeriodRefused(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(f"period {value[:20]!r} is neither YYYY-MM nor YYYYQn")
        self.message_zh = "考核期须为 YYYY-MM（月）或 YYYYQn（季度），如 2026-03、2026Q1"


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime  # exclusive


def parse_period(value: str) -> Period:
    """'2026-03' (a month) or '2026Q1' (a quarter), in China time."""
    found = PERIOD_RE.match(value.strip())
    if not found:
        raise PeriodRefused(value)
    year = int(found.group(1))
    if found.group(2):
        first, months = int(found.group(2)), 1
        if not 1 <= first <= 12:
            raise PeriodRefused(value)
    else:
        first, months = (int(found.group(3)) - 1) * 3 + 1, 3
    if not 2000 <= year <= 2100:
        raise PeriodRefused(value)
    start = datetime(year, first, 1, tzinfo=CHINA)
    last = first + months
    end = datetime(year + (last - 1) // 12, (last - 1) % 12 + 1, 1, tzinfo=CHINA)
    return Period(value.strip(), start, end)


def trend_labels(period: Period, count: int) -> list[str]:
    """The labels of the `count` periods of the same kind ending with `period`, oldest first
    ('2026Q4', 4 → 2026Q1 … 2026Q4; '2026-02', 3 → 2025-12, 2026-01, 2026-02)."""
    found = PERIOD_RE.match(period.label)
    if not found:
        raise PeriodRefused(period.label)
    year = int(found.group(1))
    if found.group(2):
        index, per_year, fmt = year * 12 + int(found.group(2)) - 1, 12, "{y}-{n:02d}"
    else:
        index, per_year, fmt = year * 4 + int(found.group(3)) - 1, 4, "{y}Q{n}"
    return [
        fmt.format(y=i // per_year, n=i % per_year + 1) for i in range(index - count + 1, index + 1)
    ]


@dataclass(frozen=True)
class Counts:
    received: int
    rejected: int
    closed: int
    on_time: int
    handling_hours: float | None  # mean over closed cases, report to 销号
    reopened: int
    visited: int
    satisfied: int
    overdue: int
    escalated: int


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def rates(c: Counts) -> dict[str, float | None]:
    """The rates the assessment shows (None where there is nothing to divide by)."""
    valid = c.received - c.rejected
    return {
        "on_time_rate": _share(c.on_time, c.closed),
        "reopened_rate": _share(c.reopened, valid),
        "satisfaction_rate": _share(c.satisfied, c.visited),
        "overdue_rate": _share(c.overdue, valid),
        "escalation_rate": _share(c.escalated, valid),
    }


def indicators(c: Counts, target_hours: float) -> dict[str, float | None]:
    """Each indicator 0–1, higher is better; None when the unit has nothing to measure it by."""
    r = rates(c)
    speed = None
    if c.handling_hours is not None:
        speed = 1.0 if c.handling_hours <= target_hours else target_hours / c.handling_hours

    def inverse(x: float | None) -> float | None:
        return None if x is None else 1.0 - x

    return {
        "on_time": r["on_time_rate"],
        "satisfaction": r["satisfaction_rate"],
        "speed": speed,
        "reopened": inverse(r["reopened_rate"]),
        "overdue": inverse(r["overdue_rate"]),
        "escalation": inverse(r["escalation_rate"]),
    }


def score(c: Counts, weights: Mapping[str, float], target_hours: float) -> float | None:
    """Weighted mean of the indicators that have a value, out of 100 (one decimal); None for a
    unit with no valid case. An indicator without a value gives its weight to the others."""
    found = indicators(c, target_hours)
    used = {k: w for k, w in weights.items() if w > 0 and found.get(k) is not None}
    total = sum(used.values())
    if c.received - c.rejected <= 0 or total <= 0:
        return None
    return round(100.0 * sum(w * (found[k] or 0.0) for k, w in used.items()) / total, 1)


def rank(scores: list[tuple[str, float | None]]) -> dict[str, int | None]:
    """Competition ranking (1, 2, 2, 4) by score, highest first; unscored units get None."""
    ordered = sorted(
        ((s, code) for code, s in scores if s is not None), key=lambda t: (-t[0], t[1])
    )
    out: dict[str, int | None] = {code: None for code, s in scores if s is None}
    place, previous = 0, None
    for i, (s, code) in enumerate(ordered, start=1):
        if s != previous:
            place, previous = i, s
        out[code] = place
    return out
