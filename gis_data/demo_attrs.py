"""Seeded attributes of the demo 小区 and property companies, and their change history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from gis_data import demo_names
from gis_data.demo_city import Territory

RENOVATION_ITEMS = {
    "basic": ("water", "power", "gas", "heating", "drainage", "telecom"),
    "improvement": ("parking", "ev_charging", "greening", "smart_management", "property_office"),
    "upgrade": ("elderly_care", "childcare", "fitness"),
}
COMPANY_MODES = ("professional", "large_scale", "emergency_custody")
_MODES_NEW = (
    ("professional", 0.72),
    ("large_scale", 0.1),
    ("quasi", 0.05),
    ("owner_self", 0.04),
    ("emergency_custody", 0.03),
    ("none", 0.06),
)
_MODES_OLD = (
    ("professional", 0.28),
    ("large_scale", 0.14),
    ("quasi", 0.24),
    ("unit_self", 0.12),
    ("owner_self", 0.08),
    ("emergency_custody", 0.04),
    ("none", 0.1),
)
_PARTY_KINDS = (
    ("own_branch", 0.45),
    ("joint_branch", 0.25),
    ("party_group", 0.15),
    ("instructor_only", 0.15),
)
_RENOVATION = (
    ("not_listed", 0.22),
    ("planned", 0.25),
    ("in_progress", 0.2),
    ("completed", 0.17),
    ("accepted", 0.16),
)
_BEFORE = {"in_progress": "planned", "completed": "in_progress", "accepted": "completed"}


@dataclass
class AreaAttributes:
    """One 小区's attribute row (column name -> value), plus its last change time."""

    values: dict[str, object]
    updated_at: datetime
    changes: list[tuple[str, str | None, str | None, datetime]] = field(default_factory=list)


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*table, strict=True)
    p = np.asarray(weights) / sum(weights)
    return str(names[int(rng.choice(len(names), p=p))])


def build_companies(rng: np.random.Generator, n: int = 20) -> list[tuple[str, str, str]]:
    """Property companies: name, credit grade (A-D), list status (a few red/black/grey)."""
    grades = rng.choice(["A", "B", "C", "D"], size=n, p=[0.3, 0.4, 0.2, 0.1])
    lists = ["none"] * n
    order = rng.permutation(n)
    for k, status, grade in (
        (0, "red", "A"),
        (1, "red", "A"),
        (2, "black", "D"),
        (3, "black", "D"),
        (4, "grey", "C"),
    ):
        lists[order[k]], grades[order[k]] = status, grade
    names = demo_names.company_names(n, rng)
    return [(names[i], str(grades[i]), lists[i]) for i in range(n)]


def party_rates(n_streets: int, rng: np.random.Generator) -> np.ndarray:
    """Party organisation coverage per street: from ~50% to ~92%, shuffled."""
    return rng.permutation(np.linspace(0.5, 0.92, n_streets))


def build_attributes(
    t: Territory, rng: np.random.Generator, now: datetime, n_companies: int, cutoff_year: int
) -> list[AreaAttributes]:
    """Attributes for every 小区 of the territory, in the territory's order."""
    street_rate = dict(
        zip([s[0] for s in t.streets], party_rates(len(t.streets), rng), strict=True)
    )
    company_weight = rng.pareto(1.5, n_companies) + 0.2
    company_p = company_weight / company_weight.sum()
    out = []
    for _code, _name, c_code, _geom, year in t.areas:
        old = year < cutoff_year
        v = _basics(rng, year, old)
        mode = _pick(rng, _MODES_OLD if old else _MODES_NEW)
        v["property_service_mode"] = mode
        v["property_company"] = (
            int(rng.choice(n_companies, p=company_p)) if (mode in COMPANY_MODES) else None
        )
        v["has_property_office"] = bool(rng.random() < (0.8 if mode in COMPANY_MODES else 0.3))
        v.update(_committee(rng, old))
        rate = street_rate[c_code[:9]]
        v["party_org_status"] = _pick(rng, _PARTY_KINDS) if rng.random() < rate else "none"
        v.update(_renovation(rng, old, now.year))
        attrs = AreaAttributes(v, now - timedelta(days=float(rng.uniform(30, 700))))
        _history(attrs, rng, now)
        out.append(attrs)
    return out


def _basics(rng: np.random.Generator, year: int, old: bool) -> dict[str, object]:
    households = int(np.clip(rng.lognormal(np.log(220 if old else 480), 0.55), 80, 1500))
    per_building = rng.integers(18, 48) if old else rng.integers(60, 140)
    fund = rng.uniform(0.0, 0.6) if old else rng.uniform(0.15, 1.3)
    return {
        "households": households,
        "buildings": max(1, int(round(households / per_building))),
        "build_year": year,
        "renovation_eligible": old,
        "maintenance_fund_ratio": None if rng.random() < 0.05 else round(float(fund), 3),
    }


def _committee(rng: np.random.Generator, old: bool) -> dict[str, object]:
    status = _pick(
        rng,
        (
            ("established", 0.45 if old else 0.65),
            ("interim_committee", 0.2),
            ("none", 0.35 if old else 0.15),
        ),
    )
    share = None if status == "none" else round(float(rng.uniform(0.2, 0.85)), 3)
    return {"owners_committee_status": status, "owners_committee_party_share": share}


def _renovation(rng: np.random.Generator, old: bool, this_year: int) -> dict[str, object]:
    status = _pick(rng, _RENOVATION) if old else "not_listed"
    items: list[str] = []
    year = None
    if status != "not_listed":
        year = (
            this_year + int(rng.integers(0, 3))
            if status == "planned"
            else (this_year - int(rng.integers(0, 4)))
        )
        basic = RENOVATION_ITEMS["basic"]
        items += list(rng.choice(basic, size=int(rng.integers(2, len(basic) + 1)), replace=False))
        items += list(
            rng.choice(RENOVATION_ITEMS["improvement"], size=int(rng.integers(1, 4)), replace=False)
        )
        items += list(
            rng.choice(RENOVATION_ITEMS["upgrade"], size=int(rng.integers(0, 3)), replace=False)
        )
    return {
        "renovation_status": status,
        "renovation_planned_year": year,
        "renovation_items": [str(i) for i in items],
    }


def _history(a: AreaAttributes, rng: np.random.Generator, now: datetime) -> None:
    """Changes over the last year that led to today's values (coverage rises over time)."""
    v = a.values

    def when() -> datetime:
        return now - timedelta(days=float(rng.uniform(1, 360)), hours=float(rng.uniform(0, 9)))

    if v["party_org_status"] != "none" and rng.random() < 0.45:
        a.changes.append(("party_org_status", "none", str(v["party_org_status"]), when()))
    if v["property_service_mode"] in ("quasi", "emergency_custody") and rng.random() < 0.7:
        a.changes.append(("property_service_mode", "none", str(v["property_service_mode"]), when()))
    if v["owners_committee_status"] == "established" and rng.random() < 0.3:
        a.changes.append(("owners_committee_status", "interim_committee", "established", when()))
    status = str(v["renovation_status"])
    if status in _BEFORE and rng.random() < 0.8:
        a.changes.append(("renovation_status", _BEFORE[status], status, when()))
    if a.changes:
        a.updated_at = max(c[3] for c in a.changes)
