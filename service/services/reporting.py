"""Filing a report: coordinate conversion, idempotency and the reasons a filing is refused.

The filing itself is one database statement (service.db.repositories.filing) on the
asynchronous pool, holding a pooled connection only for the statement itself; this module
prepares what it is given (`filing_call`) and turns its outcome into the result
(`answer_filing`): the stored report, the original report for a retry, or the refusal that
says what and where.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anyio.to_thread import run_sync
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session, sessionmaker

from service.db.async_pool import on_live_connection
from service.db.repositories import filing
from service.db.repositories import reports as repo
from service.db.repositories.users import authenticate_token
from service.domain import coords
from service.domain.field_input import content_hash, in_china, looks_swapped
from service.domain.filing import FilingOutcome, filing_refusal
from service.domain.principal import Caller, Principal
from service.errors import NotAuthenticated, OutsideArea, OutsideJurisdiction, ValidationFailed


@dataclass(frozen=True)
class ReportDraft:
    """A report as the field worker sent it: the position in `crs`, and `content`, the body's
    fields as JSON values (its fingerprint tells a retry from a different record)."""

    id: uuid.UUID
    category: str
    lon: float
    lat: float
    crs: str
    accuracy_m: float | None
    placed_by_hand: bool
    description: str
    patrol_id: uuid.UUID | None
    content: Mapping[str, Any]


async def file_report(
    pool: AsyncConnectionPool[Any],
    sessions: sessionmaker[Session],
    draft: ReportDraft,
    caller: Caller,
) -> tuple[dict[str, Any], bool]:
    """(the stored report, True) for a new filing, (the original report as it is now, False)
    for a retry of the same filing; else the refusal, raised."""
    call = filing_call(draft, caller)
    stored = await on_live_connection(pool, lambda conn: filing.file_report(conn, call))
    return await answer_filing(stored, sessions, draft, caller, call)


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """The WGS84 position of a point sent in `crs` (GCJ-02/BD-09 inverted iteratively)."""
    if crs == "wgs84":
        return lon, lat
    x, y = coords.to_wgs84(lon, lat, crs)
    return float(x), float(y)


def filing_call(draft: ReportDraft, caller: Caller) -> filing.FilingCall:
    """What the filing statement is given: the position checked and in WGS84, the fingerprint
    of the body (a retry is told from a different record by it), and who asks."""
    _check_plausible(draft.lon, draft.lat)
    lon, lat = to_wgs84(draft.lon, draft.lat, draft.crs)
    return filing.FilingCall(
        digest=caller.digest,
        csrf=caller.csrf,
        roles=caller.roles,
        action=caller.action,
        path=caller.path,
        client_addr=caller.client_addr,
        id=draft.id,
        lon=lon,
        lat=lat,
        crs=draft.crs,
        accuracy_m=draft.accuracy_m,
        placed_by_hand=draft.placed_by_hand,
        category=draft.category,
        description=draft.description,
        patrol_id=draft.patrol_id,
        content_hash=content_hash(dict(draft.content)),
    )


async def answer_filing(
    row: dict[str, Any],
    sessions: sessionmaker[Session],
    draft: ReportDraft,
    caller: Caller,
    call: filing.FilingCall,
) -> tuple[dict[str, Any], bool]:
    """(the stored report, True) for a new filing, (the original report as it is now, False)
    for a retry of the same filing (same id, body and filer); else the refusal, raised. The
    rare outcomes ask the ordinary session a few small questions (which lookup failed)."""
    outcome = FilingOutcome(row["outcome"])
    if outcome is FilingOutcome.CREATED:
        return row, True
    if outcome is FilingOutcome.REPLAY:
        return await run_sync(_read_original, sessions, caller.token, draft.id), False
    if outcome is FilingOutcome.REFUSED:
        await run_sync(_explain_refusal, sessions, caller.token, draft, call.lon, call.lat)
    raise filing_refusal(outcome, row.get("actor_role"))


def _check_plausible(lon: float, lat: float) -> None:
    if looks_swapped(lon, lat):
        raise OutsideArea(
            f"latitude and longitude look swapped: ({lon}, {lat}); GeoJSON order is [lon, lat]",
            message_zh="经纬度顺序颠倒：GeoJSON 坐标顺序应为 [经度, 纬度]",
            where={"field": "location.coordinates", "coordinates": [lon, lat]},
        )
    if not in_china(lon, lat):
        raise OutsideArea(
            f"position ({lon}, {lat}) is outside China",
            message_zh="位置不在中国境内",
            where={"field": "location.coordinates", "coordinates": [lon, lat]},
        )


def _principal(session: Session, token: str) -> Principal:
    found = authenticate_token(session, token)
    if found is None:  # the token was revoked between the two statements
        raise NotAuthenticated.invalid_token()
    return found[0]


def _read_original(
    sessions: sessionmaker[Session], token: str, report_id: uuid.UUID
) -> dict[str, Any]:
    with sessions() as session, session.begin():
        row = repo.get_report(session, report_id, _principal(session, token), "self")
    if row is None:  # pragma: no cover - the caller always sees their own report
        raise OutsideJurisdiction("report not found", message_zh="事件不存在")
    return row


def _explain_refusal(
    sessions: sessionmaker[Session], token: str, draft: ReportDraft, lon: float, lat: float
) -> None:
    """Raise the reason the filing statement inserted nothing, if a lookup is to blame."""
    with sessions() as session, session.begin():
        me = _principal(session, token)
        if not repo.category_exists(session, draft.category):
            raise ValidationFailed(
                f"unknown category {draft.category!r}",
                message_zh="未知的事件类别",
                where={"field": "category", "value": draft.category},
            )
        if draft.patrol_id is not None and not repo.patrol_is_mine(session, draft.patrol_id, me):
            raise ValidationFailed(
                "patrol not found among your patrols",
                message_zh="巡查记录不存在",
                where={"field": "patrol_id", "value": str(draft.patrol_id)},
            )
        if not repo.point_in_district(session, lon, lat, me.district_id):
            hint = ""
            if repo.point_in_district(session, lat, lon, me.district_id):
                hint = "; latitude and longitude look swapped"
            raise OutsideArea(
                f"position ({lon:.6f}, {lat:.6f}) is outside your district{hint}",
                message_zh="位置不在本辖区内" + ("（经纬度疑似颠倒）" if hint else ""),
                where={"field": "location.coordinates", "coordinates": [lon, lat]},
            )
