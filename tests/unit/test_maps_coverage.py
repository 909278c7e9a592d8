"""Pure parts of coverage statistics and the tile cache (no database)."""

from __future__ import annotations

from datetime import date, datetime

from map_ui.map_page import script_json
from service.domain import coverage
from service.domain.tile_cache import JurisdictionHints, TileCache

TARGETS = {"property_service": 1.0, "party_org": 0.9, "owners_committee": 0.8, "renovation": 1.0}


def row(**over):
    base = {
        "id": 1,
        "code": "410105001",
        "name": "街道",
        "areas": 10,
        "households": 1000,
        "eligible_areas": 4,
        "eligible_households": 400,
        "planned": 1,
        "in_progress": 1,
    }
    for name in coverage.INDICATORS:
        base[f"{name}_areas"] = 5
        base[f"{name}_households"] = 500
    base["renovation_areas"], base["renovation_households"] = 2, 150
    return {**base, **over}


def test_unit_view_rates_gap_and_renovation_base() -> None:
    view = coverage.unit_view(row(), TARGETS)
    party = view["indicators"]["party_org"]
    assert party["rate_by_areas"] == 0.5 and party["areas_short_of_target"] == 4
    assert party["meets_target"] is False
    renovation = view["indicators"]["renovation"]
    assert renovation["base_areas"] == 4 and renovation["rate_by_households"] == 0.375
    empty = coverage.unit_view(
        row(areas=0, households=0, eligible_areas=0, eligible_households=0), TARGETS
    )
    assert empty["indicators"]["property_service"]["rate_by_areas"] is None
    assert empty["indicators"]["property_service"]["meets_target"] is None


def test_rank_shares_positions_on_ties() -> None:
    units = [
        coverage.unit_view(row(id=i, code=f"c{i}", property_service_areas=a), TARGETS)
        for i, a in ((1, 5), (2, 10), (3, 10))
    ]
    ranked = coverage.rank(units)
    assert [u["id"] for u in ranked] == [2, 3, 1]
    assert [u["rank"] for u in ranked] == [1, 1, 3]


def test_month_starts_cross_the_year() -> None:
    assert coverage.month_starts(date(2026, 2, 15), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_reconstruct_subtracts_later_changes() -> None:
    totals = row()
    changes = [
        {
            "month": datetime(2026, 2, 1),
            **{f"{n}_{k}": 0 for n in coverage.INDICATORS for k in ("areas", "households")},
            "party_org_areas": 2,
            "party_org_households": 200,
        }
    ]
    months = coverage.month_starts(date(2026, 2, 15), 3)
    points = coverage.reconstruct_months(totals, changes, months, TARGETS)
    assert [p["indicators"]["party_org"]["covered_areas"] for p in points] == [3, 3, 5]


def test_csv_neutralises_formulas() -> None:
    unit = coverage.unit_view(row(name="=HYPERLINK(1)"), TARGETS)
    text = coverage.coverage_csv("street", [unit])
    assert "'=HYPERLINK(1)" in text and text.splitlines()[1].startswith("街道")


def test_tile_cache_evicts_least_recent_by_bytes() -> None:
    cache = TileCache(max_bytes=10)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"  # a is now the most recent
    cache.put("c", b"123")
    assert cache.get("b") is None and cache.get("a") and cache.get("c")


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"user": "</script><script>alert(1)</script>"})
    assert "<" not in text and ">" not in text


def test_tile_cache_serves_a_tagged_entry_only_for_its_tag() -> None:
    cache = TileCache(max_bytes=100)
    cache.put("t", b"old", tag=(1, 2))
    assert cache.tag_of("t") == (1, 2) and cache.tag_of("missing") is None
    assert cache.get("t", tag=(1, 2)) == b"old"
    assert cache.get("t", tag=(1, 3)) is None  # the data changed since it was rendered
    assert cache.get("t") is None  # untagged lookups never see tagged entries


def test_tile_cache_of_size_zero_keeps_nothing() -> None:
    cache = TileCache(max_bytes=0)
    cache.put("t", b"", tag=(1,))
    assert cache.tag_of("t") is None and cache.get("t", tag=(1,)) is None


def test_jurisdiction_hints_are_bounded_least_recent_out() -> None:
    hints = JurisdictionHints(max_entries=2)
    hints["a"] = ("street_office", 1, 2, None, None)
    hints["b"] = ("district_bureau", 1, None, None, None)
    assert hints.get("a") is not None  # a is now the most recent
    hints["c"] = ("grid_worker", 1, 2, 3, None)
    assert hints.get("b") is None and hints.get("a") and hints.get("c")
