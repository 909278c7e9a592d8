"""Turn the features of an import file into a plan, rule by rule (see boundary_rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from service.domain.boundary_rules import (
    CODE_PATTERNS,
    NEEDS_NAME,
    OVERLAP_M2,
    PARENT_CODE_LENGTH,
    Decision,
    Existing,
    Incoming,
    _where,
    attribute_changes,
    geometry_problems,
    is_sliver,
    outside_parent,
    overlap_m2,
    same_geometry,
)

INT_ATTRS = ("households", "buildings", "build_year")
REQUIRED_ON_ADD = {"residential_areas": ("households", "buildings")}


def _attribute_problems(layer: str, attrs: dict[str, Any]) -> list[str]:
    problems = []
    name = attrs.get("name")
    if layer in NEEDS_NAME and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 100):
        problems.append("name missing or longer than 100 characters (名称缺失或过长)")
    for key in INT_ATTRS:
        value = attrs.get(key)
        if value is not None and (not isinstance(value, int) or value < 0):
            problems.append(f"{key} must be a whole number ≥ 0 ({key} 应为非负整数)")
    year = attrs.get("build_year")
    if isinstance(year, int) and not 1900 <= year <= 2100:
        problems.append("build_year outside 1900–2100 (建成年份超出范围)")
    return problems


def _check_one(
    layer: str,
    f: Incoming,
    parents: dict[str, BaseGeometry],
    allowed_prefix: str | None,
    max_vertices: int,
) -> Decision:
    d = Decision(code=f.code, row=f.row, action="refused", feature=f, location=_where(f.geom))
    if not CODE_PATTERNS[layer].match(f.code or ""):
        d.reasons.append(f"code {f.code!r} is not well-formed for {layer} (编码格式错误)")
        return d
    if allowed_prefix and not f.code.startswith(allowed_prefix):
        d.reasons.append("outside your jurisdiction (不在管辖范围内)")
        return d
    d.reasons += _attribute_problems(layer, f.attrs)
    problems, where = geometry_problems(f.geom, max_vertices)
    if problems:
        d.reasons += problems
        d.location = where
        return d
    parent_code = f.code[: PARENT_CODE_LENGTH[layer]]
    parent = parents.get(parent_code)
    if parent is None:
        d.reasons.append(f"parent {parent_code} does not exist (上级 {parent_code} 不存在)")
    elif f.geom is not None and (spill := outside_parent(f.geom, parent)) is not None:
        d.reasons.append(f"extends more than 1 m outside parent {parent_code} (超出上级边界)")
        d.location = spill
    return d


def _classify_retired(d: Decision, retired_geom: BaseGeometry) -> None:
    """A retired cell's code: history carried unchanged by an export, otherwise refused."""
    f = d.feature
    assert f is not None and f.geom is not None
    d.action = "refused"
    if f.attrs.get("status") == "retired":
        if same_geometry(f.geom, retired_geom):
            d.action = "unchanged"
        else:
            d.reasons.append(
                f"grid cell {f.code} is retired and kept for history; it cannot be redrawn"
                " (已退役网格不可修改)"
            )
        return
    d.reasons.append(
        f"code {f.code} belongs to a retired grid cell and is never reused"
        f" (网格编码 {f.code} 已退役，不得复用)"
    )


def _classify(
    layer: str, d: Decision, existing: dict[str, Existing], retired: dict[str, BaseGeometry]
) -> None:
    f = d.feature
    assert f is not None and f.geom is not None
    if f.code in retired:
        _classify_retired(d, retired[f.code])
        return
    old = existing.get(f.code)
    if old is not None and f.attrs.get("status") == "retired":
        d.action = "refused"
        d.reasons.append(
            "an import cannot retire a cell; split or merge it on the grids page"
            " (网格只能通过拆分或合并退役)"
        )
        return
    if old is None:
        missing = [k for k in REQUIRED_ON_ADD.get(layer, ()) if f.attrs.get(k) is None]
        if missing:
            d.action = "refused"
            d.reasons.append(f"new feature needs {', '.join(missing)} (新增要素缺少字段)")
            return
        d.action = "added"
        return
    d.changed = attribute_changes(f.attrs, old.attrs, layer)
    if not same_geometry(f.geom, old.geom):
        d.changed.append("geometry")
    d.action = "changed" if d.changed else "unchanged"


def _check_overlaps(layer: str, decisions: list[Decision], existing: dict[str, Existing]) -> None:
    plen = PARENT_CODE_LENGTH[layer]
    final: dict[str, BaseGeometry] = {c: e.geom for c, e in existing.items()}
    # A feature whose only change is an attribute keeps its stored geometry (the file's copy
    # is merely equal within the round-trip tolerance), so it cannot overlap anything anew.
    moving = [
        d
        for d in decisions
        if d.action == "added" or (d.action == "changed" and "geometry" in d.changed)
    ]
    for d in moving:
        assert d.feature is not None and d.feature.geom is not None
        final[d.code] = d.feature.geom
    codes = list(final)
    tree = STRtree([final[c] for c in codes])
    for d in moving:
        geom = final[d.code]
        for i in tree.query(geom):
            other = codes[int(i)]
            if other == d.code or other[:plen] != d.code[:plen]:
                continue
            area, where = overlap_m2(geom, final[other])
            if area > OVERLAP_M2 and not is_sliver(geom, final[other]):
                d.action = "refused"
                d.reasons.append(f"overlaps {other} by {area:.0f} m² (与 {other} 重叠)")
                d.location = where
                break


def plan_import(
    layer: str,
    incoming: list[Incoming],
    existing: dict[str, Existing],
    parents: dict[str, BaseGeometry],
    *,
    allowed_prefix: str | None = None,
    max_vertices: int = 20_000,
    on_feature: Callable[[], None] | None = None,
    retired: dict[str, BaseGeometry] | None = None,
) -> list[Decision]:
    """One decision per incoming feature, in file order (`retired`: retired cells by code)."""
    seen: set[str] = set()
    decisions = []
    for f in incoming:
        d = _check_one(layer, f, parents, allowed_prefix, max_vertices)
        if f.code in seen:
            d.reasons.append(f"code {f.code} appears twice in the file (编码重复)")
        seen.add(f.code)
        if not d.reasons:
            _classify(layer, d, existing, retired or {})
        decisions.append(d)
        if on_feature is not None:
            on_feature()
    _check_overlaps(layer, decisions, existing)
    return decisions


def summarise(decisions: list[Decision]) -> dict[str, Any]:
    """Counts per action plus every decision that is not 'unchanged'."""
    counts = {a: 0 for a in ("added", "changed", "unchanged", "refused")}
    for d in decisions:
        counts[d.action] += 1
    return {
        "counts": counts,
        "features": [d.public() for d in decisions if d.action != "unchanged"],
    }
