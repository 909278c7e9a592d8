"""The pure rules of residents' cases: phone checks and masks, which return visits may be made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.residents import (
    ContactRefused,
    VisitRefused,
    VisitRequest,
    check_return_visit,
    mask_contact,
    mask_phone,
    normalise_phone,
)

CLOSED = datetime(2026, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0371-6788 1234", "037167881234"),
        ("12345", "12345"),
        ("", ""),
    ],
)
def test_phones_are_normalised(raw: str, kept: str) -> None:
    assert normalise_phone(raw) == kept


@pytest.mark.parametrize("raw", ["12ab", "1391234567890123", "23912345678", "1234"])
def test_what_is_no_phone_is_refused(raw: str) -> None:
    with pytest.raises(ContactRefused):
        normalise_phone(raw)


def test_masks_hide_all_but_the_ends() -> None:
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("037167881234") == "037*****1234"
    assert "2345" not in mask_phone("12345") and len(mask_phone("12345")) == 5
    assert mask_contact("王小明", "13912345678") == "王** 139****5678"
    assert mask_contact("", "") is None


def _req(**change: object) -> VisitRequest:
    base = {"channel": "complaint", "status": "closed", "closed_at": CLOSED,
            "last_visit_at": None, "result": "satisfied", "note": "", "reopen": False}  # fmt: skip
    return VisitRequest(**{**base, **change})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "patrol"}, "channel"),
        ({"status": "handled"}, "status"),
        ({"last_visit_at": CLOSED + timedelta(minutes=1)}, "report"),
        ({"result": "meh"}, "result"),
        ({"reopen": True}, "reopen"),
        ({"result": "dissatisfied"}, "note"),
    ],
)
def test_visits_refused_say_why(change: dict[str, object], field: str) -> None:
    with pytest.raises(VisitRefused) as refused:
        check_return_visit(_req(**change))
    assert refused.value.field == field


def test_a_visit_after_an_earlier_closing_is_allowed() -> None:
    check_return_visit(_req(last_visit_at=CLOSED - timedelta(days=3)))
    check_return_visit(_req(result="dissatisfied", note="仍未解决", reopen=True))
