"""The editable 小区 record: its fields, Chinese labels, enumerations and validation (pure).

One table of fields serves the PATCH API, the 小区 page, the .xlsx sheet (headers and
drop-downs) and the exports' labels, so the four never disagree about what a value means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

PROPERTY_SERVICE_MODE_ZH: Final = {
    "professional": "专业物业",
    "large_scale": "大物业",
    "quasi": "准物业",
    "unit_self": "单位自管（后勤式）",
    "owner_self": "业主自管",
    "emergency_custody": "应急托管",
    "none": "无物业",
}
OWNERS_COMMITTEE_STATUS_ZH: Final = {
    "established": "业主委员会",
    "interim_committee": "物业管理委员会",
    "residents_committee_acting": "居委会代行",
    "none": "未成立",
}
PARTY_ORG_STATUS_ZH: Final = {
    "own_branch": "独立党支部",
    "joint_branch": "联建党支部",
    "party_group": "党小组",
    "instructor_only": "仅派驻党建指导员",
    "none": "无",
}
RENOVATION_STATUS_ZH: Final = {
    "not_listed": "未列入",
    "planned": "已列入计划",
    "in_progress": "改造中",
    "completed": "已完工",
    "accepted": "已验收",
}
RENOVATION_ITEM_ZH: Final = {
    "water": "供水",
    "power": "供电",
    "gas": "燃气",
    "heating": "供暖",
    "drainage": "排水",
    "telecom": "通信线路",
    "parking": "停车",
    "ev_charging": "电动车充电",
    "greening": "绿化",
    "smart_management": "智慧管理",
    "property_office": "物业用房",
    "elderly_care": "养老",
    "childcare": "托育",
    "fitness": "健身",
}
BOOL_ZH: Final = {True: "是", False: "否"}
# Modes under which a company serves the 小区 (the database refuses a company otherwise).
COMPANY_MODES: Final = ("professional", "large_scale", "emergency_custody")
PHONE_RE = re.compile(r"^[0-9+() -]{5,20}$")


@dataclass(frozen=True)
class RecordField:
    """One editable attribute: API name, kind, Chinese label and, for enumerations, labels."""

    name: str
    kind: str  # enum | str | phone | date | int | share | ratio | bool | items | company
    label_zh: str
    labels: dict[Any, str] | None = None
    low: int | None = None
    high: int | None = None


FIELDS: Final[tuple[RecordField, ...]] = (
    RecordField("property_service_mode", "enum", "物业服务模式", PROPERTY_SERVICE_MODE_ZH),
    RecordField("property_company", "company", "物业服务企业"),
    RecordField("property_officer_name", "str", "物管员", high=50),
    RecordField("property_officer_phone", "phone", "物管员电话"),
    RecordField("owners_committee_status", "enum", "业委会状态", OWNERS_COMMITTEE_STATUS_ZH),
    RecordField("owners_committee_registered_on", "date", "业委会备案日期"),
    RecordField("owners_committee_term_end", "date", "业委会任期届满"),
    RecordField("owners_committee_members", "int", "业委会人数", low=0, high=99),
    RecordField("owners_committee_party_share", "share", "业委会党员比例"),
    RecordField("party_org_status", "enum", "党组织", PARTY_ORG_STATUS_ZH),
    RecordField("renovation_eligible", "bool", "纳入改造范围", BOOL_ZH),
    RecordField("renovation_status", "enum", "改造状态", RENOVATION_STATUS_ZH),
    RecordField("renovation_planned_year", "int", "改造计划年度", low=2000, high=2100),
    RecordField("renovation_items", "items", "改造内容", RENOVATION_ITEM_ZH),
    RecordField("has_property_office", "bool", "物业用房", BOOL_ZH),
    RecordField("maintenance_fund_ratio", "ratio", "维修资金余额比例"),
    RecordField("note", "str", "备注", high=2000),
)
BY_NAME: Final = {f.name: f for f in FIELDS}


class FieldError(ValueError):
    """A value refused for one field, with the reason in Chinese for the person who typed it."""

    def __init__(self, field: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message_zh = message_zh
        self.message = message


def _fail(f: RecordField, zh: str, en: str) -> FieldError:
    return FieldError(f.name, f"{f.label_zh}：{zh}", f"{f.name}: {en}")


def parse_value(f: RecordField, raw: Any) -> Any:
    """The stored value for `raw` (API JSON or a spreadsheet cell), or FieldError."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return _empty(f)
    parser = _PARSERS[f.kind]
    return parser(f, raw)


def _empty(f: RecordField) -> Any:
    if f.kind == "enum":
        raise _fail(f, "不能为空", "may not be empty")
    if f.kind == "bool":
        return False
    if f.kind == "items":
        return []
    return None


def _enum(f: RecordField, raw: Any) -> str:
    assert f.labels is not None
    text = str(raw).strip()
    if text in f.labels:
        return text
    for code, label in f.labels.items():
        if text == label:
            return str(code)
    allowed = "、".join(str(v) for v in f.labels.values())
    raise _fail(f, f"“{text[:40]}”不是可选值（可选：{allowed}）", f"{text[:40]!r} is not allowed")


def _str(f: RecordField, raw: Any) -> str:
    text = str(raw).strip()
    if f.high is not None and len(text) > f.high:
        raise _fail(f, f"不能超过 {f.high} 个字", f"longer than {f.high} characters")
    return text


def _phone(f: RecordField, raw: Any) -> str:
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))  # a spreadsheet may keep a phone number as a number
    if not PHONE_RE.match(text):
        raise _fail(f, "电话号码格式不正确", "not a phone number")
    return text


def _date(f: RecordField, raw: Any) -> date:
    if isinstance(raw, date):
        return raw if type(raw) is date else raw.date()  # type: ignore[attr-defined]
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise _fail(f, "日期格式应为 YYYY-MM-DD", "expected a YYYY-MM-DD date") from None


def _int(f: RecordField, raw: Any) -> int:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise _fail(f, "应为整数", "expected an integer") from None
    if value != value.to_integral_value() or isinstance(raw, bool):
        raise _fail(f, "应为整数", "expected an integer")
    number = int(value)
    if (f.low is not None and number < f.low) or (f.high is not None and number > f.high):
        raise _fail(f, f"应在 {f.low}–{f.high} 之间", f"outside {f.low}..{f.high}")
    return number


def _decimal(f: RecordField, raw: Any, *, percent_ok: bool) -> Decimal:
    text = str(raw).strip()
    scale = Decimal(1)
    if percent_ok and text.endswith("%"):
        text, scale = text[:-1], Decimal(100)
    try:
        value = Decimal(text) / scale
    except InvalidOperation:
        raise _fail(f, "应为数字（如 0.35 或 35%）", "expected a number") from None
    if not value.is_finite() or isinstance(raw, bool):
        raise _fail(f, "应为数字（如 0.35 或 35%）", "expected a number")
    return value


def _share(f: RecordField, raw: Any) -> Decimal:
    value = _decimal(f, raw, percent_ok=True)
    if not Decimal(0) <= value <= Decimal(1):
        raise _fail(f, "应在 0–1 之间（或 0%–100%）", "outside 0..1")
    return value.quantize(Decimal("0.001"))


def _ratio(f: RecordField, raw: Any) -> Decimal:
    value = _decimal(f, raw, percent_ok=True)
    if not Decimal(0) <= value < Decimal(1000):
        raise _fail(f, "应为不小于 0 的比例", "must be a ratio of at least 0")
    return value.quantize(Decimal("0.001"))


def _bool(f: RecordField, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("是", "true", "1", "yes"):
        return True
    if text in ("否", "false", "0", "no"):
        return False
    raise _fail(f, "应为“是”或“否”", "expected yes or no")


def _items(f: RecordField, raw: Any) -> list[str]:
    assert f.labels is not None
    parts = raw if isinstance(raw, list) else re.split(r"[、,，;；\s]+", str(raw))
    by_label = {v: k for k, v in f.labels.items()}
    out: list[str] = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        code = part if part in f.labels else by_label.get(part)
        if code is None:
            raise _fail(f, f"“{part[:20]}”不是改造内容可选项", f"unknown item {part[:20]!r}")
        if code not in out:
            out.append(str(code))
    order = list(f.labels)
    return sorted(out, key=order.index)  # one order for the same set, the vocabulary's


def _company(f: RecordField, raw: Any) -> str:
    return _str(RecordField(f.name, "str", f.label_zh, high=200), raw)


_PARSERS = {
    "enum": _enum,
    "str": _str,
    "phone": _phone,
    "date": _date,
    "int": _int,
    "share": _share,
    "ratio": _ratio,
    "bool": _bool,
    "items": _items,
    "company": _company,
}


def check_record(record: dict[str, Any]) -> list[FieldError]:
    """Rules across fields, on the record as it would be after the change."""
    errors: list[FieldError] = []
    if record.get("property_company") and record["property_service_mode"] not in COMPANY_MODES:
        errors.append(
            _fail(
                BY_NAME["property_company"],
                "只有专业物业、大物业或应急托管的小区可填写物业服务企业",
                "a company needs mode professional, large_scale or emergency_custody",
            )
        )
    start, end = (
        record.get("owners_committee_registered_on"),
        record.get("owners_committee_term_end"),
    )
    if start and end and end < start:
        errors.append(
            _fail(BY_NAME["owners_committee_term_end"], "不能早于备案日期", "before registration")
        )
    if record.get("renovation_status") == "planned" and not record.get("renovation_planned_year"):
        errors.append(
            _fail(
                BY_NAME["renovation_planned_year"],
                "已列入计划的小区须填写计划年度",
                "a planned renovation needs its year",
            )
        )
    return errors


def display(name: str, value: Any) -> str:
    """A stored value as a person reads it (history rows, the sheet, exports)."""
    f = BY_NAME.get(name)
    if value is None or value == "":
        return ""
    if f is not None and f.kind == "items":
        return "、".join(RENOVATION_ITEM_ZH.get(v, v) for v in value)
    if f is not None and f.labels is not None:
        return f.labels.get(value, str(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def history_text(name: str, value: Any) -> str | None:
    """How a value is kept in the attribute history (codes, as the demo history keeps them)."""
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
