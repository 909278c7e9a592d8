"""Read-only report endpoints (filing and transitions live in routes/reports.py, issue 5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories.report_reads import ReportFilter, get_report, list_reports
from service.domain.principal import Principal
from service.errors import ValidationFailed

router = APIRouter(prefix="/api", tags=["reports"])
ReaderDep = Annotated[Principal, Depends(require("report:read"))]


class ReportSummary(BaseModel):
    id: uuid.UUID
    status: str
    category_code: str
    description: str
    lon: float
    lat: float
    district_id: int
    street_id: int | None
    community_id: int | None
    grid_cell_id: int | None
    department_id: int
    reporter_id: int
    deadline_at: datetime
    created_at: datetime


@router.get("/reports/{report_id}", response_model=ReportSummary, summary="One report")
def read_report(
    report_id: uuid.UUID, request: Request, session: SessionDep, me: ReaderDep
) -> ReportSummary:
    """404 outside your jurisdiction (its existence is never confirmed)."""
    return ReportSummary(**get_report(session, me, request.state.scope, report_id))


@router.get("/reports", response_model=list[ReportSummary], summary="Reports in your area")
def read_reports(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: ReaderDep,
    bbox: Annotated[
        str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)", max_length=200)
    ] = None,
    status: Annotated[str | None, Query(pattern="^[a-z_]{2,20}$")] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReportSummary]:
    flt = ReportFilter(
        bbox=_parse_bbox(bbox, settings.max_bbox_degrees2) if bbox else None,
        status=status,
        limit=min(limit, settings.max_page_size),
        offset=offset,
    )
    rows = list_reports(session, me, request.state.scope, flt)
    return [ReportSummary(**r) for r in rows]


def _parse_bbox(raw: str, max_area: float) -> tuple[float, float, float, float]:
    try:
        x1, y1, x2, y2 = (float(v) for v in raw.split(","))
    except ValueError:
        raise ValidationFailed(
            "bbox must be minLon,minLat,maxLon,maxLat",
            message_zh="bbox 格式应为 最小经度,最小纬度,最大经度,最大纬度",
            where={"field": "bbox", "value": raw},
        ) from None
    ok = -180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90
    if not ok or (x2 - x1) * (y2 - y1) > max_area:
        raise ValidationFailed(
            "bbox out of range, inverted or too large",
            message_zh="bbox 超出范围或过大",
            where={"field": "bbox", "value": raw},
        )
    return x1, y1, x2, y2
