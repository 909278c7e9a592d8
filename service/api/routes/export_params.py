"""Query parameters shared by exports and the map page's download link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Query

from service.db.repositories.export_layers import ExportFilter
from service.exports.service import parse_bbox


@dataclass(frozen=True)
class ExportParams:
    crs: str
    flt: ExportFilter


def export_params(
    area: str | None = Query(None, description="street (9 digits) or community (12 digits) code"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat (WGS84)"),
    since: datetime | None = Query(None, description="time ≥ since (ISO 8601)"),
    until: datetime | None = Query(None, description="time < until (ISO 8601)"),
    status: str | None = Query(None, description="comma-separated statuses"),
    crs: str = Query("wgs84", description="wgs84 (default) or gcj02 for Amap overlays"),
) -> ExportParams:
    """Parse and check the filters once; errors name the field."""
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    flt = ExportFilter(
        area=area, bbox=parse_bbox(bbox), since=since, until=until, statuses=statuses
    )
    return ExportParams(crs=crs, flt=flt)
