"""The escalation schedule's advisory lock: one holder among processes, taken over on release."""

from __future__ import annotations

from service.escalation import ScheduleLock, escalation_pass
from service.settings import Settings


def test_one_holder_then_takeover(settings: Settings) -> None:
    first, second = ScheduleLock(settings), ScheduleLock(settings)
    try:
        assert first.held()
        assert not second.held()
        assert first.held()  # asking again keeps it
        assert escalation_pass(settings, second) is None  # the non-holder runs nothing
        first.release()  # the holder's process ended
        assert second.held()
        assert not first.held()
        assert escalation_pass(settings, second) is not None
    finally:
        first.release()
        second.release()
