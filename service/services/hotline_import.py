"""Checking hotline work orders one by one: which are new, which are duplicates (the order
number is already registered in the district, or repeated in the file), which lie outside the
district, and which cannot be read; then registering the new ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import intake
from service.domain.plain_text import CONTROL_CHARACTERS
from service.domain.principal import Principal
from service.domain.residents import ContactRefused, normalise_phone
from service.errors import OutsideArea, WanggeError
from service.imports.hotline_orders import OrderRow, as_datetime
from service.services.residents import Draft, place_in_jurisdiction, register_case

CRS_NAMES = {"wgs84": "wgs84", "gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09",
             "bd-09": "bd09", "cgcs2000": "wgs84", "火星坐标": "gcj02",
             "百度坐标": "bd09"}  # fmt: skip


class RowRefused(ValueError):
    def __init__(self, column: str, message_zh: str) -> None:
        super().__init__(message_zh)
        self.column, self.message_zh = column, message_zh


@dataclass
class Plan:
    new: list[tuple[OrderRow, Draft, dict[str, Any]]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)


def _text(row: OrderRow, name: str, column: str, *, required: bool, limit: int) -> str:
    value = str(row.values.get(name) if row.values.get(name) is not None else "").strip()
    if required and not value:
        raise RowRefused(column, f"缺少{column}")
    if len(value) > limit:
        raise RowRefused(column, f"{column}超过 {limit} 个字符")
    if CONTROL_CHARACTERS.search(value):
        raise RowRefused(column, f"{column}含有控制字符")
    return value


def _number(row: OrderRow, name: str, column: str) -> float:
    try:
        value = float(row.values.get(name))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RowRefused(column, f"{column}不是数字") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise RowRefused(column, f"{column}不是有限数")
    return value


def _draft(row: OrderRow, categories: dict[str, str], default_crs: str) -> Draft:
    ref = _text(row, "external_ref", "工单编号", required=True, limit=60)
    description = _text(row, "description", "诉求内容", required=True, limit=4000)
    address = _text(row, "address", "地址", required=False, limit=200)
    category = categories.get(_text(row, "category", "事件类别", required=True, limit=60))
    if category is None:
        raise RowRefused("事件类别", "未知的事件类别")
    crs_raw = _text(row, "crs", "坐标系", required=False, limit=20).lower()
    crs = CRS_NAMES.get(crs_raw) if crs_raw else default_crs
    if crs is None:
        raise RowRefused("坐标系", "坐标系须为 WGS84、GCJ-02 或 BD-09")
    try:
        deadline = as_datetime(row.values.get("deadline"))
    except (TypeError, ValueError):
        raise RowRefused("办理时限", "办理时限不是日期时间") from None
    phone = _text(row, "caller_phone", "联系电话", required=False, limit=30)
    try:
        phone = normalise_phone(phone)
    except ContactRefused:
        raise RowRefused("联系电话", "联系电话格式不正确") from None
    return Draft(
        id=uuid.uuid4(), lon=_number(row, "lon", "经度"), lat=_number(row, "lat", "纬度"),
        crs=crs, category=category,
        description=f"{description}（地址：{address}）" if address else description,
        channel="hotline", external_ref=ref, deadline_at=deadline, caller_phone=phone,
        caller_name=_text(row, "caller_name", "来电人", required=False, limit=60),
    )  # fmt: skip


def plan_orders(session: Session, me: Principal, rows: list[OrderRow], default_crs: str) -> Plan:
    """Every order sorted into new / duplicate / outside / refused; nothing written."""
    plan = Plan()
    categories = intake.category_codes(session)
    refs = [str(r.values.get("external_ref") or "").strip() for r in rows]
    known = intake.known_refs(session, me.district_id or 0, [r for r in refs if r])
    seen: set[str] = set()
    for row in rows:
        try:
            draft = _draft(row, categories, default_crs)
        except RowRefused as refused:
            plan.refusals.append(
                {"row": row.row, "column": refused.column, "message_zh": refused.message_zh}
            )
            continue
        ref = draft.external_ref or ""
        if ref in known or ref in seen:
            reason = "已登记" if ref in known else "表内重复"
            plan.duplicates.append({"row": row.row, "external_ref": ref, "reason_zh": reason})
            continue
        seen.add(ref)
        try:
            _, _, place = place_in_jurisdiction(session, me, draft.lon, draft.lat, draft.crs)
        except OutsideArea as outside:
            plan.outside.append({"row": row.row, "external_ref": ref,
                                 "coordinates": [draft.lon, draft.lat],
                                 "message_zh": outside.message_zh})  # fmt: skip
            continue
        plan.new.append((row, draft, place))
    return plan


def apply_plan(session: Session, me: Principal, plan: Plan) -> list[dict[str, Any]]:
    """Register the new orders; one refused now (a colleague's import raced this one) joins
    the refusals instead of undoing the others."""
    created = []
    for row, draft, _ in plan.new:
        try:
            register_case(session, me, draft)
        except WanggeError as refused:
            plan.refusals.append({"row": row.row, "column": None,
                                  "message_zh": refused.message_zh or refused.message})  # fmt: skip
            continue
        created.append({"row": row.row, "external_ref": draft.external_ref, "id": str(draft.id)})
    return created


def import_orders(
    session: Session, me: Principal, rows: list[OrderRow], default_crs: str, *, apply: bool
) -> dict[str, Any]:
    """The dry run (new, duplicate, outside, refused), and with `apply` the registered ones."""
    plan = plan_orders(session, me, rows, default_crs)
    result: dict[str, Any] = {
        "dry_run": not apply,
        "rows": len(rows),
        "new": describe_new(plan),
        "duplicates": plan.duplicates,
        "outside": plan.outside,
        "refusals": plan.refusals,
    }
    if apply:
        result["created"] = apply_plan(session, me, plan)
        result["refusals"] = plan.refusals
    return result


def describe_new(plan: Plan) -> list[dict[str, Any]]:
    """What an apply would register (no contact details: the dry run is a working list)."""
    return [
        {
            "row": row.row,
            "external_ref": draft.external_ref,
            "category": draft.category,
            "community_code": place["community_code"],
            "grid_code": place["grid_code"],
            "deadline_at": draft.deadline_at.isoformat() if draft.deadline_at else None,
        }
        for row, draft, place in plan.new
    ]
