"""Exported values in words people read (?labels=zh), times in Beijing time, file CRSs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from service.domain.export_formats import LayerInfo

BEIJING = ZoneInfo("Asia/Shanghai")
LABEL_CHOICES = ("code", "zh")
# formats whose readers are people with a spreadsheet: Chinese labels unless asked otherwise
ZH_BY_DEFAULT = ("csv",)

STATUS_ZH = {
    "reported": "已上报",
    "accepted": "已受理",
    "rejected": "已驳回",
    "dispatched": "已派遣",
    "in_progress": "处置中",
    "handled": "已处置",
    "verified": "已核查",
    "closed": "已销号",
    "active": "在用",
    "retired": "已撤销",
    "open": "进行中",
    "ended": "已结束",
}
VALUE_ZH: dict[str, dict[str, str]] = {
    "status": STATUS_ZH,
    "property_service_mode": {
        "professional": "专业物业",
        "large_scale": "大物业",
        "quasi": "准物业",
        "unit_self": "单位自管",
        "owner_self": "业主自管",
        "emergency_custody": "应急托管",
        "none": "无物业",
    },
    "party_org_status": {
        "own_branch": "独立党支部",
        "joint_branch": "联建党支部",
        "party_group": "党小组",
        "instructor_only": "仅党建指导员",
        "none": "无党组织",
    },
    "owners_committee_status": {
        "established": "已成立业委会",
        "interim_committee": "物管会代行",
        "none": "未成立",
    },
    "renovation_status": {
        "not_listed": "未列入",
        "planned": "已列入计划",
        "in_progress": "改造中",
        "completed": "已完工",
        "accepted": "已验收",
    },
}

# The coordinate system written into GeoPackage / Shapefile files. GCJ-02 has no EPSG code:
# it is declared as its own geographic CRS so no GIS takes it for WGS84.
GCJ02_WKT = (
    'GEOGCS["GCJ-02 (WGS84 with the Chinese offset; not for survey use)",'
    'DATUM["GCJ_02_offset_of_WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)
FILE_CRS = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": GCJ02_WKT}


def default_labels(fmt: str) -> str:
    return "zh" if fmt in ZH_BY_DEFAULT else "code"


def label_value(field: str, value: Any) -> Any:
    """The Chinese word for a coded value of `field` (other values unchanged)."""
    words = VALUE_ZH.get(field)
    if words is None or not isinstance(value, str):
        return value
    return words.get(value, value)


def beijing_time(value: datetime) -> str:
    """ISO 8601 in Asia/Shanghai with its offset (+08:00)."""
    return value.astimezone(BEIJING).isoformat()


def relabel_row(info: LayerInfo, values: Sequence[Any]) -> list[Any]:
    """One exported row's values with coded values in words."""
    return [label_value(f.name, v) for f, v in zip(info.fields, values, strict=False)]


def relabel_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature's properties with coded values in words."""
    return {k: label_value(k, v) for k, v in props.items()}
