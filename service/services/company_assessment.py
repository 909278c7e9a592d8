"""The quarterly assessment of property companies: whose score sheet applies, scoring a 小区,
the sheets with the owners' view retaken from the surveys, and grading a quarter.

Each district has its own score sheet (the default one where it has none); a 小区 is scored and
its sheet re-totalled on its own district's items.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import assessments as sheets_repo
from service.db.repositories import companies as companies_repo
from service.db.repositories import records as records_repo
from service.db.repositories import surveys as surveys_repo
from service.db.repositories.performance import district_id_of
from service.domain.assessment import (
    GradeFloors,
    Item,
    ScoreError,
    best_and_worst,
    combine,
    list_kind_for_grade,
    weighted_total,
)
from service.domain.principal import Principal
from service.domain.surveys import FED_ITEM, Settled, retaken, settle_item
from service.errors import OutsideJurisdiction, ValidationFailed


def sheet_district(session: Session, me: Principal, district: str | None) -> int | None:
    """The district whose score sheet the caller reads or replaces (None: the default sheet).

    A district-bound user has their district's; naming another is a 404, as elsewhere. An
    admin bound to no district names one, or gets the default.
    """
    found = None
    if district is not None:
        found = district_id_of(session, district)
        if found is None or (me.district_id is not None and found != me.district_id):
            raise OutsideJurisdiction(
                f"district {district} not found",
                message_zh="未找到该区县",
                where={"district": district},
            )
    return me.district_id if me.district_id is not None else found


def items_view(session: Session, district_id: int | None) -> list[dict[str, Any]]:
    return [
        {"code": i.code, "name_zh": i.name_zh, "weight": float(i.weight)}
        for i in sheets_repo.items(session, district_id)
    ]


def replace_sheet(session: Session, district_id: int | None, rows: list[dict[str, Any]]) -> None:
    """A district's new items (None: the default sheet); item codes must not repeat."""
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(
            "item codes repeat", message_zh="考核项目编码重复", where={"field": "items"}
        )
    sheets_repo.replace_items(session, district_id, rows)


def scored_area(session: Session, me: Principal, scope: str, code: str) -> dict[str, Any]:
    """The 小区's record in the caller's reach (404 outside), with a company to assess."""
    record = records_repo.get_record(session, me, scope, code)
    if record["property_company_id"] is None:
        raise ValidationFailed(
            f"{code} has no property company to assess",
            message_zh="该小区没有物业服务企业，无法考核",
            where={"residential_area": code},
        )
    return record


def _refused(exc: ScoreError) -> ValidationFailed:
    return ValidationFailed(
        exc.message, message_zh=exc.message_zh, where={"field": "scores", "item": exc.item}
    )


def basis_zh(sheet: dict[str, Any]) -> str:
    """How a sheet's owner-satisfaction score came about, in words for the page."""
    basis, n = sheet.get("satisfaction_basis"), sheet.get("survey_responses")
    reason = sheet.get("satisfaction_reason") or ""
    if basis == "surveys":
        return f"依据 {n} 份问卷"
    if basis == "override":
        return f"人工调整（问卷 {float(sheet['survey_score']):.1f} 分，依据 {n} 份问卷）：{reason}"
    if basis == "manual":
        return "本季度无问卷，人工评分" + (f"：{reason}" if reason else "")
    return "人工评分（问卷接入前）"


def satisfaction_basis(
    session: Session, me: Principal, scope: str, area_code: str, quarter: str
) -> dict[str, Any]:
    """The 小区's surveys of the quarter and the owners' view score they give."""
    record = scored_area(session, me, scope, area_code)
    found = surveys_repo.area_tallies(session, [record["id"]], quarter)[record["id"]]
    return {
        "residential_area": area_code,
        "quarter": quarter,
        "item": FED_ITEM,
        "responses": found.responses,
        "satisfied": found.satisfied,
        "basically": found.basically,
        "dissatisfied": found.dissatisfied,
        "score": found.suggested_score,
        "basis_zh": (
            f"依据 {found.responses} 份问卷" if found.responses else "本季度该小区没有满意度问卷"
        ),
    }


def score_area(
    session: Session,
    me: Principal,
    scope: str,
    *,
    area_code: str,
    quarter: str,
    scores: dict[str, Any],
    evidence: str,
    satisfaction_reason: str,
) -> dict[str, Any]:
    """Score the company serving a 小区 on its district's sheet; the saved sheet's summary."""
    record = scored_area(session, me, scope, area_code)
    items = sheets_repo.items(session, sheets_repo.district_of_area(session, record["id"]))
    scores = dict(scores)
    settled: Settled | None = None
    try:
        if FED_ITEM in {i.code for i in items}:
            found = surveys_repo.area_tallies(session, [record["id"]], quarter)
            given = scores.get(FED_ITEM)
            settled = settle_item(found[record["id"]], given, satisfaction_reason)
            scores[FED_ITEM] = settled.score
        total = weighted_total(items, scores)
    except ScoreError as exc:
        raise _refused(exc) from None
    sheet_id = sheets_repo.save_sheet(
        session,
        company_id=int(record["property_company_id"]),
        area_id=record["id"],
        quarter=quarter,
        scores=scores,
        total=total,
        evidence=evidence,
        by=me.id,
        satisfaction=settled,
    )
    answer: dict[str, Any] = {
        "id": sheet_id, "company": record["property_company"], "total": float(total),
    }  # fmt: skip
    if settled is not None:
        answer.update(
            satisfaction_score=settled.score, satisfaction_basis=settled.basis,
            survey_responses=settled.responses, survey_score=settled.survey_score,
            satisfaction_reason=settled.reason,
        )  # fmt: skip
        answer["satisfaction_zh"] = basis_zh(answer)
    return answer


def with_current_surveys(
    session: Session, found: list[dict[str, Any]], quarter: str
) -> list[dict[str, Any]]:
    """Each sheet with the fed item retaken from the surveys as they stand (`retaken` says
    whether that changed it), so a sheet saved before answers came in is graded on them."""
    sheets_of: dict[int, list[Item]] = {}  # district → its items (a sheet is its district's)
    tallies = surveys_repo.area_tallies(
        session, sorted({int(f["residential_area_id"]) for f in found}), quarter
    )
    out = []
    for sheet in found:
        tally_now = tallies[int(sheet["residential_area_id"])]
        district_id = int(sheet["district_id"])
        if district_id not in sheets_of:
            sheets_of[district_id] = sheets_repo.items(session, district_id)
        changed = retaken(
            sheets_of[district_id], sheet["scores"], sheet["satisfaction_basis"], tally_now
        )
        row = {**sheet, "retaken": changed is not None}
        if changed is not None:
            row.update(
                scores=changed[0], total=changed[1], satisfaction_basis="surveys",
                survey_responses=tally_now.responses, survey_score=tally_now.suggested_score,
                satisfaction_reason="",
            )  # fmt: skip
        row["satisfaction_zh"] = basis_zh(row)
        out.append(row)
    return out


def quarter_sheets(
    session: Session, me: Principal, scope: str, quarter: str, *, reads_surveys: bool
) -> list[dict[str, Any]]:
    """The quarter's sheets in reach; one who may not read survey answers (a planner) gets the
    saved basis only."""
    found = sheets_repo.sheets(session, me, scope, quarter)
    if not reads_surveys:
        return [{**f, "retaken": False, "satisfaction_zh": basis_zh(f)} for f in found]
    return with_current_surveys(session, found, quarter)


def decide_grades(
    session: Session, me: Principal, scope: str, quarter: str, floors: GradeFloors
) -> int:
    """Grade the companies of the quarter's sheets in reach and update the lists; how many."""
    found = sheets_repo.sheets(session, me, scope, quarter)
    if not found:
        raise ValidationFailed(
            f"no score sheets for {quarter}",
            message_zh=f"{quarter} 还没有任何考核评分",
            where={"quarter": quarter},
        )
    # graded on the surveys as they stand at grading (a district bureau reads its district's)
    graded = combine(with_current_surveys(session, found, quarter), floors)
    sheets_repo.save_grades(session, quarter, graded, me.id)
    for row in graded:
        # a grade replaces what the previous quarter's grade put on the lists
        companies_repo.end_grade_entries(session, row["company_id"])
        kind = list_kind_for_grade(row["grade"])
        if kind is not None:
            reason = f"{quarter} 信用等级 {row['grade']}（得分 {row['score']}）"
            companies_repo.add_entry(session, row["company_id"], kind, reason, quarter, me.id)
    return len(graded)


def quarter_view(session: Session, quarter: str, ranking_size: int) -> dict[str, Any]:
    """Grades, 十佳十差, key supervision (D) and the current lists for one quarter."""
    graded = sheets_repo.grades(session, quarter)
    best, worst = best_and_worst(graded, ranking_size)
    return {
        "quarter": quarter,
        "grades": graded,
        "best": best,
        "worst": worst,
        "key_supervision": [g for g in graded if g["grade"] == "D"],
        "lists": companies_repo.list_entries(session, current_only=True),
    }
