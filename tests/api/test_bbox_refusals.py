"""Every route that takes a bbox refuses NaN, infinities and junk with the same 422, whose body
is valid JSON naming the field (a NaN used to reach SQL, answer 500 and break the error body)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service.domain.bbox import parse_bbox
from service.errors import ValidationFailed

BAD_BOXES = [
    "nan,34.7,113.7,34.8",
    "113.6,NaN,113.7,34.8",
    "113.6,34.7,inf,34.8",
    "-inf,34.7,113.7,34.8",
    "113.6,34.7,113.7,infinity",
    "1e400,34.7,113.7,34.8",
    "113.7,34.7,113.6,34.8",  # inverted
    "113.6,34.7,113.7",  # three numbers
    "113.6,34.7,113.7,34.8,1",  # five
    "a,b,c,d",
    "200,34.7,201,34.8",  # out of range
]
# One URL per bbox parser in the app: map reports, the report list, exports and OGC items.
ROUTES = [
    "/api/map/reports?zoom=16&bbox={}",
    "/api/reports?bbox={}",
    "/api/exports/reports.geojson?bbox={}",
    "/ogc/collections/reports/items?bbox={}",
]


@pytest.mark.parametrize("raw", BAD_BOXES)
def test_parser_refuses_non_finite_and_junk(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_bbox(raw)
    body = refused.value.body()
    json.dumps(body, allow_nan=False)  # the error body must be serialisable
    assert body["detail"]["where"]["field"] == "bbox"


def test_parser_accepts_a_box_and_applies_the_area_cap() -> None:
    assert parse_bbox("113.6,34.7,113.7,34.8") == (113.6, 34.7, 113.7, 34.8)
    with pytest.raises(ValidationFailed, match="larger"):
        parse_bbox("100,20,110,30", max_area=4.0)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("raw", ["nan,34.7,113.7,34.8", "113.6,34.7,inf,34.8", "a,b,c,d"])
def test_every_bbox_route_answers_422(
    client: TestClient, auth_headers: dict[str, dict[str, str]], route: str, raw: str
) -> None:
    r = client.get(route.format(raw), headers=auth_headers["admin"])
    assert r.status_code == 422, f"{route}: {r.status_code} {r.text[:300]}"
    detail = r.json()["detail"]
    assert detail["where"]["field"] == "bbox" and detail["message_zh"]
