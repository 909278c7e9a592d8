"""The record's parsing and rules, the flags, the score sheet and the grades (no database)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from gis_data.demo_companies import last_quarters
from service.domain.assessment import (
    GradeFloors,
    Item,
    ScoreError,
    best_and_worst,
    combine,
    grade_for,
    quarter_of,
    weighted_total,
)
from service.domain.record_changes import plan_changes
from service.domain.record_flags import FlagRules, flags_of, party_coverage, year_target
from service.domain.records import BY_NAME, FieldError, display, parse_value

RECORD = {
    "property_service_mode": "quasi",
    "property_company": None,
    "owners_committee_status": "established",
    "owners_committee_registered_on": date(2020, 1, 1),
    "owners_committee_term_end": date(2025, 1, 1),
    "owners_committee_party_share": Decimal("0.400"),
    "party_org_status": "none",
    "renovation_eligible": True,
    "renovation_status": "not_listed",
    "renovation_planned_year": None,
    "renovation_items": [],
    "maintenance_fund_ratio": Decimal("0.250"),
    "build_year": 1998,
    "note": None,
}


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("property_service_mode", "准物业", "quasi"),
        ("property_service_mode", "quasi", "quasi"),
        ("owners_committee_status", "居委会代行", "residents_committee_acting"),
        ("owners_committee_party_share", "55%", Decimal("0.550")),
        ("owners_committee_party_share", 0.6, Decimal("0.600")),
        ("renovation_items", "供水、电动车充电", ["water", "ev_charging"]),
        ("renovation_items", ["gas", "燃气"], ["gas"]),
        ("has_property_office", "是", True),
        ("owners_committee_term_end", datetime(2027, 5, 1, 0, 0), date(2027, 5, 1)),
        ("property_officer_phone", 13800138000, "13800138000"),
        ("owners_committee_members", 7.0, 7),
        ("note", "  ", None),
    ],
)
def test_values_parse_from_codes_labels_and_cells(field, raw, expected) -> None:
    assert parse_value(BY_NAME[field], raw) == expected


@pytest.mark.parametrize(
    ("field", "raw", "says"),
    [
        ("property_service_mode", "托管", "不是可选值"),
        ("property_service_mode", "", "不能为空"),
        ("owners_committee_party_share", 1.2, "0–1"),
        ("owners_committee_party_share", "NaN", "数字"),
        ("owners_committee_members", 3.5, "整数"),
        ("owners_committee_members", 120, "0–99"),
        ("renovation_planned_year", 1999, "2000–2100"),
        ("owners_committee_term_end", "31/12/2027", "YYYY-MM-DD"),
        ("property_officer_phone", "phone me", "电话"),
        ("has_property_office", "maybe", "是"),
        ("note", "长" * 2001, "2000"),
    ],
)
def test_bad_values_are_refused_in_chinese_naming_the_field(field, raw, says) -> None:
    with pytest.raises(FieldError) as caught:
        parse_value(BY_NAME[field], raw)
    assert caught.value.field == field
    assert caught.value.message_zh.startswith(BY_NAME[field].label_zh)
    assert says in caught.value.message_zh


def test_plan_keeps_only_real_changes_and_checks_rules_across_fields() -> None:
    plan = plan_changes(RECORD, {"maintenance_fund_ratio": "25%", "party_org_status": "党小组"})
    assert plan.changes == {"party_org_status": "party_group"}
    plan = plan_changes(RECORD, {"property_company": "某物业"})
    assert [e.field for e in plan.errors] == ["property_company"]  # quasi has no company
    plan = plan_changes(RECORD, {"renovation_status": "planned"})
    assert [e.field for e in plan.errors] == ["renovation_planned_year"]
    # an unrelated edit is not blocked by a rule the stored record already breaks
    broken = {**RECORD, "owners_committee_term_end": date(2019, 1, 1)}
    assert plan_changes(broken, {"note": "x"}).errors == []
    # 改造内容 is a set: the same items in another order are no change, a new set is kept
    # in the vocabulary's order whatever order it was given in
    stored = {**RECORD, "renovation_items": ["water", "telecom", "gas"]}
    assert plan_changes(stored, {"renovation_items": "燃气、供水、通信线路"}).changes == {}
    plan = plan_changes(stored, {"renovation_items": "通信线路、供水"})
    assert plan.changes == {"renovation_items": ["water", "telecom"]}


def test_display_uses_chinese_labels() -> None:
    assert display("property_service_mode", "emergency_custody") == "应急托管"
    assert display("renovation_items", ["water", "fitness"]) == "供水、健身"
    assert display("has_property_office", False) == "否"
    assert display("maintenance_fund_ratio", Decimal("0.300")) == "0.3"


def test_flags() -> None:
    rules = FlagRules()
    today = date(2026, 12, 5)
    assert flags_of(RECORD, rules, today) == [
        "fund_low",
        "term_due",
        "party_share_low",
        "renovation_unplanned",
    ]
    fine = {
        **RECORD,
        "maintenance_fund_ratio": Decimal("0.3"),
        "owners_committee_term_end": date(2027, 1, 1),
        "owners_committee_party_share": Decimal("0.5"),
        "renovation_status": "planned",
    }
    assert flags_of(fine, rules, today) == []
    # a committee registered within three years needs 60%
    new = {**fine, "owners_committee_registered_on": date(2025, 3, 1)}
    assert flags_of(new, rules, today) == ["party_share_low"]
    # no committee in office: no term or share flags
    none = {**RECORD, "owners_committee_status": "residents_committee_acting"}
    assert "term_due" not in flags_of(none, rules, today)


def test_year_targets_and_party_coverage() -> None:
    targets = {2025: 0.8, 2026: 0.9, 2027: 1.0}
    assert year_target(targets, 2024) is None
    assert year_target(targets, 2026) == 0.9
    assert year_target(targets, 2030) == 1.0
    view = party_coverage(10, 8, 0.9)
    assert view["rate"] == 0.8 and view["meets_target"] is False
    assert party_coverage(0, 0, 0.9)["rate"] is None


ITEMS = [Item("quality", "服务质量", Decimal(60)), Item("safety", "安全", Decimal(40))]


def test_weighted_total_and_refusals() -> None:
    assert weighted_total(ITEMS, {"quality": 90, "safety": 80}) == Decimal("86.00")
    with pytest.raises(ScoreError, match="safety"):
        weighted_total(ITEMS, {"quality": 90})
    with pytest.raises(ScoreError) as caught:
        weighted_total(ITEMS, {"quality": 90, "safety": 101})
    assert caught.value.item == "safety"
    with pytest.raises(ScoreError):
        weighted_total(ITEMS, {"quality": 90, "safety": 80, "bribes": 100})


def test_combine_grades_ranks_and_lists() -> None:
    sheets = [
        {"company_id": 1, "total": Decimal("95")},
        {"company_id": 1, "total": Decimal("90")},
        {"company_id": 2, "total": Decimal("55")},
        {"company_id": 3, "total": Decimal("82")},
    ]
    graded = combine(sheets, GradeFloors())
    assert [(g["company_id"], g["grade"], g["rank"]) for g in graded] == [
        (1, "A", 1),
        (3, "B", 2),
        (2, "D", 3),
    ]
    assert graded[0]["score"] == Decimal("92.50")
    best, worst = best_and_worst(graded, 10)
    assert [b["company_id"] for b in best] == [1, 3] and [w["company_id"] for w in worst] == [2]
    assert grade_for(60, GradeFloors()) == "C" and grade_for(59.99, GradeFloors()) == "D"


def test_quarters() -> None:
    assert quarter_of(date(2026, 12, 5)) == "2026Q4"
    assert quarter_of(date(2026, 1, 1)) == "2026Q1"
    assert last_quarters(date(2026, 12, 5), 2) == ["2026Q2", "2026Q3"]
    assert last_quarters(date(2026, 2, 1), 2) == ["2025Q3", "2025Q4"]


@pytest.mark.parametrize(
    ("committees", "with_org", "target", "short", "meets"),
    [
        (10, 8, 0.9, 1, False),
        (10, 9, 0.9, 0, True),
        (24, 16, 0.8, 4, False),  # 0.8 × 24 = 19.2: twenty committees are needed
        (7, 7, 1.0, 0, True),
        (0, 0, 0.9, 0, None),  # no committee: nothing to cover
        (10, 3, None, 0, None),  # a year before any target
    ],
)
def test_party_coverage_says_how_far_from_the_target(committees, with_org, target, short, meets):
    view = party_coverage(committees, with_org, target)
    assert view["short_of_target"] == short
    assert view["meets_target"] is meets


def test_party_coverage_totals_add_the_units() -> None:
    from service.domain.record_flags import party_coverage_totals

    units = [{"committees": 10, "with_party_org": 9}, {"committees": 5, "with_party_org": 2}]
    total = party_coverage_totals(units, 0.9)
    assert (total["committees"], total["with_party_org"], total["rate"]) == (15, 11, 0.7333)
    assert total["short_of_target"] == 3


def test_export_labels_are_the_records_words() -> None:
    from service.domain.export_formats import LAYERS
    from service.domain.export_labels import label_value, layer_schema
    from service.domain.records import FIELDS

    for f in FIELDS:
        for code, zh in (f.labels or {}).items():
            if f.kind == "enum":
                assert label_value(f.name, code) == zh, (f.name, code)
    assert label_value("renovation_items", "water,ev_charging") == "供水、电动车充电"
    assert label_value("renovation_items", "") == ""
    assert label_value("households", 12) == 12
    schema = layer_schema(LAYERS["residential_areas"], "urn:x")
    props = schema["properties"]
    assert set(props) == {f.name for f in LAYERS["residential_areas"].fields} | {"geometry"}
    assert all(p["title"] for p in props.values())
    committee = {o["const"]: o["title"] for o in props["owners_committee_status"]["oneOf"]}
    assert committee == dict(BY_NAME["owners_committee_status"].labels or {})
    assert props["geometry"]["format"] == "geometry-multipolygon"
