"""Surveys feed the property company assessment: the 业主评价与满意度 item of a
小区's quarterly score sheet is the share of 满意 + 基本满意 answers of that 小区 in that
quarter × 100; answers of another quarter or another company's 小区 do not count; a different
score needs a reason that is kept and shown; without answers staff score it by hand; a sheet
saved before answers came in is graded on them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

Q = "2001Q1"  # earlier than any demo quarter: the grades made here never become current
Q_OTHER = "2001Q2"
Q_EMPTY = "2001Q3"
FED = "owner_satisfaction"


@pytest.fixture(scope="module")
def areas(owner_engine: Engine) -> Iterator[dict]:
    """Two 小区 of community1 served by different companies; survey rows are removed after."""
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.code, a.property_company_id AS company, s.district_id,"
                " a.community_id, c.street_id FROM residential_area a"
                " JOIN community c ON c.id = a.community_id JOIN street s ON s.id = c.street_id"
                " JOIN app_user u ON u.community_id = a.community_id"
                " WHERE u.username = 'community1' AND a.property_company_id IS NOT NULL"
                " ORDER BY a.code"
            )
        ).mappings().all()  # fmt: skip
    first = rows[0] if rows else None
    other = next((r for r in rows if first and r["company"] != first["company"]), None)
    if first is None or other is None:
        pytest.skip("community1 has no two 小区 of different companies in the demo")
    yield {"a": dict(first), "b": dict(other)}
    with owner_engine.begin() as conn:
        ids = {"ids": [first["id"], other["id"]], "qs": [Q, Q_OTHER, Q_EMPTY]}
        conn.execute(text("ALTER TABLE satisfaction_survey DISABLE TRIGGER USER"))
        conn.execute(
            text(
                "DELETE FROM satisfaction_survey WHERE residential_area_id = ANY(:ids)"
                " AND quarter = ANY(:qs)"
            ),
            ids,
        )
        conn.execute(text("ALTER TABLE satisfaction_survey ENABLE TRIGGER USER"))
        conn.execute(
            text(
                "DELETE FROM property_assessment WHERE residential_area_id = ANY(:ids)"
                " AND quarter = ANY(:qs)"
            ),
            ids,
        )
        conn.execute(text("DELETE FROM company_grade WHERE quarter = ANY(:qs)"), ids)


def _answers(owner_engine: Engine, area: dict, quarter: str, overall: list[str]) -> None:
    """Residents' answer sheets as the public link writes them."""
    with owner_engine.begin() as conn:
        for answer in overall:
            conn.execute(
                text(
                    "INSERT INTO satisfaction_survey (residential_area_id, district_id,"
                    " street_id, community_id, quarter, source, overall, property_service,"
                    " environment, safety) VALUES (:id, :d, :s, :c, :q, 'resident', :o,"
                    " 'satisfied', 'satisfied', 'satisfied')"
                ),
                {"id": area["id"], "d": area["district_id"], "s": area["street_id"],
                 "c": area["community_id"], "q": quarter, "o": answer},
            )  # fmt: skip


def _total(items: list[dict], scores: dict[str, float]) -> float:
    """The weighted mean of the item scores, as by hand."""
    weighted = sum(Decimal(str(scores[i["code"]])) * Decimal(str(i["weight"])) for i in items)
    weights = sum(Decimal(str(i["weight"])) for i in items)
    return float((weighted / weights).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _sheet(client: TestClient, headers: dict, code: str, quarter: str) -> dict:
    r = client.get(f"/api/assessments?quarter={quarter}", headers=headers)
    assert r.status_code == 200, r.text
    return next(s for s in r.json() if s["residential_area"] == code)


def test_surveys_give_the_item_and_an_override_needs_a_reason(
    client: TestClient, auth_headers, owner_engine, areas
) -> None:
    a, b = areas["a"], areas["b"]
    me = auth_headers["community1"]
    items = client.get("/api/assessment-items", headers=me).json()
    assert FED in {i["code"] for i in items}
    # a's quarter: 3 满意, 2 基本满意, 2 不满意 → 5/7; a's other quarter and b's do not count
    _answers(owner_engine, a, Q, ["satisfied"] * 3 + ["basically"] * 2 + ["dissatisfied"] * 2)
    _answers(owner_engine, a, Q_OTHER, ["dissatisfied"] * 4)
    _answers(owner_engine, b, Q, ["dissatisfied"] * 5)
    expected = round(100 * 5 / 7, 1)  # 71.4

    r = client.get(f"/api/assessments/satisfaction?residential_area={a['code']}&quarter={Q}",
                   headers=me)  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["responses"], r.json()["score"]) == (7, expected)
    assert r.json()["basis_zh"] == "依据 7 份问卷"
    # another street's office cannot look at a 小区 it does not cover
    r = client.get(f"/api/assessments/satisfaction?residential_area={a['code']}&quarter={Q}",
                   headers=auth_headers["street2"])  # fmt: skip
    assert r.status_code == 404

    # the item left out: taken from the surveys, into the total
    others = {i["code"]: 90.0 for i in items if i["code"] != FED}
    body = {"residential_area": a["code"], "quarter": Q, "scores": others}
    r = client.post("/api/assessments", json=body, headers=me)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["satisfaction_score"] == expected and saved["satisfaction_basis"] == "surveys"
    assert saved["survey_responses"] == 7 and saved["satisfaction_zh"] == "依据 7 份问卷"
    assert saved["total"] == _total(items, {**others, FED: expected})
    sheet = _sheet(client, me, a["code"], Q)
    assert sheet["scores"][FED] == expected and float(sheet["total"]) == saved["total"]
    assert sheet["satisfaction_zh"] == "依据 7 份问卷" and sheet["retaken"] is False

    # typing the surveys' own score is the same; a different one without a reason is refused
    same = {**body, "scores": {**others, FED: expected}}
    assert client.post("/api/assessments", json=same, headers=me).status_code == 201
    typed = {**body, "scores": {**others, FED: 95}}
    r = client.post("/api/assessments", json=typed, headers=me)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["where"]["item"] == FED and "依据 7 份问卷" in detail["message_zh"]
    assert _sheet(client, me, a["code"], Q)["scores"][FED] == expected  # nothing changed

    # with a reason it stands, and the reason is kept and shown beside the surveys' score
    r = client.post("/api/assessments", json={**typed, "satisfaction_reason": "问卷多为同一楼栋"},
                    headers=me)  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["satisfaction_basis"] == "override"
    sheet = _sheet(client, me, a["code"], Q)
    assert sheet["scores"][FED] == 95 and sheet["satisfaction_reason"] == "问卷多为同一楼栋"
    shown = f"人工调整（问卷 {expected} 分，依据 7 份问卷）：问卷多为同一楼栋"
    assert sheet["satisfaction_zh"] == shown
    with owner_engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT satisfaction_basis, survey_responses, survey_score, satisfaction_reason"
                " FROM property_assessment WHERE residential_area_id = :a AND quarter = :q"
            ),
            {"a": a["id"], "q": Q},
        ).one()
    assert tuple(stored) == ("override", 7, Decimal(str(expected)), "问卷多为同一楼栋")

    # back to the surveys' score; b (another company) counts only its own answers
    assert client.post("/api/assessments", json=body, headers=me).status_code == 201
    r = client.get(f"/api/assessments/satisfaction?residential_area={b['code']}&quarter={Q}",
                   headers=me)  # fmt: skip
    assert r.json()["responses"] == 5  # b's own five 不满意 — never a's


def test_without_surveys_staff_score_by_hand_and_later_answers_count_at_grading(
    client: TestClient, auth_headers, owner_engine, areas
) -> None:
    a = areas["a"]
    me = auth_headers["community1"]
    items = client.get("/api/assessment-items", headers=me).json()
    others = {i["code"]: 80.0 for i in items if i["code"] != FED}
    body = {"residential_area": a["code"], "quarter": Q_EMPTY, "scores": others}
    r = client.get(
        f"/api/assessments/satisfaction?residential_area={a['code']}&quarter={Q_EMPTY}",
        headers=me,
    )
    assert r.json()["responses"] == 0 and r.json()["score"] is None
    assert r.json()["basis_zh"] == "本季度该小区没有满意度问卷"
    # nothing to take it from: the item must be scored by hand
    r = client.post("/api/assessments", json=body, headers=me)
    assert r.status_code == 422 and "没有满意度问卷" in r.json()["detail"]["message_zh"]
    by_hand = {**body, "scores": {**others, FED: 88}, "satisfaction_reason": "入户走访 20 户"}
    r = client.post("/api/assessments", json=by_hand, headers=me)
    assert r.status_code == 201, r.text
    assert r.json()["satisfaction_basis"] == "manual" and r.json()["total"] == _total(
        items, {**others, FED: 88}
    )
    sheet = _sheet(client, me, a["code"], Q_EMPTY)
    assert sheet["satisfaction_zh"] == "本季度无问卷，人工评分：入户走访 20 户"

    # answers come in after the sheet was saved: the sheet shows and the grade uses them
    _answers(owner_engine, a, Q_EMPTY, ["satisfied", "dissatisfied"])
    sheet = _sheet(client, me, a["code"], Q_EMPTY)
    assert sheet["retaken"] is True and sheet["scores"][FED] == 50.0
    assert sheet["satisfaction_zh"] == "依据 2 份问卷"
    r = client.post(f"/api/company-grades/{Q_EMPTY}", headers=auth_headers["district"])
    assert r.status_code == 200, r.text
    grade = next(g for g in r.json()["grades"] if g["company_id"] == a["company"])
    assert float(grade["score"]) == _total(items, {**others, FED: 50.0})


def test_the_table_refuses_an_override_without_a_reason(owner_engine, areas) -> None:
    """The database holds the rule too (migration 026), whatever writes the row."""
    a = areas["a"]
    with owner_engine.connect() as conn:
        for basis, responses, survey_score, reason in (
            ("override", 3, 50, " "),  # an override needs a reason
            ("surveys", 0, None, ""),  # from the surveys means answers were counted
            ("manual", 2, None, ""),  # by hand means there were none
        ):
            with pytest.raises(IntegrityError):
                with conn.begin():
                    conn.execute(
                        text(
                            "INSERT INTO property_assessment (company_id, residential_area_id,"
                            " quarter, scores, total, satisfaction_basis, survey_responses,"
                            " survey_score, satisfaction_reason) VALUES (:c, :a, :q, '{}', 50,"
                            " :b, :n, :s, :r)"
                        ),
                        {"c": a["company"], "a": a["id"], "q": Q_OTHER, "b": basis,
                         "n": responses, "s": survey_score, "r": reason},
                    )  # fmt: skip
