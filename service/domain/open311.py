"""Open311 GeoReport v2 words: a filing's parameters checked (POST requests), the list filters
of GET requests (status and id lists), and the status a report shows as."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from service.domain.vocabulary import CLOSED_STATUSES, OPEN_STATUSES
from service.errors import ValidationFailed

MAX_IDS = 100
MEDIA_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f<>\"]{1,490}$")


@dataclass(frozen=True)
class Filing:
    service_code: str
    lon: float
    lat: float
    description: str
    caller_name: str
    caller_phone: str
    media_url: str | None


def _refuse(field: str, message: str, message_zh: str) -> ValidationFailed:
    return ValidationFailed(message, message_zh=message_zh, where={"field": field})


def _text(params: Mapping[str, str], name: str, limit: int) -> str:
    value = params.get(name, "").strip()
    if len(value) > limit:
        raise _refuse(name, f"{name} is longer than {limit} characters",
                      f"{name} 超过 {limit} 个字符")  # fmt: skip
    return value


def _coordinate(params: Mapping[str, str], name: str) -> float:
    raw = params.get(name, "").strip()
    if not raw:
        raise _refuse(name, f"{name} is required (lat and long, WGS84)",
                      "缺少坐标（lat、long，WGS84）")  # fmt: skip
    try:
        value = float(raw)
    except ValueError:
        raise _refuse(name, f"{name} is not a number", f"{name} 不是数字") from None
    if not math.isfinite(value):
        raise _refuse(name, f"{name} is not a finite number", f"{name} 不是有限数值")
    return value


def parse_filing(params: Mapping[str, str]) -> Filing:
    """The filing a POST's parameters describe, or ValidationFailed naming the parameter.

    A position is required (address_string alone is not geocoded); the address is appended to
    the description. first_name/last_name and phone are the caller's private contact; email,
    device_id and account_id are not kept."""
    code = _text(params, "service_code", 60)
    if not code:
        raise _refuse("service_code", "service_code is required", "缺少 service_code（事件类别）")
    lat, lon = _coordinate(params, "lat"), _coordinate(params, "long")
    description = _text(params, "description", 3800)
    address = _text(params, "address_string", 190)
    if address:
        description = f"{description}\n地址：{address}".strip()
    if not description:
        raise _refuse("description", "description is required", "缺少诉求内容（description）")
    name = (_text(params, "last_name", 30) + _text(params, "first_name", 30)).strip()
    media = _text(params, "media_url", 500) or None
    if media is not None and not MEDIA_URL.match(media):
        raise _refuse("media_url", "media_url must be an http(s) URL of at most 500 characters",
                      "media_url 须为 http(s) 链接，最长 500 个字符")  # fmt: skip
    return Filing(
        service_code=code, lon=lon, lat=lat, description=description, caller_name=name,
        caller_phone=_text(params, "phone", 30), media_url=media,
    )  # fmt: skip


def statuses_of(value: str | None) -> tuple[str, ...] | None:
    """The report statuses an Open311 `status` list (open, closed, comma separated) means."""
    if value is None or not value.strip():
        return None
    wanted: list[str] = []
    for word in (w.strip().lower() for w in value.split(",")):
        if word == "open":
            wanted += OPEN_STATUSES
        elif word == "closed":
            wanted += CLOSED_STATUSES
        else:
            raise _refuse("status", f"unknown status {word[:20]!r}: open or closed",
                          "status 只能是 open 或 closed（可用逗号分隔）")  # fmt: skip
    return tuple(dict.fromkeys(wanted))


def request_ids_of(value: str | None) -> tuple[str, ...] | None:
    """The report ids of a `service_request_id` list (comma separated UUIDs)."""
    if value is None or not value.strip():
        return None
    ids = [w.strip() for w in value.split(",") if w.strip()]
    if len(ids) > MAX_IDS:
        raise _refuse("service_request_id", f"at most {MAX_IDS} ids",
                      f"service_request_id 最多 {MAX_IDS} 个")  # fmt: skip
    try:
        return tuple(str(uuid.UUID(i)) for i in ids)
    except ValueError:
        raise _refuse("service_request_id", "service_request_id takes comma-separated UUIDs",
                      "service_request_id 须为逗号分隔的事件编号") from None  # fmt: skip


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"
