"""Exported values in words people read (?labels=zh), times in Beijing time, file CRSs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from service.domain.export_formats import LayerInfo
from service.domain.records import (
    OWNERS_COMMITTEE_STATUS_ZH,
    PARTY_ORG_STATUS_ZH,
    PROPERTY_SERVICE_MODE_ZH,
    RENOVATION_ITEM_ZH,
    RENOVATION_STATUS_ZH,
)

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
# The 小区 record's enumerations in the words of the record itself (service/domain/records.py:
# the API, the 小区 page, the sheet and the *_zh export columns say the same).
VALUE_ZH: dict[str, dict[str, str]] = {
    "status": STATUS_ZH,
    "property_service_mode": dict(PROPERTY_SERVICE_MODE_ZH),
    "party_org_status": dict(PARTY_ORG_STATUS_ZH),
    "owners_committee_status": dict(OWNERS_COMMITTEE_STATUS_ZH),
    "renovation_status": dict(RENOVATION_STATUS_ZH),
}
# fields exported as a comma-separated list of codes
LIST_VALUE_ZH: dict[str, dict[str, str]] = {"renovation_items": dict(RENOVATION_ITEM_ZH)}

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
    if not isinstance(value, str):
        return value
    listed = LIST_VALUE_ZH.get(field)
    if listed is not None:
        return "、".join(listed.get(v, v) for v in value.split(",")) if value else value
    words = VALUE_ZH.get(field)
    return value if words is None else words.get(value, value)


def beijing_time(value: datetime) -> str:
    """ISO 8601 in Asia/Shanghai with its offset (+08:00)."""
    return value.astimezone(BEIJING).isoformat()


def relabel_row(info: LayerInfo, values: Sequence[Any]) -> list[Any]:
    """One exported row's values with coded values in words."""
    return [label_value(f.name, v) for f, v in zip(info.fields, values, strict=False)]


def relabel_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature's properties with coded values in words."""
    return {k: label_value(k, v) for k, v in props.items()}


_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def layer_schema(info: LayerInfo, schema_id: str) -> dict[str, Any]:
    """The layer's features as JSON Schema (OGC API – Features Part 5, "Schemas"): every
    property with its Chinese title, and coded values listed with their Chinese words."""
    properties: dict[str, Any] = {}
    for f in info.fields:
        prop: dict[str, Any] = {"title": f.title_zh or f.name}
        if f.kind == "datetime":
            prop.update(type="string", format="date-time")
        else:
            prop["type"] = _JSON_TYPES[f.kind]
        words = VALUE_ZH.get(f.name)
        if words is not None:
            prop["oneOf"] = [{"const": code, "title": zh} for code, zh in words.items()]
        listed = LIST_VALUE_ZH.get(f.name)
        if listed is not None:
            prop["description"] = "逗号分隔的编码：" + "，".join(
                f"{code} {zh}" for code, zh in listed.items()
            )
        if f.name == info.id_field:
            prop["x-ogc-role"] = "id"
        properties[f.name] = prop
    properties["geometry"] = {
        "title": "几何",
        "format": "geometry-" + info.geometry_type.lower(),
        "x-ogc-role": "primary-geometry",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": info.title_zh,
        "properties": properties,
    }
