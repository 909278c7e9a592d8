"""Integrity findings about grid cells: what is wrong, with which codes, where (zh + en)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REASONS: dict[str, tuple[str, str]] = {
    "invalid_geometry": ("geometry is not a valid polygon", "网格几何无效"),
    "outside_community": ("cell reaches outside its community", "网格超出所属社区范围"),
    "overlap": ("cells overlap", "网格相互重叠"),
    "gap": ("part of the community is in no cell", "社区内有区域不属于任何网格"),
    "community_without_cells": ("community has no grid cells", "社区尚未划分网格"),
    "residential_area_not_covered": ("小区 not fully covered by cells", "小区未被网格完全覆盖"),
    "residential_area_split_unrecorded": (
        "小区 lies in several cells without a split record",
        "小区跨多个网格但没有拆分记录",
    ),
    "no_primary_worker": ("cell has no primary grid worker", "网格没有专职网格员"),
    "households_below_min": ("fewer households than the minimum", "网格户数低于下限"),
    "households_above_max": ("more households than the maximum", "网格户数高于上限"),
    "duplicate_code": ("code used by more than one active cell", "网格编码重复"),
    "code_not_in_community": (
        "code does not start with its community's code",
        "网格编码与所属社区编码不符",
    ),
    "check_incomplete": (
        "a check could not be completed (geometry engine error)",
        "该项检查因几何计算出错未能完成",
    ),
}


@dataclass
class Finding:
    kind: str
    codes: list[str]
    community: str
    location: dict[str, Any] | None  # GeoJSON Point
    geometry: dict[str, Any] | None = None  # GeoJSON of the problem area, when it has one
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        en, zh = REASONS[self.kind]
        failed = (
            REASONS.get(str(self.detail.get("check"))) if self.kind == "check_incomplete" else None
        )
        if failed is not None:  # name the check that could not run
            en, zh = f"{en}: {failed[0]}", f"{zh}：{failed[1]}"
        return {
            "kind": self.kind,
            "codes": self.codes,
            "community": self.community,
            "reason": en,
            "reason_zh": zh,
            "location": self.location,
            "geometry": self.geometry,
            "detail": self.detail,
        }


def findings_geojson(findings: list[Finding]) -> dict[str, Any]:
    """Findings as a GeoJSON FeatureCollection for the map (geometry, else the location)."""
    features = []
    for f in findings:
        geom = f.geometry or f.location
        features.append({"type": "Feature", "geometry": geom, "properties": f.as_dict()})
    return {"type": "FeatureCollection", "features": features}
