"""Resident satisfaction surveys per 小区: community staff make the public link, residents
answer without login (a few times per client per day), staff enter a paper sheet, and the
quarter's summary matches a hand count and suggests the assessment item's score. Other streets
never see it; row-level security holds with the app role queried directly."""

from __future__ import annotations

import re

import psycopg
import pytest
from sqlalchemy import text

from tests.conftest import TestDatabase
from tests.rls_identity import act_as

ANSWERS = {"overall": "satisfied", "property_service": "basically", "environment": "satisfied",
           "safety": "dissatisfied"}  # fmt: skip


@pytest.fixture(scope="module")
def area(owner_engine) -> dict:
    """A 小区 of community1 with no survey answers yet."""
    with owner_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.id, a.code, a.name FROM residential_area a"
                " JOIN app_user u ON u.community_id = a.community_id"
                " WHERE u.username = 'community1' AND NOT EXISTS (SELECT 1 FROM"
                " satisfaction_survey v WHERE v.residential_area_id = a.id)"
                " ORDER BY a.code LIMIT 1"
            )
        ).mappings().one()  # fmt: skip
    return dict(row)


@pytest.fixture(scope="module")
def link(client, auth_headers, area) -> str:
    r = client.post(
        f"/api/residential-areas/{area['code']}/survey-link", headers=auth_headers["community1"]
    )
    assert r.status_code == 201, r.text
    path = r.json()["path"]
    assert re.fullmatch(r"/survey/[A-Za-z0-9_-]{24}", path)
    again = client.get(
        f"/api/residential-areas/{area['code']}/survey-link", headers=auth_headers["street1"]
    )
    assert again.status_code == 200 and again.json()["path"] == path
    return path


def _summary_row(client, headers, code):
    r = client.get("/api/surveys/summary", headers=headers)
    assert r.status_code == 200, r.text
    return next((a for a in r.json()["areas"] if a["code"] == code), None)


def test_residents_answer_through_the_link_without_login(client, area, link) -> None:
    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200 and area["name"] in page.text
    assert page.headers["cache-control"] == "no-store"
    assert 'type="radio" name="overall"' in page.text
    # three answers a day from one client, then a clear 429
    answers = [
        {**ANSWERS, "overall": "satisfied"},
        {**ANSWERS, "overall": "basically", "comment": "<script>x</script>电梯常坏"},
        {**ANSWERS, "overall": "dissatisfied"},
    ]
    for body in answers:
        r = client.post(link, data=body)
        assert r.status_code == 201, r.text
        assert "提交成功" in r.text
    r = client.post(link, data=ANSWERS)
    assert r.status_code == 429 and r.headers["retry-after"] == "86400"
    assert "今天已提交过" in r.text and 'name="overall"' in r.text  # the form again, saying why


def test_bad_answers_and_unknown_links_are_refused(client, link) -> None:
    r = client.post(link, data={**ANSWERS, "overall": "great"})
    assert r.status_code == 422 and "请选择「总体满意度」的答案" in r.text
    r = client.post(link, data={k: v for k, v in ANSWERS.items() if k != "safety"})
    assert r.status_code == 422
    r = client.post(link, data={**ANSWERS, "comment": "a\x00b"})
    assert r.status_code == 422 and "无法保存的字符" in r.text
    assert client.get("/survey/" + "x" * 24).status_code == 404
    assert client.get("/survey/short").status_code == 422


def test_staff_sheet_and_summary_match_a_hand_count(client, auth_headers, area, link) -> None:
    staff = auth_headers["community1"]
    r = client.post(
        "/api/surveys", json={"residential_area": area["code"], **ANSWERS}, headers=staff
    )
    assert r.status_code == 201, r.text
    row = _summary_row(client, staff, area["code"])
    # residents: satisfied, basically, dissatisfied; staff: satisfied → 3 of 4 satisfied
    assert (row["responses"], row["satisfied"], row["basically"], row["dissatisfied"]) == (
        4, 2, 1, 1)  # fmt: skip
    assert row["from_residents"] == 3
    assert row["rate"] == pytest.approx(0.75) and row["suggested_score"] == 75.0
    street = _summary_row(client, auth_headers["street1"], area["code"])
    assert street["responses"] == 4


def test_other_streets_and_other_roles_do_not_reach_it(client, auth_headers, area, link):
    other = auth_headers["street2"]
    assert _summary_row(client, other, area["code"]) is None
    code = area["code"]
    assert (
        client.get(f"/api/residential-areas/{code}/survey-link", headers=other).status_code == 404
    )
    body = {"residential_area": code, **ANSWERS}
    assert client.post("/api/surveys", json=body, headers=other).status_code == 404
    assert client.get("/api/surveys/summary", headers=auth_headers["worker1"]).status_code == 403
    r = client.post("/api/surveys", json=body, headers=auth_headers["dept-fire"])
    assert r.status_code == 403


def test_a_new_link_replaces_the_old(client, auth_headers, area, link) -> None:
    r = client.post(
        f"/api/residential-areas/{area['code']}/survey-link", headers=auth_headers["street1"]
    )
    assert r.status_code == 201 and r.json()["path"] != link
    assert client.get(link).status_code == 404
    assert client.get(r.json()["path"]).status_code == 200


def test_row_level_security_is_the_second_line(test_db: TestDatabase, area, link) -> None:
    if test_db.app_url == test_db.owner_url:
        pytest.skip("needs a separate app role")
    with psycopg.connect(test_db.libpq("app")) as conn:
        for username, sees in (("street2", False), ("community1", True), ("worker1", False)):
            act_as(conn, username, local=False)
            found = conn.execute(
                "SELECT count(*) FROM satisfaction_survey WHERE residential_area_id = %s",
                (area["id"],),
            ).fetchone()
            assert (found[0] > 0) is sees, username
        # an anonymous request may add a resident's sheet, never a staff one
        for name in ("user_id", "role", "district_id", "street_id", "community_id"):
            conn.execute("SELECT set_config(%s, '', false)", (f"wangge.{name}",))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO satisfaction_survey (residential_area_id, district_id, street_id,"
                " community_id, quarter, source, overall, property_service, environment, safety,"
                " created_by) SELECT a.id, s.district_id, c.street_id, a.community_id, '2026Q4',"
                " 'staff', 'satisfied', 'satisfied', 'satisfied', 'satisfied', 1"
                " FROM residential_area a JOIN community c ON c.id = a.community_id"
                " JOIN street s ON s.id = c.street_id WHERE a.id = %s",
                (area["id"],),
            )
