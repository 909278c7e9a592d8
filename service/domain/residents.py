"""Residents' voice (pure): intake channels, the caller's contact and its mask, return visits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

CHANNELS: Final = {
    "patrol": "网格巡查",
    "complaint": "居民投诉",
    "hotline": "12345 热线",
    "petition": "信访",
    "other": "其他",
}
# Cases a resident brought: they get a satisfaction return visit after 销号.
RESIDENT_CHANNELS: Final = frozenset({"complaint", "hotline", "petition", "other"})
# Who reads the caller's name and phone (for a case they may see); everyone else sees the mask.
CONTACT_ROLES: Final = frozenset(
    {"community_staff", "street_office", "district_bureau", "department", "admin"}
)
VISIT_RESULTS: Final = {"satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意"}
SATISFIED: Final = frozenset({"satisfied", "basically"})
# Mainland mobiles (1xx xxxx xxxx), landlines with area code (0xx(x)-xxxxxxx(x)), and
# 5-digit service numbers; separators (space, dash) are dropped before checking.
PHONE_RE: Final = re.compile(r"^(?:1[3-9][0-9]{9}|0[1-9][0-9]{1,2}[0-9]{7,8}|[0-9]{5,8})$")


class ContactRefused(ValueError):
    """A caller's contact that cannot be kept; `field` names it."""

    def __init__(self, field: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message_zh, self.message = field, message_zh, message


def normalise_phone(raw: str) -> str:
    """The phone number with separators removed; ContactRefused unless it looks like one."""
    phone = re.sub(r"[\s\-()（）+]", "", raw or "")
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if phone and not PHONE_RE.match(phone):
        raise ContactRefused("caller_phone", "联系电话格式不正确", "not a phone number")
    return phone


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits of a mobile, fewer of a short one."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    keep = max(1, len(phone) // 4)
    return phone[:keep] + "*" * (len(phone) - 2 * keep) + phone[-keep:]


def mask_name(name: str) -> str:
    """张** for 张三丰: the family name only."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_contact(name: str, phone: str) -> str | None:
    """What a reader without the right to the contact sees, or None when there is none."""
    masked = " ".join(p for p in (mask_name(name), mask_phone(phone)) if p)
    return masked or None


class VisitRefused(ValueError):
    """A return visit that cannot be recorded now; `field` names why."""

    def __init__(self, field: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message_zh, self.message = field, message_zh, message


@dataclass(frozen=True)
class VisitRequest:
    channel: str
    status: str
    closed_at: datetime | None
    last_visit_at: datetime | None
    result: str
    note: str
    reopen: bool


def check_return_visit(req: VisitRequest) -> None:
    """Raise VisitRefused unless this visit may be recorded on this case."""
    if req.channel not in RESIDENT_CHANNELS:
        raise VisitRefused(
            "channel", "只有居民来源的事件需要回访", "not a resident-originated case"
        )
    if req.status != "closed" or req.closed_at is None:
        raise VisitRefused("status", "事件尚未销号，不能回访", "the case is not closed")
    if req.last_visit_at is not None and req.last_visit_at >= req.closed_at:
        raise VisitRefused("report", "本次销号已回访过", "already visited since it was closed")
    if req.result not in VISIT_RESULTS:
        raise VisitRefused("result", "回访结果须为满意、基本满意或不满意", "unknown result")
    if req.reopen and req.result != "dissatisfied":
        raise VisitRefused("reopen", "只有不满意的回访可以重新办理", "only 不满意 reopens")
    if req.result == "dissatisfied" and not req.note.strip():
        raise VisitRefused("note", "不满意须记录居民意见", "a 不满意 visit needs a note")
