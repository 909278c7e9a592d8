"""Filing a report: coordinate conversion, idempotency and the reasons a filing is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.api.report_schemas import ReportCreate
from service.db.repositories import reports as repo
from service.domain import coords
from service.domain.field_input import content_hash, in_china, looks_swapped
from service.domain.principal import Principal
from service.errors import Conflict, OutsideArea, ValidationFailed


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """The WGS84 position of a point sent in `crs` (GCJ-02/BD-09 inverted iteratively)."""
    if crs == "wgs84":
        return lon, lat
    x, y = coords.to_wgs84(lon, lat, crs)
    return float(x), float(y)


def file_report(session: Session, body: ReportCreate, me: Principal) -> dict[str, Any] | None:
    """File the report: the stored report (as the repository's `get_report` shows it) when it
    is new, None for a retry of the same filing (same id, same body)."""
    if me.district_id is None:
        # reports belong to a district; row-level security only lets a user file in their own
        raise ValidationFailed(
            "an account without a district cannot file reports",
            message_zh="该账号不属于任何区县，不能上报事件",
        )
    lon_in, lat_in = body.location.coordinates
    _check_plausible(lon_in, lat_in)
    lon, lat = to_wgs84(lon_in, lat_in, body.crs)
    fingerprint = content_hash({**body.model_dump(mode="json"), "reporter": me.id})
    new = repo.NewReport(
        id=body.id,
        category=body.category,
        lon=lon,
        lat=lat,
        crs=body.crs,
        accuracy_m=body.accuracy_m,
        placed_by_hand=body.placed_by_hand,
        description=body.description,
        patrol_id=body.patrol_id,
        content_hash=fingerprint,
    )
    stored = repo.file_report(session, new, me)
    if stored is not None:
        return stored
    existing = repo.stored_hash(session, body.id)
    if existing is not None:
        if existing != fingerprint:
            raise _reused_id()
        return None
    _explain_refusal(session, new, me)
    raise _reused_id()  # the id exists but belongs to a record this user cannot see


def _reused_id() -> Conflict:
    return Conflict(
        "this report id was already used for a different report",
        message_zh="该编号已用于另一条上报内容不同的事件",
        where={"field": "id"},
    )


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


def _explain_refusal(session: Session, new: repo.NewReport, me: Principal) -> None:
    if not repo.category_exists(session, new.category):
        raise ValidationFailed(
            f"unknown category {new.category!r}",
            message_zh="未知的事件类别",
            where={"field": "category", "value": new.category},
        )
    if new.patrol_id is not None and not repo.patrol_is_mine(session, new.patrol_id, me):
        raise ValidationFailed(
            "patrol not found among your patrols",
            message_zh="巡查记录不存在",
            where={"field": "patrol_id", "value": str(new.patrol_id)},
        )
    if not repo.point_in_district(session, new.lon, new.lat, me.district_id):
        hint = ""
        if repo.point_in_district(session, new.lat, new.lon, me.district_id):
            hint = "; latitude and longitude look swapped"
        raise OutsideArea(
            f"position ({new.lon:.6f}, {new.lat:.6f}) is outside your district{hint}",
            message_zh="位置不在本辖区内" + ("（经纬度疑似颠倒）" if hint else ""),
            where={"field": "location.coordinates", "coordinates": [new.lon, new.lat]},
        )
