"""Export layers and formats as plain data: field lists, file naming, cell neutralising."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from service.domain.vocabulary import STATUSES

FORMATS: dict[str, str] = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "shp.zip": "application/zip",
}
CRS_CHOICES = ("wgs84", "gcj02", "cgcs2000")
# Spreadsheets treat a cell starting with these as a formula (CSV injection); a leading tab or
# carriage return can hide one from the eye and some importers strip it before evaluating.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class FieldSpec:
    """One exported attribute: its name, type, and the ≤ 10-character Shapefile name."""

    name: str
    kind: str  # str | int | float | bool | datetime
    short: str
    title_zh: str = ""

    def __post_init__(self) -> None:
        if len(self.short) > 10:
            raise ValueError(f"shapefile field name too long: {self.short}")


@dataclass(frozen=True)
class LayerInfo:
    """What a person and a client need to know about an exported layer."""

    name: str
    title_zh: str
    geometry_type: str
    id_field: str
    fields: tuple[FieldSpec, ...]
    has_time: bool = False
    statuses: tuple[str, ...] = field(default=())

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


def _f(name: str, kind: str, short: str | None = None, zh: str = "") -> FieldSpec:
    return FieldSpec(name, kind, short or name[:10], zh)


_CODE = _f("code", "str", zh="编码")
_NAME = _f("name", "str", zh="名称")
REPORT_STATUSES = STATUSES

LAYERS: dict[str, LayerInfo] = {
    "streets": LayerInfo(
        "streets",
        "街道/镇",
        "MultiPolygon",
        "code",
        (_CODE, _NAME, _f("district_code", "str", "dist_code", "区县编码")),
    ),
    "communities": LayerInfo(
        "communities",
        "社区/村",
        "MultiPolygon",
        "code",
        (_CODE, _NAME, _f("street_code", "str", "strt_code", "街道编码")),
    ),
    "residential_areas": LayerInfo(
        "residential_areas",
        "小区",
        "MultiPolygon",
        "code",
        (
            _CODE,
            _NAME,
            _f("community_code", "str", "comm_code", "社区编码"),
            _f("households", "int", "househlds", "户数"),
            _f("buildings", "int", "buildings", "楼栋数"),
            _f("build_year", "int", "build_year", "建成年份"),
            _f("property_service_mode", "str", "psm", "物业服务模式"),
            _f("owners_committee_status", "str", "oc_status", "业委会"),
            _f("party_org_status", "str", "party_org", "党组织"),
            _f("renovation_status", "str", "renov_stat", "老旧小区改造"),
            _f("has_property_office", "bool", "prop_offic", "物业用房"),
            # the full record kept by communities and streets (docs/records.md), with the
            # enumerations also in Chinese
            _f("property_service_mode_zh", "str", "psm_zh", "物业服务模式（中文）"),
            _f("property_company", "str", "company", "物业服务企业"),
            _f("company_grade", "str", "co_grade", "企业信用等级"),
            _f("property_officer_name", "str", "officer", "物管员"),
            _f("property_officer_phone", "str", "off_tel", "物管员电话"),
            _f("owners_committee_status_zh", "str", "oc_zh", "业委会状态（中文）"),
            _f("owners_committee_registered_on", "str", "oc_reg", "业委会备案日期"),
            _f("owners_committee_term_end", "str", "oc_term", "业委会任期届满"),
            _f("owners_committee_members", "int", "oc_members", "业委会人数"),
            _f("owners_committee_party_share", "float", "oc_party", "业委会党员比例"),
            _f("party_org_status_zh", "str", "party_zh", "党组织（中文）"),
            _f("renovation_eligible", "bool", "renov_elig", "纳入改造范围"),
            _f("renovation_status_zh", "str", "renov_zh", "改造状态（中文）"),
            _f("renovation_planned_year", "int", "renov_year", "改造计划年度"),
            _f("renovation_items", "str", "renov_item", "改造内容"),
            _f("maintenance_fund_ratio", "float", "fund_ratio", "维修资金余额比例"),
            _f("note", "str", "note", "备注"),
            _f("version", "int", "version", "记录版本"),
        ),
    ),
    "grid_cells": LayerInfo(
        "grid_cells",
        "网格",
        "MultiPolygon",
        "code",
        (
            _CODE,
            _f("community_code", "str", "comm_code", "社区编码"),
            _f("households", "int", "househlds", "户数"),
            _f("status", "str", "status", "状态"),
        ),
        has_time=True,
        statuses=("active", "retired"),
    ),
    "reports": LayerInfo(
        "reports",
        "事件",
        "Point",
        "id",
        (
            _f("id", "str", zh="编号"),
            _f("category_code", "str", "category", "类别"),
            _f("category_name", "str", "cat_name", "类别名称"),
            _f("description", "str", "descr", "描述"),
            _f("status", "str", "status", "状态"),
            _f("grid_code", "str", "grid_code", "网格编码"),
            _f("community_code", "str", "comm_code", "社区编码"),
            _f("street_code", "str", "strt_code", "街道编码"),
            _f("accuracy_m", "float", "accuracy_m", "定位精度(米)"),
            _f("created_at", "datetime", "created_at", "上报时间"),
            _f("deadline_at", "datetime", "deadline", "处置时限"),
            _f("closed_at", "datetime", "closed_at", "销号时间"),
        ),
        has_time=True,
        statuses=REPORT_STATUSES,
    ),
    "patrols": LayerInfo(
        "patrols",
        "巡查",
        "LineString",
        "id",
        (
            _f("id", "str", zh="编号"),
            _f("worker", "str", "worker", "网格员"),
            _f("grid_code", "str", "grid_code", "网格编码"),
            _f("community_code", "str", "comm_code", "社区编码"),
            _f("started_at", "datetime", "started_at", "开始时间"),
            _f("ended_at", "datetime", "ended_at", "结束时间"),
            _f("note", "str", "note", "备注"),
            _f("status", "str", "status", "状态"),
        ),
        has_time=True,
        statuses=("open", "ended"),
    ),
}


def neutralise_cell(value: object) -> str:
    """A CSV cell as text; text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        from service.domain.export_labels import beijing_time

        return beijing_time(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return formula_guarded(text) if isinstance(value, str) else text


def formula_guarded(text: str) -> str:
    """`text` as a cell a spreadsheet shows and never runs: a ' before a formula's first sign.

    The layer exports and the table downloads (meetings, the assessment, coverage) share it.
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_filename(layer: str, fmt: str, crs: str, stamp: str) -> str:
    """File name saying what is inside, including the coordinate system."""
    return f"wangge_{layer}_{crs}_{stamp}.{fmt}"


def crs_label(crs: str) -> str:
    """Human-readable coordinate system label written into file metadata."""
    if crs == "gcj02":
        return "GCJ-02 (Amap/Tencent; not for survey use; no EPSG code)"
    if crs == "cgcs2000":
        return "CGCS2000 lon/lat (EPSG:4490; within centimetres of WGS84)"
    return "WGS84 lon/lat (EPSG:4326)"
