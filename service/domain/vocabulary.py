"""The product's words with one definition each: report statuses and what "open" means, roles,
China's extent. Everything else imports them from here (migrations keep their own copies: a
migration states the schema as it was when it ran)."""

from __future__ import annotations

from typing import Final

# A report's life cycle, in order (the demo generator indexes into this tuple).
STATUSES: Final = (
    "reported",
    "accepted",
    "rejected",
    "dispatched",
    "in_progress",
    "handled",
    "verified",
    "closed",
)
# A report is closed once closed or rejected, and open otherwise: the map's open reports,
# statistics' open counts and Open311's "open" all mean this.
CLOSED_STATUSES: Final = ("rejected", "closed")
OPEN_STATUSES: Final = tuple(s for s in STATUSES if s not in CLOSED_STATUSES)
# Open and not yet confirmed fixed on site: what a new report near it may duplicate.
UNRESOLVED_STATUSES: Final = tuple(s for s in OPEN_STATUSES if s != "verified")
# Still waiting for the handling the deadline is about: what escalation moves up a level.
AWAITING_HANDLING: Final = ("reported", "accepted", "dispatched", "in_progress")

ROLES: Final = (
    "grid_worker",
    "community_staff",
    "street_office",
    "district_bureau",
    "department",
    "planner",
    "admin",
)

# China's extent incl. the South China Sea islands (lon/lat degrees); the same box as the
# database CHECK wangge_geometry_ok (service/db/sql/functions/wangge_geometry_ok.sql).
CHINA_BBOX: Final = (73.4, 3.8, 135.1, 53.6)


def sql_list(values: tuple[str, ...]) -> str:
    """A vocabulary tuple as an SQL IN list ('a', 'b'): constants only, never user input."""
    return ", ".join(f"'{v}'" for v in values)
