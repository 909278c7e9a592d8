"""From what a person typed to the changes of one 小区 record, or the reasons it is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.domain.records import BY_NAME, FieldError, check_record, parse_value


@dataclass
class Plan:
    """The changes (field → new value) and refusals for one record."""

    changes: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        return Decimal(str(old)) == Decimal(str(new))
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, list) and isinstance(new, list):
        return set(old) == set(new)  # items (改造内容) are a set: their order is not a change
    return bool(old == new)


def plan_changes(record: dict[str, Any], raw: dict[str, Any]) -> Plan:
    """Parse every given field, keep the ones that differ, then check the rules across fields."""
    plan = Plan()
    after = dict(record)
    for name, value in raw.items():
        spec = BY_NAME.get(name)
        if spec is None:
            plan.errors.append(
                FieldError(name, f"未知字段：{name[:40]}", f"unknown field {name!r}")
            )
            continue
        try:
            parsed = parse_value(spec, value)
        except FieldError as exc:
            plan.errors.append(exc)
            continue
        if not _same(record.get(name), parsed):
            plan.changes[name] = parsed
            after[name] = parsed
    if not plan.errors:
        touched = set(plan.changes)
        plan.errors.extend(e for e in check_record(after) if _concerns(e, touched))
    return plan


def _concerns(error: FieldError, touched: set[str]) -> bool:
    """A cross-field rule refuses a change only if the change is part of it.

    A record already out of line (e.g. demo data) must not block an unrelated edit.
    """
    related = {
        "property_company": {"property_company", "property_service_mode"},
        "owners_committee_term_end": {
            "owners_committee_term_end",
            "owners_committee_registered_on",
        },
        "renovation_planned_year": {"renovation_planned_year", "renovation_status"},
    }
    return bool(related.get(error.field, {error.field}) & touched)
