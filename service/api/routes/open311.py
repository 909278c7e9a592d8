"""Open311 GeoReport v2, read only, as a thin adapter over the reports API (JSON only).

Authenticated like every other route: a GeoReport client sees the reports of its user's
jurisdiction. Status maps to "open" until closed or rejected.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories import reports as repo
from service.db.repositories.catalogue import active_categories
from service.domain.principal import Principal
from service.domain.vocabulary import CLOSED_STATUSES, OPEN_STATUSES
from service.errors import OutsideJurisdiction

router = APIRouter(prefix="/open311/v2", tags=["open311"])


def _request(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if row["status"] in CLOSED_STATUSES else "open",
        "status_notes": row["status"],
        "service_name": row["category_name_zh"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["department_name_zh"],
        "requested_datetime": row["created_at"].isoformat(),
        "updated_datetime": row["updated_at"].isoformat(),
        "expected_datetime": row["deadline"].isoformat(),
        "lat": row["lat"],
        "long": row["lon"],
        "address": row["grid_code"] or "",
    }


@router.get("/services.json", summary="GeoReport v2 service list (the category catalogue)")
def services(
    session: SessionDep, _: Annotated[Principal, Depends(require("catalogue:read"))]
) -> list[dict[str, Any]]:
    return [
        {
            "service_code": c["code"],
            "service_name": c["name_zh"],
            "description": c["name_en"],
            "metadata": False,
            "type": "realtime",
            "keywords": c["department"],
            "group": c["gb_class"],
        }
        for c in active_categories(session)
    ]


@router.get("/requests.json", summary="GeoReport v2 service requests in my jurisdiction")
def requests(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("report:read"))],
    service_code: str | None = None,
    start_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> list[dict[str, Any]]:
    wanted = None
    if status is not None:
        wanted = CLOSED_STATUSES if status == "closed" else OPEN_STATUSES
    flt = repo.ReportFilter(
        category=service_code,
        since=start_date,
        statuses=wanted,
        limit=min(1000, settings.limits.max_page_size),
    )
    rows, _ = repo.list_reports(session, me, request.state.scope, flt)
    return [_request(r) for r in rows]


@router.get("/requests/{request_id}.json", summary="One GeoReport v2 service request")
def one_request(
    request_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("report:read"))],
) -> list[dict[str, Any]]:
    row = repo.get_report(session, request_id, me, request.state.scope)
    if row is None:
        raise OutsideJurisdiction("service request not found", message_zh="事件不存在")
    return [_request(row)]
