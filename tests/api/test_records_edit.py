"""Editing a 小区 record: jurisdiction, If-Match, history rows and statistics that follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text


def _street_area(owner_engine: Engine, street_code_of: str) -> dict[str, Any]:
    """A 小区 of the demo user's street with an owners' committee but no party organisation."""
    with owner_engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT r.code, r.id, s.code AS street, c.id AS community_id,"
                    " r.party_org_status, r.note"
                    " FROM residential_area r JOIN community c ON c.id = r.community_id"
                    " JOIN street s ON s.id = c.street_id"
                    " JOIN app_user u ON u.street_id = s.id AND u.username = :u"
                    " WHERE r.owners_committee_status = 'established'"
                    " ORDER BY (r.party_org_status = 'none') DESC, r.code LIMIT 1"
                ),
                {"u": street_code_of},
            )
            .mappings()
            .one()
        )
    return dict(row)


@pytest.fixture
def area(client: TestClient, auth_headers, owner_engine: Engine) -> Iterator[dict[str, Any]]:
    """street1's 小区, put back as it was after the test (through the API, as a person would)."""
    found = _street_area(owner_engine, "street1")
    yield found
    h = auth_headers["street1"]
    current = client.get(f"/api/residential-areas/{found['code']}", headers=h)
    client.patch(
        f"/api/residential-areas/{found['code']}",
        json={"party_org_status": found["party_org_status"], "note": found["note"]},
        headers={**h, "If-Match": current.headers["ETag"]},
    )


def _history_count(owner_engine: Engine, area_id: int) -> int:
    with owner_engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM residential_area_change WHERE residential_area_id = :i"),
                {"i": area_id},
            ).scalar_one()
        )


def _street_party_areas(client: TestClient, headers: dict[str, str], street: str) -> int:
    r = client.get("/api/stats/coverage?level=street", headers=headers)
    assert r.status_code == 200, r.text
    unit = next(u for u in r.json()["units"] if u["code"] == street)
    return int(unit["indicators"]["party_org"]["covered_areas"])


def test_street_office_edits_its_area(client, auth_headers, owner_engine, area) -> None:
    h = auth_headers["street1"]
    code = area["code"]
    r = client.get(f"/api/residential-areas/{code}", headers=h)
    assert r.status_code == 200, r.text
    tag = r.headers["ETag"]
    before_rows = _history_count(owner_engine, area["id"])
    before_party = _street_party_areas(client, h, area["street"])
    new_status = "own_branch" if area["party_org_status"] == "none" else "none"

    r = client.patch(
        f"/api/residential-areas/{code}",
        json={"party_org_status": new_status, "note": "测试备注<script>"},
        headers={**h, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["party_org_status"] == new_status
    assert set(body["changed"]) == {"party_org_status", "note"}
    assert r.headers["ETag"] != tag
    assert _history_count(owner_engine, area["id"]) == before_rows + 2

    history = client.get(f"/api/residential-areas/{code}/history", headers=h).json()
    newest = {row["attribute"]: row for row in history[:2]}
    assert newest["party_org_status"]["old_value"] == area["party_org_status"]
    assert newest["party_org_status"]["new_value"] == new_status
    assert newest["party_org_status"]["changed_by"]
    # the coverage statistics follow at once (through the fact table's trigger)
    delta = 1 if new_status != "none" else -1
    assert _street_party_areas(client, h, area["street"]) == before_party + delta


def test_stale_if_match_is_refused_and_writes_nothing(client, auth_headers, owner_engine, area):
    h = auth_headers["street1"]
    code = area["code"]
    tag = client.get(f"/api/residential-areas/{code}", headers=h).headers["ETag"]
    first = client.patch(
        f"/api/residential-areas/{code}", json={"note": "第一次"}, headers={**h, "If-Match": tag}
    )
    assert first.status_code == 200, first.text
    rows = _history_count(owner_engine, area["id"])
    second = client.patch(
        f"/api/residential-areas/{code}", json={"note": "第二次"}, headers={**h, "If-Match": tag}
    )
    assert second.status_code == 412, second.text
    assert second.json()["detail"]["message_zh"]
    assert _history_count(owner_engine, area["id"]) == rows
    missing = client.patch(f"/api/residential-areas/{code}", json={"note": "无版本"}, headers=h)
    assert missing.status_code == 428


def test_other_street_gets_404_and_worker_403(client, auth_headers, area) -> None:
    code = area["code"]
    for who, status in (("street2", 404), ("worker1", 403)):
        h = auth_headers[who]
        r = client.patch(
            f"/api/residential-areas/{code}", json={"note": "x"}, headers={**h, "If-Match": '"v1"'}
        )
        assert r.status_code == status, (who, r.text)
    assert (
        client.get(f"/api/residential-areas/{code}", headers=auth_headers["street2"]).status_code
        == 404
    )


def test_bad_values_are_refused_in_chinese_with_the_field(client, auth_headers, area) -> None:
    h = auth_headers["street1"]
    code = area["code"]
    tag = client.get(f"/api/residential-areas/{code}", headers=h).headers["ETag"]
    r = client.patch(
        f"/api/residential-areas/{code}",
        json={
            "property_service_mode": "托管中",
            "owners_committee_party_share": 1.5,
            "property_officer_phone": "call me",
        },
        headers={**h, "If-Match": tag},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert set(detail["where"]["fields"]) == {
        "property_service_mode",
        "owners_committee_party_share",
        "property_officer_phone",
    }
    assert "物业服务模式" in detail["message_zh"]
    # nothing written: the ETag is unchanged
    assert client.get(f"/api/residential-areas/{code}", headers=h).headers["ETag"] == tag


def test_labels_and_flags_are_answered(client, auth_headers, area) -> None:
    h = auth_headers["street1"]
    code = area["code"]
    before = client.get(f"/api/residential-areas/{code}", headers=h)
    tag = before.headers["ETag"]
    r = client.patch(
        f"/api/residential-areas/{code}",
        json={
            "maintenance_fund_ratio": "25%",
            "owners_committee_registered_on": "2015-01-20",
            "owners_committee_term_end": "2020-01-31",
        },
        headers={**h, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    flags = {f["code"] for f in r.json()["flags"]}
    assert {"fund_low", "term_due"} <= flags
    listed = client.get("/api/residential-areas?flag=term_due", headers=h).json()
    assert code in {row["code"] for row in listed}
    # a term that would end before the registration is refused, naming the field
    r2 = client.patch(
        f"/api/residential-areas/{code}",
        json={"owners_committee_term_end": "2014-12-31"},
        headers={**h, "If-Match": r.headers["ETag"]},
    )
    assert r2.status_code == 422
    assert r2.json()["detail"]["where"]["fields"] == ["owners_committee_term_end"]
    # put back the two fields this test set
    tag = r.headers["ETag"]
    client.patch(
        f"/api/residential-areas/{code}",
        json={
            "maintenance_fund_ratio": before.json()["maintenance_fund_ratio"],
            "owners_committee_term_end": before.json()["owners_committee_term_end"],
            "owners_committee_registered_on": before.json()["owners_committee_registered_on"],
        },
        headers={**h, "If-Match": tag},
    )


def test_party_coverage_counts_over_committees_with_year_targets(
    client, auth_headers, owner_engine, area
) -> None:
    h = auth_headers["street1"]
    street = area["street"]

    def unit(year: int) -> dict[str, Any]:
        r = client.get(f"/api/stats/party-coverage?level=street&year={year}", headers=h)
        assert r.status_code == 200, r.text
        return next(u for u in r.json()["units"] if u["code"] == street)

    before = unit(2026)
    assert unit(2025)["target"] == 0.8 and before["target"] == 0.9 and unit(2027)["target"] == 1.0
    tag = client.get(f"/api/residential-areas/{area['code']}", headers=h).headers["ETag"]
    # the area has an established committee: giving it a party branch adds one covered committee
    new = "own_branch" if area["party_org_status"] in ("none", "instructor_only") else "none"
    r = client.patch(
        f"/api/residential-areas/{area['code']}",
        json={"party_org_status": new},
        headers={**h, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    after = unit(2026)
    assert after["committees"] == before["committees"]
    assert after["with_party_org"] == before["with_party_org"] + (1 if new != "none" else -1)
    assert after["rate"] == round(after["with_party_org"] / after["committees"], 4)


def test_two_simultaneous_edits_from_one_version_one_wins(client, auth_headers, area) -> None:
    import threading

    h = auth_headers["street1"]
    code = area["code"]
    tag = client.get(f"/api/residential-areas/{code}", headers=h).headers["ETag"]
    barrier = threading.Barrier(4)
    results: list[int] = []

    def edit(note: str) -> None:
        barrier.wait()
        r = client.patch(
            f"/api/residential-areas/{code}", json={"note": note}, headers={**h, "If-Match": tag}
        )
        results.append(r.status_code)

    threads = [threading.Thread(target=edit, args=(f"并发 {i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [200, 412, 412, 412]
