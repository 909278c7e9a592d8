"""The assessment's pure parts: periods, the score's weights, the ranking."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.domain.performance import (
    CHINA,
    DEFAULT_WEIGHTS,
    Counts,
    PeriodRefused,
    parse_period,
    rank,
    score,
)


def test_periods_are_months_and_quarters_in_china_time() -> None:
    p = parse_period("2026-12")
    assert (p.start, p.end) == (
        datetime(2026, 12, 1, tzinfo=CHINA),
        datetime(2027, 1, 1, tzinfo=CHINA),
    )
    q = parse_period("2026Q4")
    assert (q.start, q.end) == (
        datetime(2026, 10, 1, tzinfo=CHINA),
        datetime(2027, 1, 1, tzinfo=CHINA),
    )
    assert parse_period("2026Q1").end == datetime(2026, 4, 1, tzinfo=CHINA)


@pytest.mark.parametrize("bad", ["2026-00", "2026-13", "2026Q0", "1999-01", "2026", "", "2026-1"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(PeriodRefused):
        parse_period(bad)


def _counts(**change: object) -> Counts:
    base = {"received": 10, "rejected": 0, "closed": 10, "on_time": 10, "handling_hours": 10.0,
            "reopened": 0, "visited": 0, "satisfied": 0, "overdue": 0, "escalated": 0}  # fmt: skip
    return Counts(**{**base, **change})  # type: ignore[arg-type]


def test_a_missing_indicator_gives_its_weight_to_the_others() -> None:
    # no return visit: satisfaction has no value, everything else is perfect
    assert score(_counts(), DEFAULT_WEIGHTS, 72) == 100.0
    assert score(_counts(visited=4, satisfied=2), DEFAULT_WEIGHTS, 72) == 87.5
    # slow handling: 144 h against a 72 h target earns half the speed mark
    assert score(_counts(handling_hours=144.0), {"speed": 1.0}, 72) == 50.0
    assert score(_counts(received=2, rejected=2, closed=0), DEFAULT_WEIGHTS, 72) is None


def test_ranking_shares_places_and_leaves_unscored_out() -> None:
    got = rank([("b", 90.0), ("a", 95.0), ("c", 90.0), ("d", None), ("e", 80.0)])
    assert got == {"a": 1, "b": 2, "c": 2, "e": 4, "d": None}
