"""Open311 rules on plain values: a filing's parameters, the status and id lists, XML text."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from service.api.open311_format import to_xml
from service.domain.open311 import parse_filing, request_ids_of, statuses_of
from service.domain.vocabulary import CLOSED_STATUSES, OPEN_STATUSES
from service.errors import ValidationFailed

BASE = {"service_code": "cooking_fumes", "lat": "34.77", "long": "113.66", "description": "油烟"}


def test_a_filing_keeps_the_contact_and_appends_the_address() -> None:
    f = parse_filing({**BASE, "address_string": "花园路 8 号", "last_name": "张",
                      "first_name": "三", "phone": "138 0000 1111", "email": "z@x.cn"})  # fmt: skip
    assert (f.lon, f.lat, f.service_code) == (113.66, 34.77, "cooking_fumes")
    assert f.description == "油烟\n地址：花园路 8 号"
    assert (f.caller_name, f.caller_phone, f.media_url) == ("张三", "138 0000 1111", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_code": ""}, "service_code"),
        ({"lat": ""}, "lat"),
        ({"long": "east"}, "long"),
        ({"lat": "inf"}, "lat"),
        ({"description": ""}, "description"),
        ({"description": "x" * 3801}, "description"),
        ({"media_url": "ftp://x/a.jpg"}, "media_url"),
        ({"media_url": "https://x/a b.jpg"}, "media_url"),
    ],
)
def test_a_bad_parameter_is_named(change: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_filing({**BASE, **change})
    assert refused.value.where == {"field": field} and refused.value.message_zh


def test_status_and_id_lists() -> None:
    assert statuses_of(None) is None and statuses_of(" ") is None
    assert statuses_of("open") == OPEN_STATUSES
    assert set(statuses_of("Closed, open") or ()) == set(OPEN_STATUSES + CLOSED_STATUSES)
    with pytest.raises(ValidationFailed):
        statuses_of("open,pending")
    rid = "0b5e8a3c-3d1f-4f57-9a59-0c7c1d6c2d11"
    assert request_ids_of(f"{rid}, {rid.upper()}") == (rid, rid)
    with pytest.raises(ValidationFailed):
        request_ids_of("1,2")
    with pytest.raises(ValidationFailed):
        request_ids_of(",".join([rid] * 101))


def test_xml_escapes_text_and_drops_what_xml_cannot_carry() -> None:
    doc = ET.fromstring(to_xml("service_requests", "request",
                               [{"description": "<b>&\x01</b>", "media_url": None}]))  # fmt: skip
    assert doc.findtext("request/description") == "<b>&</b>"
    assert doc.findtext("request/media_url") == ""
