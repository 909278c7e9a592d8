"""Query parameters shared by exports and the map page's download link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Query

from service.db.repositories.export_layers import ExportFilter
from service.services.exports import parse_bbox


@dataclass(frozen=True)
class ExportParams:
    crs: str
    flt: ExportFilter
    labels: str | None = None


def export_params(
    area: str | None = Query(None, description="street (9 digits) or community (12 digits) code"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat (WGS84)"),
    since: datetime | None = Query(None, description="time ≥ since (ISO 8601)"),
    until: datetime | None = Query(None, description="time < until (ISO 8601)"),
    status: str | None = Query(None, description="comma-separated statuses"),
    crs: str = Query(
        "wgs84",
        description="wgs84 (default), cgcs2000 (EPSG:4490) or gcj02 for Amap overlays"
        " (declared as GCJ-02 in the file, never as EPSG:4326)",
    ),
    labels: str | None = Query(
        None,
        description="zh: coded values (status, property service mode…) in Chinese words;"
        " code: as stored. Default: zh for CSV, code otherwise. Times are Asia/Shanghai (+08:00)",
    ),
) -> ExportParams:
    """Parse and check the filters once; errors name the field."""
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    flt = ExportFilter(
        area=area, bbox=parse_bbox(bbox), since=since, until=until, statuses=statuses
    )
    return ExportParams(crs=crs, flt=flt, labels=labels)
