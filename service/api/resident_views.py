"""What a case page shows of its resident side: channel, order number, the caller's contact as
the reader may see it (in full or masked), and the return visits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.api.resident_schemas import CallerView, VisitPublic
from service.db.repositories import intake
from service.db.repositories import return_visits as visits
from service.db.repositories.open311_keys import media_urls
from service.domain.principal import Principal
from service.domain.residents import CHANNELS, CONTACT_ROLES, RESIDENT_CHANNELS, VISIT_RESULTS


def caller_view(session: Session, me: Principal, row: dict[str, Any]) -> CallerView | None:
    """The full contact for a handling role (row-level security agrees), else the mask only.
    `row` is a report the caller may see (read through the jurisdiction filter)."""
    masked = row.get("caller_masked")
    if me.role in CONTACT_ROLES:
        found = intake.read_contact(session, row["id"])
        if found:
            display = " ".join(v for v in (found["caller_name"], found["caller_phone"]) if v)
            return CallerView(
                masked=False,
                name=found["caller_name"],
                phone=found["caller_phone"],
                display=display or None,
            )
    if not masked:
        return None
    return CallerView(masked=True, name=None, phone=None, display=masked)


def resident_facts(
    session: Session,
    me: Principal,
    row: dict[str, Any],
    found: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The resident-side fields of CaseDetail (`found`: the return visits, if already read)."""
    if found is None:
        found = visits.list_visits(session, row["id"])
    channel = row.get("channel") or "patrol"
    closed_at = row.get("closed_at")
    needs = (
        channel in RESIDENT_CHANNELS
        and row["status"] == "closed"
        and closed_at is not None
        and not any(v["created_at"] >= closed_at for v in found)
    )
    return {
        "channel_zh": CHANNELS.get(channel, channel),
        "external_ref": row.get("external_ref"),
        "caller": caller_view(session, me, row),
        "media_url": media_urls(session, [str(row["id"])]).get(str(row["id"])),
        "return_visits": [VisitPublic(**v, result_zh=VISIT_RESULTS[v["result"]]) for v in found],
        "needs_return_visit": needs,
        "reopened_count": row.get("reopened_count") or 0,
    }
