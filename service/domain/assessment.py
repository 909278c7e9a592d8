"""Quarterly assessment of property companies: score sheets, credit grades, lists (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

QUARTER_RE = re.compile(r"^([0-9]{4})Q([1-4])$")
GRADE_ZH: Final = {
    "A": "A级（优秀）",
    "B": "B级（良好）",
    "C": "C级（合格）",
    "D": "D级（重点监管）",
}
LIST_ZH: Final = {"red": "红榜", "black": "黑榜", "grey": "灰榜"}
# How the company-grade map layer and statistics class a 小区: its company's current grade,
# or, with no registered company, whether the record says 无物业 (none) or another mode
# (no_company: 单位自管, 业主自管, 准物业 … or a company not yet registered). In this order.
GRADE_CLASS_ZH: Final = {
    "A": "A级",
    "B": "B级",
    "C": "C级",
    "D": "D级（重点监管）",
    "no_company": "无物业企业（自管、准物业等）",
    "none": "无物业",
}


class ScoreError(ValueError):
    """A score sheet that cannot be accepted; `item` names the line."""

    def __init__(self, item: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.item, self.message_zh, self.message = item, message_zh, message


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    weight: Decimal


@dataclass(frozen=True)
class GradeFloors:
    a: float = 90.0
    b: float = 80.0
    c: float = 60.0


def quarter_of(day: date) -> str:
    """'2026Q4' for a day in October–December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def weighted_total(items: Iterable[Item], scores: Mapping[str, Any]) -> Decimal:
    """The sheet's total out of 100: the weighted mean of item scores (each 0–100).

    Every active item must be scored and nothing else; a score is a number 0–100.
    """
    items = list(items)
    known = {i.code for i in items}
    for code in scores:
        if code not in known:
            raise ScoreError(code, f"没有这个考核项目：{code[:40]}", f"unknown item {code[:40]!r}")
    total, weights = Decimal(0), Decimal(0)
    for item in items:
        if item.code not in scores:
            raise ScoreError(item.code, f"“{item.name_zh}”未评分", f"{item.code} not scored")
        value = _score(item, scores[item.code])
        total += value * item.weight
        weights += item.weight
    if weights == 0:
        raise ScoreError("", "没有启用的考核项目", "no active items")
    return (total / weights).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _score(item: Item, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ScoreError(item.code, f"“{item.name_zh}”的分数应为数字", f"{item.code}: not a number")
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise ScoreError(
            item.code, f"“{item.name_zh}”的分数应为数字", f"{item.code}: not a number"
        ) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ScoreError(
            item.code, f"“{item.name_zh}”的分数应在 0–100 之间", f"{item.code}: 0..100"
        )
    return value


def grade_for(score: Decimal | float, floors: GradeFloors) -> str:
    """The credit grade of a quarter's combined score."""
    value = float(score)
    if value >= floors.a:
        return "A"
    if value >= floors.b:
        return "B"
    if value >= floors.c:
        return "C"
    return "D"


def combine(sheets: Iterable[Mapping[str, Any]], floors: GradeFloors) -> list[dict[str, Any]]:
    """Per company: the mean of its 小区 totals for the quarter, grade and 1-based rank.

    Each 小区 it serves counts once, whichever community or street scored it, so a company
    with many 小区 is judged on all of them rather than on its best one.
    """
    by_company: dict[int, list[Decimal]] = {}
    for sheet in sheets:
        by_company.setdefault(int(sheet["company_id"]), []).append(Decimal(sheet["total"]))
    rows: list[dict[str, Any]] = []
    for company_id, totals in by_company.items():
        mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rows.append(
            {
                "company_id": company_id,
                "score": mean,
                "assessments": len(totals),
                "grade": grade_for(mean, floors),
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["company_id"]))
    previous: Decimal | None = None
    position = 0
    for index, row in enumerate(rows, start=1):
        if row["score"] != previous:
            position, previous = index, row["score"]
        row["rank"] = position
    return rows


def best_and_worst(graded: Sequence[Mapping[str, Any]], size: int) -> tuple[list[Any], list[Any]]:
    """十佳 and 十差: the `size` best and the `size` worst (worst first), never overlapping.

    With fewer than 2 × size companies graded, the better half is 十佳 and the rest 十差.
    """
    ordered = sorted(graded, key=lambda r: (r["rank"], r["company_id"]))
    best_n = min(size, (len(ordered) + 1) // 2)
    worst_n = min(size, len(ordered) - best_n)
    best = ordered[:best_n]
    worst = list(reversed(ordered))[:worst_n]
    return best, worst


def list_kind_for_grade(grade: str) -> str | None:
    """The list a quarter's grade puts a company on: A → red, D → black; else none."""
    return {"A": "red", "D": "black"}.get(grade)
