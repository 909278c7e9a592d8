"""Domain refusals are WanggeErrors whose status and body are fixed where they are raised."""

from __future__ import annotations

import pytest

from service.domain.filing import FilingOutcome, filing_refusal
from service.domain.photos import clean_photo
from service.domain.report_lifecycle import TransitionRequest, check_transition
from service.errors import PhotoRefused, TransitionRefused, WanggeError


@pytest.mark.parametrize(
    ("req", "status", "code", "where"),
    [
        (TransitionRequest("reported", "nonsense", "admin", ""), 422, "validation_failed", "to"),
        (TransitionRequest("closed", "reported", "admin", ""), 409, "conflict", "to"),
        (TransitionRequest("reported", "accepted", "grid_worker", ""), 403, "forbidden", None),
    ],
)
def test_transition_refusals_carry_their_answer(req, status, code, where) -> None:
    with pytest.raises(TransitionRefused) as caught:
        check_transition(req)
    assert isinstance(caught.value, WanggeError)
    assert caught.value.status_code == status
    body = caught.value.body()["detail"]
    assert body["code"] == code and body["message_zh"]
    assert body.get("where") == ({"field": where} if where else None)


def test_photo_refusals_name_the_file_field() -> None:
    with pytest.raises(PhotoRefused) as big:
        clean_photo(b"x" * 100, max_bytes=10, max_pixels=100)
    assert (big.value.status_code, big.value.code) == (413, "payload_too_large")
    with pytest.raises(PhotoRefused) as bad:
        clean_photo(b"not an image", max_bytes=1000, max_pixels=100)
    assert (bad.value.status_code, bad.value.code) == (422, "validation_failed")
    assert bad.value.body()["detail"]["where"] == {"field": "file"}


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (FilingOutcome.UNAUTHENTICATED, 401),
        (FilingOutcome.CSRF, 403),
        (FilingOutcome.FORBIDDEN, 403),
        (FilingOutcome.NO_DISTRICT, 422),
        (FilingOutcome.CONFLICT, 409),
        (FilingOutcome.REFUSED, 409),
    ],
)
def test_every_filing_refusal_is_a_wangge_error(outcome, status) -> None:
    assert filing_refusal(outcome, "planner").status_code == status


def test_an_unknown_filing_outcome_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(ValueError):
        filing_refusal("maybe", None)
