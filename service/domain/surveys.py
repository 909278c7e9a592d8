"""Resident satisfaction surveys per 小区 (pure): the questions, the answers and the rates.

A sheet answers four questions 满意 / 基本满意 / 不满意. The 小区's satisfaction rate for a
quarter is the share of sheets whose overall answer is 满意 or 基本满意 — the same rule as the
return visits (service/domain/residents.py). It is the score of the property company
assessment's "业主评价与满意度" item on that 小区's sheet for the quarter: 100 × rate, one
decimal (`settle_item`); staff may differ from it only with a reason, and score it by hand only
when nobody answered that quarter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from service.domain.assessment import Item, ScoreError, weighted_total
from service.domain.residents import SATISFIED, VISIT_RESULTS

ANSWERS: Final = VISIT_RESULTS  # satisfied / basically / dissatisfied → Chinese
QUESTIONS: Final = {
    "overall": "总体满意度",
    "property_service": "物业服务（维修、保洁、绿化）",
    "environment": "小区环境与公共设施",
    "safety": "安全与秩序（消防通道、门禁、停车）",
}
# the assessment item the surveys feed (migration 016's default score sheet)
FED_ITEM: Final = "owner_satisfaction"


@dataclass(frozen=True, slots=True)
class Tally:
    responses: int
    satisfied: int
    basically: int
    dissatisfied: int

    @property
    def rate(self) -> float | None:
        """Share of 满意 + 基本满意 overall answers; None without answers."""
        if self.responses == 0:
            return None
        return (self.satisfied + self.basically) / self.responses

    @property
    def suggested_score(self) -> float | None:
        """The 0–100 score the fed assessment item takes from these answers."""
        rate = self.rate
        return None if rate is None else round(rate * 100, 1)


@dataclass(frozen=True, slots=True)
class Settled:
    """The fed item's score on a sheet and where it came from (migration 026's columns)."""

    score: float
    basis: str  # surveys | override | manual
    responses: int
    survey_score: float | None
    reason: str


def settle_item(found: Tally, given: float | None, reason: str) -> Settled:
    """The owner-satisfaction score of a sheet from the quarter's answers of its 小区.

    With answers, the item is their score; a different score `given` by staff stands only with
    a reason. Without answers, staff score it by hand (a note is optional)."""
    reason = reason.strip()
    survey_score = found.suggested_score
    if survey_score is None:
        if given is None:
            raise ScoreError(
                FED_ITEM,
                "本季度该小区没有满意度问卷，请人工填写“业主评价与满意度”得分",
                f"{FED_ITEM}: no survey answers this quarter, score it by hand",
            )
        return Settled(float(given), "manual", 0, None, reason)
    if given is None or abs(float(given) - survey_score) < 0.05:
        return Settled(survey_score, "surveys", found.responses, survey_score, "")
    if not reason:
        raise ScoreError(
            FED_ITEM,
            f"依据 {found.responses} 份问卷，“业主评价与满意度”应为 {survey_score} 分；"
            "如需调整，请填写调整理由",
            f"{FED_ITEM}: the surveys give {survey_score}; a different score needs a reason",
        )
    return Settled(float(given), "override", found.responses, survey_score, reason)


def tally(overall_answers: Iterable[str]) -> Tally:
    answers = list(overall_answers)
    return Tally(
        responses=len(answers),
        satisfied=answers.count("satisfied"),
        basically=answers.count("basically"),
        dissatisfied=answers.count("dissatisfied"),
    )


def is_satisfied(answer: str) -> bool:
    return answer in SATISFIED


def retaken(
    items: Iterable[Item], scores: Mapping[str, Any], basis: str | None, found: Tally
) -> tuple[dict[str, Any], Decimal] | None:
    """A saved sheet's scores and total with the fed item retaken from the answers as they
    stand now (answers that came in after the sheet was saved), or None when nothing changes:
    an override stands, and without answers a hand score stands."""
    items = list(items)
    survey_score = found.suggested_score
    if basis == "override" or survey_score is None or FED_ITEM not in {i.code for i in items}:
        return None
    if basis == "surveys" and abs(float(scores.get(FED_ITEM, -1)) - survey_score) < 0.05:
        return None
    new = {**scores, FED_ITEM: survey_score}
    try:
        return new, weighted_total(items, new)
    except ScoreError:
        return None  # the sheet no longer fits the active items; it stands as saved
