"""Open311 GeoReport v2 filing: API keys made and revoked by the CLI, `POST requests` in JSON
and XML into the case loop as a resident's complaint, Open311's error format, the per-key rate
limit, GET filters, media_url, and the caller's phone never leaving through Open311 or exports."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from service.cli import app as cli
from tests.api.field_helpers import points_in_community_of

PHONE = "13987654321"
MASK = "139****4321"
PHOTO = "https://hotline.example.cn/media/a.jpg?x=1&y=2"


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "community1", 12, seed=311)


@pytest.fixture(scope="module")
def district_code(owner_engine) -> str:
    with owner_engine.connect() as conn:
        return str(
            conn.scalar(
                text(
                    "SELECT d.code FROM district d JOIN app_user u ON u.district_id = d.id"
                    " WHERE u.username = 'district'"
                )
            )
        )


def _cli(settings, *args: str):
    env = {
        "WANGGE_DATABASE_URL": settings.database.url,
        "WANGGE_MIGRATION_DATABASE_URL": settings.database.owner_url,
    }
    return CliRunner().invoke(cli, list(args), env=env)


def make_key(settings, district: str, *extra: str) -> tuple[str, str]:
    name = f"热线-{uuid.uuid4().hex[:8]}"
    r = _cli(settings, "open311", "create-key", name, "--district", district, *extra)
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[0]
    assert key.startswith("w311_") and len(key) > 40
    return name, key


@pytest.fixture(scope="module")
def key(settings, district_code) -> str:
    return make_key(settings, district_code, "--per-minute", "1000")[1]


def filing(spot, key: str, **extra: str) -> dict[str, str]:
    return {
        "api_key": key,
        "service_code": "fire_lane_blocked",
        "lat": str(spot[1]),
        "long": str(spot[0]),
        "description": "热线：消防通道被堵 <b>x</b>",
        "address_string": "金水路 1 号",
        "last_name": "李",
        "first_name": "四",
        "phone": "139 8765 4321",
        "email": "li@example.cn",
        **extra,
    }


def test_post_json_files_a_complaint_in_the_loop(
    client, auth_headers, owner_engine, spots, key
) -> None:
    r = client.post("/open311/v2/requests.json", data=filing(spots[0], key, media_url=PHOTO))
    assert r.status_code == 201, r.text
    [answer] = r.json()
    rid = answer["service_request_id"]
    assert answer["service_notice"].startswith("已登记")
    case = client.get(f"/api/cases/{rid}", headers=auth_headers["street1"]).json()
    assert case["status"] == "reported" and case["channel"] == "complaint"
    assert case["history"][0]["note"] == "登记来源：居民投诉"
    assert case["media_url"] == PHOTO  # staff see the caller's photo link on the case page
    assert case["description"] == "热线：消防通道被堵 <b>x</b>\n地址：金水路 1 号"
    assert case["caller"] == {"masked": False, "name": "李四", "phone": PHONE,
                              "display": f"李四 {PHONE}"}  # fmt: skip
    worker = client.get(f"/api/cases/{rid}", headers=auth_headers["worker1"])
    assert worker.status_code == 200 and PHONE not in worker.text and "李四" not in worker.text
    with owner_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT u.username, u.is_active, a.action FROM report r"
                " JOIN app_user u ON u.id = r.reporter_id"
                " JOIN audit_log a ON a.object_id = r.id::text WHERE r.id = :id"
            ),
            {"id": rid},
        ).one()
        stored = conn.scalar(text("SELECT count(*) FROM open311_key WHERE key_sha256 = :k"),
                             {"k": key})  # fmt: skip
    assert row.username.startswith("open311-") and row.is_active is False
    assert row.action == "complaint:create" and stored == 0  # only the hash is kept
    # Open311 shows the caller's media_url, never the phone, the name or the mask
    got = client.get(
        "/open311/v2/requests.json",
        params={"service_request_id": rid},
        headers=auth_headers["district"],
    )
    assert got.status_code == 200 and got.json()[0]["media_url"] == PHOTO
    x, y = spots[0]
    bbox = f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"
    for who, path, params in [
        ("district", "/open311/v2/requests.json", {}),
        ("district", f"/open311/v2/requests/{rid}.xml", {}),
        ("district", "/api/exports/reports.csv", {"bbox": bbox}),
        ("planner", "/ogc/collections/reports/items", {"bbox": bbox, "limit": 1000}),
        ("worker1", "/open311/v2/requests.json", {}),
    ]:
        seen = client.get(path, params=params, headers=auth_headers[who])
        assert seen.status_code == 200, (path, seen.text[:300])
        assert rid in seen.text, path
        assert PHONE not in seen.text and MASK not in seen.text and "李四" not in seen.text, path


def test_post_xml_with_a_key_for_other(client, auth_headers, settings, district_code,
                                       spots) -> None:  # fmt: skip
    _, other = make_key(settings, district_code, "--channel", "other")
    body = filing(spots[1], other)
    del body["api_key"]
    r = client.post("/open311/v2/requests.xml", data=body, headers={"X-Api-Key": other})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("text/xml")
    rid = ET.fromstring(r.content).findtext("request/service_request_id")
    assert rid
    case = client.get(f"/api/cases/{rid}", headers=auth_headers["district"]).json()
    assert case["channel"] == "other"
    one = client.get(f"/open311/v2/requests/{rid}.xml", headers=auth_headers["district"])
    doc = ET.fromstring(one.content)
    assert doc.tag == "service_requests"
    assert doc.findtext("request/service_code") == "fire_lane_blocked"
    assert doc.findtext("request/description").startswith("热线：消防通道被堵 <b>x</b>")
    assert doc.findtext("request/media_url") == ""
    services = client.get("/open311/v2/services.xml", headers=auth_headers["district"])
    codes = [s.findtext("service_code") for s in ET.fromstring(services.content)]
    assert "fire_lane_blocked" in codes
    # a JSON body is accepted as well
    r = client.post("/open311/v2/requests.json", json=filing(spots[2], other))
    assert r.status_code == 201, r.text


def test_missing_bad_and_revoked_keys(client, settings, district_code, spots) -> None:
    body = filing(spots[3], "")
    r = client.post("/open311/v2/requests.json", data=body)
    assert r.status_code == 401
    assert r.json()[0]["code"] == 401 and "api_key" in r.json()[0]["description"]
    r = client.post("/open311/v2/requests.xml", data=filing(spots[3], "w311_nope"))
    assert r.status_code == 403
    error = ET.fromstring(r.content)
    assert error.tag == "errors" and error.findtext("error/code") == "403"
    assert "api_key 无效" in error.findtext("error/description")
    name, key = make_key(settings, district_code)
    assert client.post("/open311/v2/requests.json", data=filing(spots[3], key)).status_code == 201
    listed = _cli(settings, "open311", "list-keys")
    assert name in listed.stdout and key not in listed.stdout and key[:9] in listed.stdout
    assert _cli(settings, "open311", "revoke-key", name).exit_code == 0
    r = client.post("/open311/v2/requests.json", data=filing(spots[4], key))
    assert r.status_code == 403
    assert _cli(settings, "open311", "revoke-key", name).exit_code != 0  # already revoked
    r = _cli(settings, "open311", "create-key", "x", "--district", "999999")
    assert r.exit_code != 0 and "unknown district" in r.output


def test_refusals_in_open311_format(client, key, spots) -> None:
    cases = [
        ({"lat": "39.9042", "long": "116.4074"}, 422, "本辖区"),  # Beijing: not this district
        ({"lat": "48.8566", "long": "2.3522"}, 422, "中国境内"),  # Paris
        ({"service_code": "no_such_thing"}, 422, "未知的事件类别"),
        ({"lat": ""}, 422, "缺少坐标"),
        ({"lat": "nan"}, 422, "有限数值"),
        ({"phone": "12ab"}, 422, ""),
        ({"media_url": "javascript:alert(1)"}, 422, "media_url"),
        ({"description": "", "address_string": ""}, 422, "description"),
    ]
    for change, status, words in cases:
        r = client.post("/open311/v2/requests.json", data={**filing(spots[5], key), **change})
        assert r.status_code == status, (change, r.text)
        [error] = r.json()
        assert error["code"] == status and words in error["description"], (change, error)
    r = client.post("/open311/v2/requests.xml", data={**filing(spots[5], key), "lat": "48.8566",
                                                      "long": "2.3522"})  # fmt: skip
    assert r.status_code == 422 and ET.fromstring(r.content).findtext("error/where")
    r = client.post("/open311/v2/requests.json", content=b"\xff\xfe", headers={
        "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert r.status_code == 422 and r.json()[0]["code"] == 422
    assert client.post("/open311/v2/requests.csv", data=filing(spots[5], key)).status_code == 404


def test_rate_limit_answers_429_with_retry_after(client, settings, district_code, spots) -> None:
    _, key = make_key(settings, district_code, "--per-minute", "2")
    for _attempt in range(2):  # a burst that straddles a minute boundary is tried once more
        if datetime.now(UTC).second > 55:
            time.sleep(6)
        answers = [
            client.post("/open311/v2/requests.json", data=filing(spots[6 + i], key))
            for i in range(3)
        ]
        if answers[2].status_code == 429:
            break
    assert [a.status_code for a in answers] == [201, 201, 429], answers[2].text
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    [error] = answers[2].json()
    assert error["code"] == 429 and "每分钟最多 2 次" in error["description"]


def test_get_filters(client, auth_headers, key, spots) -> None:
    district = auth_headers["district"]
    ids = []
    for spot in spots[9:11]:
        r = client.post("/open311/v2/requests.json", data=filing(spot, key))
        ids.append(r.json()[0]["service_request_id"])
    listed = client.get("/open311/v2/requests.json", headers=district,
                        params={"service_request_id": ",".join(ids)})  # fmt: skip
    assert sorted(r["service_request_id"] for r in listed.json()) == sorted(ids)
    now = datetime.now(UTC)
    window = {"start_date": (now - timedelta(minutes=5)).isoformat(),
              "end_date": (now + timedelta(minutes=1)).isoformat()}  # fmt: skip
    recent = client.get("/open311/v2/requests.json", headers=district, params=window).json()
    assert set(ids) <= {r["service_request_id"] for r in recent}
    assert all(r["requested_datetime"] >= window["start_date"][:19] for r in recent)
    before = client.get("/open311/v2/requests.json", headers=district,
                        params={"end_date": (now - timedelta(minutes=5)).isoformat()})  # fmt: skip
    assert not set(ids) & {r["service_request_id"] for r in before.json()}
    for status, present in (("open", True), ("closed", False), ("closed,open", True)):
        got = client.get("/open311/v2/requests.json", headers=district,
                         params={**window, "status": status}).json()  # fmt: skip
        assert (ids[0] in {r["service_request_id"] for r in got}) is present, status
        assert all(r["status"] in status.split(",") for r in got)
    bad = client.get("/open311/v2/requests.xml", headers=district, params={"status": "pending"})
    assert bad.status_code == 422 and ET.fromstring(bad.content).findtext("error/code") == "422"
    bad = client.get("/open311/v2/requests.json", headers=district,
                     params={"service_request_id": "1,2"})  # fmt: skip
    assert bad.status_code == 422 and "service_request_id" in bad.json()[0]["description"]
    bad = client.get("/open311/v2/requests.json", headers=district,
                     params={"start_date": "yesterday"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()[0]["code"] == 422
    other = client.get("/open311/v2/requests.json", headers=auth_headers["street2"],
                       params={"service_request_id": ",".join(ids)})  # fmt: skip
    assert other.status_code == 200 and other.json() == []  # another street's jurisdiction


def test_a_key_reads_back_only_what_it_filed(
    client, auth_headers, settings, district_code, spots, key
) -> None:
    _, mine = make_key(settings, district_code)
    r = client.post("/open311/v2/requests.json", data=filing(spots[11], mine, media_url=PHOTO))
    rid = r.json()[0]["service_request_id"]
    theirs = client.post("/open311/v2/requests.json", data=filing(spots[11], key))
    other = theirs.json()[0]["service_request_id"]
    listed = client.get("/open311/v2/requests.json", params={"api_key": mine})
    assert listed.status_code == 200
    assert [x["service_request_id"] for x in listed.json()] == [rid]  # not the demo's, not theirs
    assert listed.json()[0]["media_url"] == PHOTO and PHONE not in listed.text
    one = client.get(f"/open311/v2/requests/{rid}.xml", headers={"X-Api-Key": mine})
    assert (
        one.status_code == 200 and ET.fromstring(one.content).findtext("request/status") == "open"
    )
    assert "李四" not in one.text and PHONE not in one.text
    assert client.get(f"/open311/v2/requests/{other}.json",
                      params={"api_key": mine}).status_code == 404  # fmt: skip
    both = {"api_key": mine, "service_request_id": f"{rid},{other}"}
    by_ids = client.get("/open311/v2/requests.json", params=both)
    assert [x["service_request_id"] for x in by_ids.json()] == [rid]
    # staff accept it: the client sees the status move on
    street = auth_headers["street1"]
    moved = client.post(f"/api/reports/{rid}/transitions", headers=street,
                        json={"to": "accepted", "expected": "reported"})  # fmt: skip
    assert moved.status_code in (200, 201), moved.text
    again = client.get(f"/open311/v2/requests/{rid}.json", params={"api_key": mine})
    assert again.json()[0]["status_notes"] == "accepted"
    bad = client.get("/open311/v2/requests.json", params={"api_key": "w311_wrong"})
    assert bad.status_code == 403 and bad.json()[0]["code"] == 403


def test_values_the_database_refuses_are_open311_errors(client, auth_headers, key) -> None:
    district = auth_headers["district"]
    r = client.get("/open311/v2/requests.json", headers=district,
                   params={"service_code": "a\x00b"})  # fmt: skip
    assert r.status_code == 422 and r.json()[0]["code"] == 422, r.text
    r = client.get("/open311/v2/requests.xml", headers=district,
                   params={"start_date": "0001-01-01T00:00:00+14:00"})  # fmt: skip
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert ET.fromstring(r.content).findtext("error/code") == "422"
