"""The escalation schedule's advisory lock: one holder among processes, taken over on release."""

from __future__ import annotations

from service.services.escalation import SCHEDULE_LOCK_KEY, ScheduleLock, escalation_pass
from service.settings import Settings

# A key of the test's own: an app started by an earlier test in this session may still run its
# escalation loop and hold the real schedule's lock in the same database.
TEST_KEY = SCHEDULE_LOCK_KEY + 1


def test_one_holder_then_takeover(settings: Settings) -> None:
    first, second = ScheduleLock(settings, TEST_KEY), ScheduleLock(settings, TEST_KEY)
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
