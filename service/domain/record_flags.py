"""Flags the seeds ask for on a 小区 record, and party coverage over owners' committees (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

FLAG_ZH: Final = {
    "fund_low": "维修资金低于首期归集30%，需续筹",
    "term_due": "业委会任期届满，应换届",
    "party_share_low": "业委会党员比例低于目标",
    "renovation_unplanned": "符合改造条件但未列入计划",
}
# Committees that exist in some form; 居委会代行 is not a committee of owners.
COMMITTEES: Final = ("established", "interim_committee")
# A party organisation proper (an instructor alone is not one).
PARTY_ORGS: Final = ("own_branch", "joint_branch", "party_group")


@dataclass(frozen=True)
class FlagRules:
    """The thresholds, from settings."""

    fund_floor: float = 0.30
    party_share_target: float = 0.50
    party_share_target_new: float = 0.60
    new_committee_months: int = 36
    renovation_cutoff_year: int = 2005


def rules_from(records: Any, renovation_cutoff_year: int) -> FlagRules:
    """FlagRules from the records' settings (service.settings.RecordSettings)."""
    return FlagRules(
        fund_floor=records.maintenance_fund_floor,
        party_share_target=records.committee_party_share_target,
        party_share_target_new=records.committee_party_share_target_new,
        new_committee_months=records.new_committee_months,
        renovation_cutoff_year=renovation_cutoff_year,
    )


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def party_share_target(record: Mapping[str, Any], rules: FlagRules, today: date) -> float:
    """50%, or 60% for a committee registered within the last `new_committee_months`."""
    registered = record.get("owners_committee_registered_on")
    if registered and _months_between(registered, today) < rules.new_committee_months:
        return rules.party_share_target_new
    return rules.party_share_target


def is_renovation_eligible(record: Mapping[str, Any], rules: FlagRules) -> bool:
    """Marked eligible, or built before the cut-off year."""
    year = record.get("build_year")
    return bool(record.get("renovation_eligible")) or (
        year is not None and year < rules.renovation_cutoff_year
    )


def flags_of(record: Mapping[str, Any], rules: FlagRules, today: date) -> list[str]:
    """The flag codes that apply to one record, in FLAG_ZH order."""
    found = []
    fund = record.get("maintenance_fund_ratio")
    if fund is not None and Decimal(str(fund)) < Decimal(str(rules.fund_floor)):
        found.append("fund_low")
    in_office = record.get("owners_committee_status") in COMMITTEES
    term_end = record.get("owners_committee_term_end")
    if in_office and term_end is not None and term_end <= today:
        found.append("term_due")
    share = record.get("owners_committee_party_share")
    if in_office and share is not None:
        if float(share) < party_share_target(record, rules, today):
            found.append("party_share_low")
    if is_renovation_eligible(record, rules) and record.get("renovation_status") == "not_listed":
        found.append("renovation_unplanned")
    return found


def year_target(targets: Mapping[int, float], year: int) -> float | None:
    """The target for `year`: the entry of the latest year not after it (None before any)."""
    years = sorted(y for y in targets if y <= year)
    return targets[years[-1]] if years else None


def party_coverage(committees: int, with_party_org: int, target: float | None) -> dict[str, Any]:
    """Party organisation coverage as the seeds count it: over owners' committees, with how
    many more committees need a party organisation to reach the target."""
    rate = round(with_party_org / committees, 4) if committees else None
    needed = 0 if target is None else _ceil(target * committees - 1e-9)
    return {
        "committees": committees,
        "with_party_org": with_party_org,
        "rate": rate,
        "target": target,
        "meets_target": None if rate is None or target is None else rate >= target,
        "short_of_target": max(0, needed - with_party_org),
    }


def party_coverage_totals(
    units: Sequence[Mapping[str, Any]], target: float | None
) -> dict[str, Any]:
    """The coverage of the whole jurisdiction from its units' counts (units partition it)."""
    committees = sum(int(u["committees"]) for u in units)
    with_party_org = sum(int(u["with_party_org"]) for u in units)
    return party_coverage(committees, with_party_org, target)


def _ceil(value: float) -> int:
    whole = int(value)
    return whole if whole >= value else whole + 1
