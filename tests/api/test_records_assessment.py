"""A quarter's assessment by two communities → grades, 十佳十差, red/black lists, /public."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import login

QUARTER = "2031Q1"  # later than any demo quarter, so /public shows this one


def _two_communities(owner_engine: Engine) -> dict:
    """Two companies serving 小区 in two communities of one street, and those communities' staff."""
    with owner_engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT r.code, r.property_company_id AS company, c.id AS community,"
                    " c.street_id, s.code AS street_code, u.username"
                    " FROM residential_area r JOIN community c ON c.id = r.community_id"
                    " JOIN street s ON s.id = c.street_id"
                    " JOIN app_user u ON u.community_id = c.id AND u.role = 'community_staff'"
                    " WHERE r.property_company_id IS NOT NULL ORDER BY s.code, c.code, r.code"
                )
            )
            .mappings()
            .all()
        )
    by_street: dict[int, list] = {}
    for row in rows:
        by_street.setdefault(row["street_id"], []).append(row)
    for street_rows in by_street.values():
        communities = sorted({r["community"] for r in street_rows})
        if len(communities) < 2:
            continue
        first = [r for r in street_rows if r["community"] == communities[0]]
        second = [r for r in street_rows if r["community"] == communities[1]]
        x = first[0]
        x_again = next((r for r in second if r["company"] == x["company"]), None)
        y = next((r for r in first + second if r["company"] != x["company"]), None)
        if x_again and y:
            return {"x": x, "x_again": x_again, "y": y}
    pytest.skip("demo has no street with one company in two communities")


def _scores(items: list[dict], value: float) -> dict[str, float]:
    return {i["code"]: value for i in items}


def test_assessment_grades_lists_and_public(client: TestClient, auth_headers, owner_engine) -> None:
    world = _two_communities(owner_engine)
    x, x_again, y = world["x"], world["x_again"], world["y"]
    items = client.get("/api/assessment-items", headers=auth_headers["district"]).json()
    assert len(items) >= 5 and sum(i["weight"] for i in items) == 100

    h_first = login(client, x["username"])
    h_second = login(client, x_again["username"])
    h_y = login(client, y["username"])
    for headers, area, value in ((h_first, x, 95), (h_second, x_again, 92), (h_y, y, 40)):
        body = {
            "residential_area": area["code"],
            "quarter": QUARTER,
            "scores": _scores(items, value),
            "evidence": "现场检查记录",
        }
        r = client.post("/api/assessments", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["total"] == value
    # one community may not score a 小区 of the other
    body = {"residential_area": x_again["code"], "quarter": QUARTER, "scores": _scores(items, 10)}
    assert client.post("/api/assessments", json=body, headers=h_first).status_code == 404
    # an unscored item is refused, saying which
    partial = {"residential_area": x["code"], "quarter": QUARTER, "scores": {items[0]["code"]: 80}}
    r = client.post("/api/assessments", json=partial, headers=h_first)
    assert r.status_code == 422 and r.json()["detail"]["where"]["item"] == items[1]["code"]

    r = client.post(f"/api/company-grades/{QUARTER}", headers=auth_headers["district"])
    assert r.status_code == 200, r.text
    view = r.json()
    grades = {g["company_id"]: g for g in view["grades"]}
    assert grades[x["company"]]["grade"] == "A"
    assert grades[x["company"]]["assessments"] == 2
    assert float(grades[x["company"]]["score"]) == 93.5
    assert grades[y["company"]]["grade"] == "D"
    assert view["best"][0]["company_id"] == x["company"]
    assert view["worst"][0]["company_id"] == y["company"]
    assert y["company"] in {g["company_id"] for g in view["key_supervision"]}
    current = {(e["company_id"], e["list_kind"]) for e in view["lists"]}
    assert (x["company"], "red") in current and (y["company"], "black") in current
    assert (
        client.post(f"/api/company-grades/{QUARTER}", headers=auth_headers["street1"]).status_code
        == 403
    )

    # /public without login shows the grade, the lists and the ranking
    report = _a_caller(owner_engine, x["street_id"])  # a resident's contact, kept private
    try:
        anonymous = TestClient(client.app)
        page = anonymous.get(f"/public?street={x['street_code']}")
        assert page.status_code == 200, page.text
        assert "public" in page.headers["cache-control"] and page.headers["etag"]
        companies = {
            c["id"]: c
            for c in client.get("/api/property-companies", headers=auth_headers["district"]).json()
        }
        assert companies[x["company"]]["name"] in page.text
        assert (
            "A级" in page.text
            and "红榜" in page.text
            and "黑榜" in page.text
            and "十佳" in page.text
        )
        assert (
            anonymous.get(
                f"/public?street={x['street_code']}",
                headers={"If-None-Match": page.headers["etag"]},
            ).status_code
            == 304
        )
        _no_personal_data(owner_engine, page.text, x["street_id"])
    finally:
        _forget_caller(owner_engine, report)


def _a_caller(owner_engine: Engine, street_id: int) -> str:
    """A resident's name and phone on a report of the street (as a complaint would keep it)."""
    with owner_engine.begin() as conn:
        report = conn.execute(
            text(
                "SELECT r.id FROM report r LEFT JOIN report_contact k ON k.report_id = r.id"
                " WHERE r.street_id = :s AND k.report_id IS NULL LIMIT 1"
            ),
            {"s": street_id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO report_contact (report_id, caller_name, caller_phone)"
                " VALUES (:r, '韩居民', '13877776666')"
            ),
            {"r": report},
        )
        conn.execute(
            text("UPDATE report SET caller_masked = '韩** 138****6666' WHERE id = :r"),
            {"r": report},
        )
    return str(report)


def _forget_caller(owner_engine: Engine, report: str) -> None:
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM report_contact WHERE report_id = :r"), {"r": report})
        conn.execute(text("UPDATE report SET caller_masked = NULL WHERE id = :r"), {"r": report})


def _no_personal_data(owner_engine: Engine, html: str, street_id: int) -> None:
    """No resident or worker data: no account names, no report texts, no report ids, no
    caller's contact, no company contact person; but each 小区's property officer with their
    phone, which the seeds make public."""
    with owner_engine.begin() as conn:
        officers = conn.execute(
            text(
                "SELECT r.property_officer_name, r.property_officer_phone FROM residential_area r"
                " JOIN community c ON c.id = r.community_id WHERE c.street_id = :s"
                " AND r.property_officer_name IS NOT NULL AND r.property_officer_phone IS NOT NULL"
            ),
            {"s": street_id},
        ).all()
        contacts = conn.execute(
            text(
                "SELECT co.contact_name, co.contact_phone FROM property_company co"
                " WHERE co.id IN (SELECT r.property_company_id FROM residential_area r"
                " JOIN community c ON c.id = r.community_id WHERE c.street_id = :s)"
            ),
            {"s": street_id},
        ).all()
        callers = conn.execute(
            text(
                "SELECT k.caller_name, k.caller_phone, r.caller_masked FROM report_contact k"
                " JOIN report r ON r.id = k.report_id WHERE r.street_id = :s"
            ),
            {"s": street_id},
        ).all()
    assert officers, "the demo street has property officers"
    visible_text = re.sub(r"<[^>]+>", " ", html)
    for name, phone in officers:
        assert name in visible_text and phone in visible_text, (name, phone)
    for name, phone in contacts:
        assert not name or name not in visible_text, name
        assert not phone or phone not in html, phone
    assert callers, "the street has a resident's contact to keep private"
    for name, phone, masked in callers:
        for value in (name, phone, masked):
            assert not value or len(value) < 2 or value not in visible_text, value
    with owner_engine.connect() as conn:
        people = conn.execute(
            text(
                "SELECT username, display_name FROM app_user"
                " WHERE street_id = :s"
                " OR community_id IN (SELECT id FROM community WHERE street_id = :s)"
            ),
            {"s": street_id},
        ).all()
        reports = conn.execute(
            text("SELECT id::text, description FROM report WHERE street_id = :s LIMIT 50"),
            {"s": street_id},
        ).all()
    visible = re.sub(r"<[^>]+>", " ", html)
    for username, display in people:
        assert re.search(rf"\b{re.escape(username)}\b", visible) is None, username
        if display and len(display) >= 2:
            assert display not in visible, display
    for rid, description in reports:
        assert rid not in html
        if description and len(description) >= 6:
            assert description not in visible


def test_registry_create_update_and_refusals(client: TestClient, auth_headers) -> None:
    h = auth_headers["district"]
    body = {
        "name": "测试登记物业有限公司",
        "credit_code": "91410105MA44XXXX1Y",
        "has_party_org": True,
    }
    r = client.post("/api/property-companies", json=body, headers=h)
    assert r.status_code == 201, r.text
    company = r.json()
    assert company["has_party_org"] is True and company["areas"] == []
    assert client.post("/api/property-companies", json=body, headers=h).status_code == 409
    r = client.patch(
        f"/api/property-companies/{company['id']}",
        json={"contact_name": "周经理", "contact_phone": "13900001111"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["contact_name"] == "周经理"
    empty = client.patch(f"/api/property-companies/{company['id']}", json={}, headers=h)
    assert empty.status_code == 200, empty.text  # nothing to change is not an error
    bad = client.patch(
        f"/api/property-companies/{company['id']}", json={"credit_code": "123"}, headers=h
    )
    assert bad.status_code == 422
    assert (
        client.patch(
            f"/api/property-companies/{company['id']}",
            json={"contact_name": "x"},
            headers=auth_headers["street1"],
        ).status_code
        == 403
    )
