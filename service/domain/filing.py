"""What the filing statement can answer, and the refusal each outcome means (pure)."""

from __future__ import annotations

from enum import StrEnum

from service.errors import Conflict, Forbidden, NotAuthenticated, ValidationFailed, WanggeError


class FilingOutcome(StrEnum):
    """The `outcome` column of wangge_file_report's row (service/db/sql/wangge_file_report.sql)."""

    CREATED = "created"
    REPLAY = "replay"
    CONFLICT = "conflict"
    REFUSED = "refused"
    UNAUTHENTICATED = "unauthenticated"
    CSRF = "csrf"
    FORBIDDEN = "forbidden"
    NO_DISTRICT = "no_district"


def filing_refusal(outcome: str, actor_role: str | None) -> WanggeError:
    """The error an outcome other than created or replay answers with."""
    match FilingOutcome(outcome):
        case FilingOutcome.UNAUTHENTICATED:
            return NotAuthenticated.invalid_token()
        case FilingOutcome.CSRF:
            return Forbidden.csrf()
        case FilingOutcome.FORBIDDEN:
            return Forbidden.for_action(str(actor_role), "report:create")
        case FilingOutcome.NO_DISTRICT:
            # reports belong to a district; row-level security only lets a user file in their own
            return ValidationFailed(
                "an account without a district cannot file reports",
                message_zh="该账号不属于任何区县，不能上报事件",
            )
    # "conflict", or "refused" with no lookup to blame: the id is taken by a report this
    # user did not file with this body, or cannot see
    return Conflict(
        "this report id was already used for a different report",
        message_zh="该编号已用于另一条上报内容不同的事件",
        where={"field": "id"},
    )
