"""One definition per word: statuses, "open", roles and China's extent come from the vocabulary
module, the migrations' literal copies still match it, and the demo city numbers its grid cells
by the product's rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from gis_data.demo_city import build_territory
from gis_data.demo_scale import DemoScale
from service.api.report_schemas import Status
from service.domain import vocabulary as v
from service.domain.bbox import parse_bbox
from service.domain.case_queues import CASE_STATUSES, FINISHED_STATUSES
from service.domain.grid_codes import cell_code, order_cells
from service.domain.grid_geometry import LocalFrame
from service.domain.policy import ALL_ROLES
from service.domain.principal import ROLES
from service.errors import ValidationFailed

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _in_list(migration: str, pattern: str) -> tuple[str, ...]:
    text = (MIGRATIONS / migration).read_text(encoding="utf-8")
    found = re.search(pattern, text)
    assert found, pattern
    return tuple(re.findall(r"'(\w+)'", found.group(1)))


def test_open_has_one_meaning() -> None:
    assert v.OPEN_STATUSES == tuple(s for s in v.STATUSES if s not in ("rejected", "closed"))
    assert set(v.UNRESOLVED_STATUSES) < set(v.OPEN_STATUSES)
    assert set(v.AWAITING_HANDLING) < set(v.UNRESOLVED_STATUSES)
    assert get_args(Status) == v.STATUSES


def test_partial_indexes_cover_the_queries_that_use_them() -> None:
    # the map's open reports (index of 010) and escalation (index of 005)
    assert _in_list("010_map_open_reports.py", r'OPEN = "([^"]*)"') == v.OPEN_STATUSES
    assert _in_list("005_field_reporting.py", r"WHERE status IN \(([^)]*)\)") == v.AWAITING_HANDLING
    # the case queues' indexes (015) and the queues that read them
    assert _in_list("015_cases.py", r'CASE_OPEN = "([^"]*)"') == v.OPEN_STATUSES
    assert set(_in_list("015_cases.py", r'FINISHED = "([^"]*)"')) == set(v.CLOSED_STATUSES)
    assert CASE_STATUSES == v.OPEN_STATUSES and FINISHED_STATUSES == v.CLOSED_STATUSES


def test_roles_and_extent_are_defined_once() -> None:
    assert ROLES is v.ROLES and ALL_ROLES is v.ROLES
    migration = (MIGRATIONS / "0001_core_schema.py").read_text(encoding="utf-8")
    assert f"CHINA_BBOX = {v.CHINA_BBOX}" in migration


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("113.6,34.7,113.7,34.8", True),
        ("1,2,3", False),
        ("nan,34.7,113.7,34.8", False),
        ("113.7,34.7,113.6,34.8", False),
        ("100,20,110,30", False),  # 100 square degrees, over the limit
    ],
)
def test_one_bbox_parser(text: str, ok: bool) -> None:
    if ok:
        assert parse_bbox(text, max_area=4.0) == tuple(float(x) for x in text.split(","))
        return
    with pytest.raises(ValidationFailed) as refused:
        parse_bbox(text, max_area=4.0)
    assert refused.value.where == {"field": "bbox", "value": text}


def test_demo_cells_are_numbered_by_the_product_rule() -> None:
    small = DemoScale(
        streets=2,
        communities_per_street=2,
        residential_areas=30,
        grid_cells=24,
        reports=10,
        patrols=2,
    )
    city = build_territory(small, 410105)
    for c_code, _, _, geom in city.communities:
        cells = [(code, g) for code, comm, g, _ in city.cells if comm == c_code]
        frame = LocalFrame.around(geom)
        order = order_cells([frame.to_metric(g) for _, g in cells], frame.to_metric(geom))
        expected = [cell_code(c_code, seq) for seq in range(1, len(cells) + 1)]
        assert [cells[i][0] for i in order] == expected, c_code


def test_the_pages_status_labels_are_the_exports_and_no_page_has_its_own() -> None:
    """The browser's one copy of the report status labels (/static/common.js) says what the
    exports say, and no other page script writes a status label of its own."""
    from service.domain.export_labels import STATUS_ZH

    static = Path(__file__).resolve().parents[2] / "map_ui" / "static"
    common = (static / "common.js").read_text(encoding="utf-8")
    block = re.search(r"STATUS_ZH = Object\.freeze\(\{(.*?)\}\)", common, re.S)
    assert block, "STATUS_ZH not found in common.js"
    labels = dict(re.findall(r'(\w+): "([^"]+)"', block.group(1)))
    assert labels == {s: STATUS_ZH[s] for s in v.STATUSES}
    for script in static.rglob("*.js"):
        if script.name != "common.js":
            text = script.read_text(encoding="utf-8")
            assert not re.search(r"\bin_progress:\s*\"", text), f"{script} labels statuses itself"
