"""Registering a resident's case (a complaint from the workbench, a 12345 work order from an
import): the position checked, converted and resolved inside the caller's jurisdiction, the
contact checked and masked, then the insert (service.db.repositories.intake)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.repositories import intake
from service.domain.field_input import in_china, looks_swapped
from service.domain.principal import Principal
from service.domain.residents import ContactRefused, mask_contact, normalise_phone
from service.errors import Conflict, OutsideArea, ValidationFailed
from service.services.reporting import to_wgs84


@dataclass(frozen=True)
class Draft:
    id: uuid.UUID
    lon: float
    lat: float
    crs: str
    category: str
    description: str
    channel: str
    caller_name: str = ""
    caller_phone: str = ""
    external_ref: str | None = None
    deadline_at: datetime | None = None


def place_in_jurisdiction(
    session: Session, me: Principal, lon: float, lat: float, crs: str
) -> tuple[float, float, dict[str, object]]:
    """The WGS84 point and what it lies in; OutsideArea (422, with the coordinates) when it is
    swapped, outside China, outside every district or outside the caller's jurisdiction."""
    where = {"field": "location", "coordinates": [lon, lat]}
    if looks_swapped(lon, lat):
        raise OutsideArea(
            "latitude and longitude look swapped", message_zh="经纬度顺序颠倒", where=where
        )
    if not in_china(lon, lat):
        raise OutsideArea(
            "the position is outside China", message_zh="位置不在中国境内", where=where
        )
    x, y = to_wgs84(lon, lat, crs)
    place = intake.locate(session, x, y, me.district_id)
    if place is None or not intake.in_jurisdiction(me, place):
        raise OutsideArea(
            "the position is outside your jurisdiction",
            message_zh="位置不在本辖区内",
            where=where,
        )
    return x, y, place


def contact_of(draft: Draft) -> tuple[str, str, str | None]:
    """(name, phone, mask) with the phone normalised; ValidationFailed naming the field."""
    try:
        phone = normalise_phone(draft.caller_phone)
    except ContactRefused as refused:
        raise ValidationFailed(
            refused.message, message_zh=refused.message_zh, where={"field": refused.field}
        ) from None
    name = draft.caller_name.strip()
    return name, phone, mask_contact(name, phone)


def register_case(session: Session, me: Principal, draft: Draft) -> uuid.UUID:
    """Insert the case into the loop (status 待受理) or raise a WanggeError saying why not."""
    lon, lat, place = place_in_jurisdiction(session, me, draft.lon, draft.lat, draft.crs)
    name, phone, masked = contact_of(draft)
    case = intake.NewCase(
        id=draft.id, lon=lon, lat=lat, crs=draft.crs, place=place, category=draft.category,
        description=draft.description, channel=draft.channel, caller_name=name,
        caller_phone=phone, caller_masked=masked, external_ref=draft.external_ref,
        deadline_at=draft.deadline_at,
    )  # fmt: skip
    try:
        with session.begin_nested():  # a refused insert leaves the request's transaction usable
            created = intake.insert_case(session, me, case)
    except IntegrityError:
        raise Conflict(
            "this id or hotline order number is already registered",
            message_zh="该编号或工单号已登记",
            where={"field": "external_ref" if draft.external_ref else "id"},
        ) from None
    if not created:
        raise ValidationFailed(
            f"unknown category {draft.category!r}",
            message_zh="未知的事件类别",
            where={"field": "category", "value": draft.category[:60]},
        )
    return draft.id
