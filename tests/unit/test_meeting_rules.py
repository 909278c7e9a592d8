"""Joint meetings' pure rules: month arithmetic, cadence, overdue decisions, the settings."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from service.domain.meetings import (
    MeetingRefused,
    add_months,
    cadence,
    check_dates,
    check_kind,
    decision_overdue,
)
from service.settings import Settings


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_cadence_due_and_overdue() -> None:
    today = date(2026, 12, 6)
    monthly = cadence("street_joint", 1, date(2026, 10, 20), today)
    assert monthly.next_due == date(2026, 11, 20) and monthly.overdue
    recent = cadence("street_joint", 1, date(2026, 11, 30), today)
    assert recent.next_due == date(2026, 12, 30) and not recent.overdue
    never = cadence("grid_quarterly", 3, None, today)
    assert never.next_due == today and not never.overdue
    as_needed = cadence("community", 0, None, today)
    assert as_needed.next_due is None and not as_needed.overdue


def test_decisions_and_refusals() -> None:
    today = date(2026, 12, 6)
    assert decision_overdue(date(2026, 12, 5), False, today)
    assert not decision_overdue(date(2026, 12, 6), False, today)
    assert not decision_overdue(date(2026, 12, 1), True, today)
    assert not decision_overdue(None, False, today)
    with pytest.raises(MeetingRefused) as err:
        check_kind("community", community_level=False)
    assert err.value.field == "kind" and "街道联席会议" in err.value.message_zh
    check_kind("community", community_level=True)
    with pytest.raises(MeetingRefused):
        check_dates(date(2026, 12, 7), today)


def test_cadence_setting_is_checked() -> None:
    assert Settings(
        meeting_cadence_months={"street_joint": 2}
    ).residents.meeting_cadence_months == {
        "street_joint": 2,
        "grid_quarterly": 3,
        "community": 0,
    }
    with pytest.raises(ValidationError, match="unknown meeting kinds"):
        Settings(meeting_cadence_months={"weekly": 1})
    with pytest.raises(ValidationError, match="0 \\(as needed\\) to 24"):
        Settings(meeting_cadence_months={"street_joint": 99})
