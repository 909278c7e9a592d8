"""Coverage rates, targets, rankings and month-by-month reconstruction (pure; no SQL)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.domain.export_formats import formula_guarded

INDICATORS = ("property_service", "party_org", "owners_committee", "renovation")
LEVELS = ("district", "street", "community")


@dataclass(frozen=True)
class Covered:
    """When a 小区 counts as covered: its `column` holds one of `values` (or, with `negate`,
    none of them); renovation also needs the 小区 to be old enough to be eligible."""

    column: str
    values: tuple[str, ...]
    negate: bool = False


COVERED: dict[str, Covered] = {
    "property_service": Covered("property_service_mode", ("none",), negate=True),
    "party_org": Covered("party_org_status", ("none",), negate=True),
    "owners_committee": Covered("owners_committee_status", ("established", "interim_committee")),
    "renovation": Covered("renovation_status", ("completed", "accepted")),
}
INDICATOR_ZH = {
    "property_service": "物业服务覆盖",
    # every 小区 with a party organisation or at least an instructor (党的工作覆盖); the seeds'
    # party organisation coverage over owners' committees is record_flags.party_coverage
    "party_org": "党的工作覆盖（含党建指导员）",
    "owners_committee": "业委会（物管会）组建",
    "renovation": "老旧小区改造完成",
}
LEVEL_ZH = {"district": "区县", "street": "街道", "community": "社区"}


def targets_from(policy: Any) -> dict[str, float]:
    """Targets per indicator from the policy settings (`target_*`)."""
    return {
        "property_service": policy.target_property_service_coverage,
        "party_org": policy.target_party_org_coverage,
        "owners_committee": policy.target_owners_committee_coverage,
        "renovation": policy.target_renovation_coverage,
    }


def rate(part: int, whole: int) -> float | None:
    """part/whole rounded to 4 places; None when there is nothing to cover."""
    return round(part / whole, 4) if whole else None


def indicator_view(row: Mapping[str, Any], name: str, target: float) -> dict[str, Any]:
    """One indicator of one unit: counts, both rates, the target and the gap to it."""
    if name == "renovation":
        base_areas, base_hh = row["eligible_areas"], row["eligible_households"]
    else:
        base_areas, base_hh = row["areas"], row["households"]
    areas, hh = row[f"{name}_areas"], row[f"{name}_households"]
    by_areas = rate(areas, base_areas)
    view: dict[str, Any] = {
        "covered_areas": areas,
        "base_areas": base_areas,
        "covered_households": int(hh),
        "base_households": int(base_hh),
        "rate_by_areas": by_areas,
        "rate_by_households": rate(int(hh), int(base_hh)),
        "target": target,
        "meets_target": None if by_areas is None else by_areas >= target,
        "areas_short_of_target": max(0, _ceil(target * base_areas) - areas),
    }
    if name == "renovation":
        view["planned_areas"] = row["planned"]
        view["in_progress_areas"] = row["in_progress"]
    return view


def _ceil(value: float) -> int:
    whole = int(value)
    return whole if whole >= value - 1e-9 else whole + 1


def unit_view(row: Mapping[str, Any], targets: Mapping[str, float]) -> dict[str, Any]:
    """A unit (district/street/community) with every indicator."""
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "areas": row["areas"],
        "households": int(row["households"]),
        "indicators": {n: indicator_view(row, n, targets[n]) for n in INDICATORS},
    }


def score(unit: Mapping[str, Any]) -> float:
    """Ranking score: mean over indicators of rate/target (capped at 1), missing ones skipped."""
    parts = []
    for view in unit["indicators"].values():
        if view["rate_by_areas"] is None:
            continue
        target = view["target"] or 1.0
        parts.append(min(1.0, view["rate_by_areas"] / target))
    return round(sum(parts) / len(parts), 4) if parts else 0.0


def rank(units: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Units best first, with 1-based ranks (ties share a rank)."""
    scored = sorted(
        ({**u, "score": score(u)} for u in units), key=lambda u: (-u["score"], u["code"])
    )
    previous: float | None = None
    position = 0
    for index, unit in enumerate(scored, start=1):
        if unit["score"] != previous:
            position, previous = index, unit["score"]
        unit["rank"] = position
    return scored


def month_starts(today: date, months: int) -> list[date]:
    """The first day of each of the last `months` months, oldest first, ending with today's."""
    year, month = today.year, today.month
    out = []
    for _ in range(months):
        out.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def reconstruct_months(
    totals: Mapping[str, Any],
    changes: Iterable[Mapping[str, Any]],
    months: list[date],
    targets: Mapping[str, float],
) -> list[dict[str, Any]]:
    """Covered counts at the end of each month: today's count minus later net changes."""
    by_month = {row["month"].date().replace(day=1): row for row in changes}
    out = []
    for start in months:
        later = [row for m, row in by_month.items() if m > start]
        point: dict[str, Any] = {"month": start.strftime("%Y-%m"), "indicators": {}}
        for name in INDICATORS:
            base_a = totals["eligible_areas"] if name == "renovation" else totals["areas"]
            base_h = totals["eligible_households"] if name == "renovation" else totals["households"]
            areas = totals[f"{name}_areas"] - sum(int(r[f"{name}_areas"] or 0) for r in later)
            hh = int(totals[f"{name}_households"]) - sum(
                int(r[f"{name}_households"] or 0) for r in later
            )
            point["indicators"][name] = {
                "covered_areas": areas,
                "rate_by_areas": rate(areas, base_a),
                "covered_households": hh,
                "rate_by_households": rate(hh, int(base_h)),
                "target": targets[name],
            }
        out.append(point)
    return out


CSV_HEADER = ["层级", "代码", "名称", "小区数", "户数"] + [
    f"{INDICATOR_ZH[n]}{suffix}"
    for n in INDICATORS
    for suffix in ("（小区）", "率（小区）", "率（户）", "目标")
]


def coverage_csv(level: str, units: Iterable[Mapping[str, Any]]) -> str:
    """CSV text (the caller adds the UTF-8 BOM) for a spreadsheet."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for unit in units:
        row = [
            LEVEL_ZH[level],
            unit["code"],
            formula_guarded(unit["name"]),
            unit["areas"],
            unit["households"],
        ]
        for name in INDICATORS:
            v = unit["indicators"][name]
            row += [v["covered_areas"], _pct(v["rate_by_areas"]), _pct(v["rate_by_households"])]
            row.append(_pct(v["target"]))
        writer.writerow(row)
    return buf.getvalue()


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"
