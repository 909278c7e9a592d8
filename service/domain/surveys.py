"""Resident satisfaction surveys per 小区 (pure): the questions, the answers and the rates.

A sheet answers four questions 满意 / 基本满意 / 不满意. The 小区's satisfaction rate for a
quarter is the share of sheets whose overall answer is 满意 or 基本满意 — the same rule as the
return visits (service/domain/residents.py). It feeds the property company assessment as the
suggested score of its "业主评价与满意度" item (0–100).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

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
        """The suggested 0–100 score of the fed assessment item."""
        rate = self.rate
        return None if rate is None else round(rate * 100, 1)


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
