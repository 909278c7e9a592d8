"""The owners' view item from the surveys and the trend's periods (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.domain.assessment import Item, ScoreError
from service.domain.performance import PeriodRefused, parse_period, trend_labels
from service.domain.surveys import FED_ITEM, retaken, settle_item, tally

SEVEN = tally(["satisfied"] * 3 + ["basically"] * 2 + ["dissatisfied"] * 2)
NONE = tally([])
ITEMS = [Item("service_quality", "服务质量", Decimal(75)), Item(FED_ITEM, "业主评价", Decimal(25))]


def test_the_surveys_give_the_score() -> None:
    assert SEVEN.suggested_score == 71.4
    for given in (None, 71.4, 71.43):
        s = settle_item(SEVEN, given, "")
        assert (s.score, s.basis, s.responses, s.reason) == (71.4, "surveys", 7, "")
    s = settle_item(SEVEN, None, "不需要的理由")
    assert s.basis == "surveys" and s.reason == ""


def test_a_different_score_needs_a_reason() -> None:
    with pytest.raises(ScoreError) as refused:
        settle_item(SEVEN, 90, "   ")
    assert refused.value.item == FED_ITEM and "依据 7 份问卷" in refused.value.message_zh
    s = settle_item(SEVEN, 90, " 复核 ")
    assert (s.score, s.basis, s.survey_score, s.reason) == (90.0, "override", 71.4, "复核")


def test_without_answers_the_score_is_by_hand() -> None:
    with pytest.raises(ScoreError) as refused:
        settle_item(NONE, None, "")
    assert "没有满意度问卷" in refused.value.message_zh
    s = settle_item(NONE, 80, "走访")
    assert (s.score, s.basis, s.responses, s.survey_score, s.reason) == (
        80.0, "manual", 0, None, "走访"
    )  # fmt: skip


def test_late_answers_are_retaken_but_an_override_stands() -> None:
    scores = {"service_quality": 80, FED_ITEM: 88}
    new = retaken(ITEMS, scores, "manual", SEVEN)
    assert new is not None and new[0][FED_ITEM] == 71.4
    assert new[1] == Decimal("77.85")  # (80 × 75 + 71.4 × 25) / 100
    assert retaken(ITEMS, scores, None, SEVEN) is not None  # a sheet from before the surveys
    assert retaken(ITEMS, scores, "override", SEVEN) is None
    assert retaken(ITEMS, scores, "manual", NONE) is None
    assert retaken(ITEMS, {**scores, FED_ITEM: 71.4}, "surveys", SEVEN) is None
    assert retaken(ITEMS[:1], {"service_quality": 80}, None, SEVEN) is None  # item not used


def test_trend_periods() -> None:
    assert trend_labels(parse_period("2026Q4"), 4) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert trend_labels(parse_period("2026Q1"), 2) == ["2025Q4", "2026Q1"]
    assert trend_labels(parse_period("2026-02"), 3) == ["2025-12", "2026-01", "2026-02"]
    assert trend_labels(parse_period("2026-12"), 1) == ["2026-12"]
    with pytest.raises(PeriodRefused):
        parse_period(trend_labels(parse_period("2000-01"), 2)[0])  # 1999-12: left out
