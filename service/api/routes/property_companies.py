"""Property companies: registry, quarterly assessment, grades, lists (thin handlers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from service.api.deps import SessionDep, SettingsDep, audit_note, require, require_page
from service.api.pages.shell import basemap_tag, head_tags, header_html, load_shell
from service.api.schemas import StrictModel
from service.db.repositories import assessments as sheets_repo
from service.db.repositories import companies as repo
from service.db.repositories import records as records_repo
from service.db.repositories import surveys as surveys_repo
from service.db.repositories.performance import district_id_of
from service.domain.assessment import (
    LIST_ZH,
    GradeFloors,
    ScoreError,
    best_and_worst,
    combine,
    list_kind_for_grade,
    weighted_total,
)
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.domain.surveys import FED_ITEM, Settled, retaken, settle_item
from service.errors import OutsideJurisdiction, ValidationFailed
from service.settings import Settings

router = APIRouter(tags=["property companies"])
Reader = Annotated[Principal, Depends(require("company:read"))]
Registrar = Annotated[Principal, Depends(require("company:edit"))]
Assessor = Annotated[Principal, Depends(require("assessment:write"))]
SheetReader = Annotated[Principal, Depends(require("assessment:read"))]
Decider = Annotated[Principal, Depends(require("grade:decide"))]
GradeStats = Annotated[Principal, Depends(require("stats:read"))]
GradeMap = Annotated[Principal, Depends(require("map:read"))]
QUARTER = r"^[0-9]{4}Q[1-4]$"
Quarter = Annotated[str, Path(pattern=QUARTER)]
PHONE = r"^[0-9+() -]{5,20}$"


class CompanyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    credit_code: str | None = Field(None, pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$")
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, pattern=PHONE)
    has_party_org: bool = False


class CompanyUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    credit_code: str | None = Field(None, pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$")
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, pattern=PHONE)
    has_party_org: bool | None = None


class SheetIn(StrictModel):
    residential_area: str = Field(pattern=r"^[0-9]{12}R[0-9]{3}$")
    quarter: str = Field(pattern=QUARTER)
    # owner_satisfaction may be left out: it is taken from the 小区's surveys of the quarter
    scores: dict[Annotated[str, Field(max_length=40)], float | int] = Field(max_length=50)
    evidence: str = Field("", max_length=4000)
    # why owner_satisfaction differs from the surveys' score (required then), or a note on a
    # hand score when nobody answered
    satisfaction_reason: str = Field("", max_length=500)


class ItemIn(StrictModel):
    code: str = Field(pattern=r"^[a-z_]{2,40}$")
    name_zh: str = Field(min_length=1, max_length=100)
    # numeric(5, 2) in the table: whole hundredths, at least 0.01
    weight: float = Field(ge=0.01, le=999)


class ItemsIn(StrictModel):
    items: list[ItemIn] = Field(min_length=1, max_length=30)


class ListEntryIn(StrictModel):
    company_id: int = Field(ge=1, le=2_000_000_000)
    list_kind: str = Field(pattern=r"^(red|black|grey)$")
    reason: str = Field(min_length=1, max_length=500)
    quarter: str | None = Field(None, pattern=QUARTER)


def _reach(request: Request, me: Principal) -> int | None:
    """The district a company must be registered in or serve a 小区 of (None: any)."""
    return None if request.state.scope == "all" else me.district_id


def floors(settings: Settings) -> GradeFloors:
    return GradeFloors(
        settings.companies.grade_floor_a,
        settings.companies.grade_floor_b,
        settings.companies.grade_floor_c,
    )


PageReader = Annotated[Principal, Depends(require_page("company:read"))]


@router.get("/companies", response_class=HTMLResponse, summary="Property companies page")
def companies_page(
    request: Request, session: SessionDep, settings: SettingsDep, me: PageReader
) -> HTMLResponse:
    from map_ui.companies_page import render_companies_page
    from service.domain.assessment import quarter_of

    today = settings.policy.reference_date or date.today()
    html = render_companies_page(
        quarter=sheets_repo.latest_quarter(session) or quarter_of(today),
        can_assess=scope_for(me, "assessment:write") is not None,
        can_read_sheets=scope_for(me, "assessment:read") is not None,
        can_decide=scope_for(me, "grade:decide") is not None,
        shell=(
            head_tags("物业服务企业考核") + basemap_tag(settings.maps.base_map().for_page()),
            header_html(load_shell(request, session, me), "companies"),
        ),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/api/property-companies", summary="The registry with grades and lists")
def list_companies(request: Request, session: SessionDep, me: Reader) -> list[dict[str, Any]]:
    return repo.list_companies(session, _reach(request, me))


@router.post("/api/property-companies", status_code=201, summary="Register a company")
def create_company(
    request: Request, session: SessionDep, me: Registrar, body: CompanyCreate
) -> dict[str, Any]:
    company_id = repo.create_company(session, body.model_dump(), me.district_id)
    audit_note(request, object_type="property_company", object_id=company_id)
    return repo.get_company(session, company_id, _reach(request, me))


@router.get("/api/property-companies/{company_id}", summary="One company, its 小区 and grades")
def read_company(
    request: Request,
    session: SessionDep,
    me: Reader,
    company_id: Annotated[int, Path(ge=1, le=2_000_000_000)],
) -> dict[str, Any]:
    return repo.get_company(session, company_id, _reach(request, me))


@router.patch("/api/property-companies/{company_id}", summary="Change registry details")
def update_company(
    request: Request,
    session: SessionDep,
    me: Registrar,
    body: CompanyUpdate,
    company_id: Annotated[int, Path(ge=1, le=2_000_000_000)],
) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    if values.get("name") is None:
        values.pop("name", None)  # a company always keeps a name
    if values.get("has_party_org") is None:
        values.pop("has_party_org", None)
    # a district bureau keeps the companies registered in its district; admin any
    district = _reach(request, me)
    repo.update_company(session, company_id, values, district)
    audit_note(request, object_type="property_company", object_id=company_id, fields=list(values))
    return repo.get_company(session, company_id, district)


DistrictParam = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="Whose sheet (admin only; a district user always gets their district's)."
        " Absent for an admin: the default sheet, used by districts without their own.",
    ),
]


def _sheet_district(session: Any, me: Principal, district: str | None) -> int | None:
    """The district whose score sheet the caller reads or replaces (None: the default sheet).

    A district-bound user has their district's; naming another is a 404, as elsewhere.
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


def _items_view(session: Any, district_id: int | None) -> list[dict[str, Any]]:
    return [
        {"code": i.code, "name_zh": i.name_zh, "weight": float(i.weight)}
        for i in sheets_repo.items(session, district_id)
    ]


@router.get("/api/assessment-items", summary="The score sheet: items and weights")
def list_items(
    session: SessionDep, me: Reader, district: DistrictParam = None
) -> list[dict[str, Any]]:
    return _items_view(session, _sheet_district(session, me, district))


@router.put("/api/assessment-items", summary="Replace the district's score sheet")
def replace_items(
    request: Request,
    session: SessionDep,
    me: Decider,
    body: ItemsIn,
    district: DistrictParam = None,
) -> list[dict[str, Any]]:
    codes = [i.code for i in body.items]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(
            "item codes repeat", message_zh="考核项目编码重复", where={"field": "items"}
        )
    target = _sheet_district(session, me, district)
    rows = [{**i.model_dump(), "weight": round(i.weight, 2)} for i in body.items]
    sheets_repo.replace_items(session, target, rows)
    audit_note(
        request,
        object_type="assessment_items",
        object_id=str(target) if target is not None else "default",
        items=len(rows),
    )
    return _items_view(session, target)


def _scored_area(request: Request, session: Any, me: Principal, code: str) -> dict[str, Any]:
    """The 小区's record in the caller's reach (404 outside), with a company to assess."""
    record = records_repo.get_record(session, me, request.state.scope, code)
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


@router.get(
    "/api/assessments/satisfaction",
    summary="The 小区's surveys of the quarter and the owner-satisfaction score they give",
)
def satisfaction_basis(
    request: Request,
    session: SessionDep,
    me: Assessor,
    residential_area: Annotated[str, Query(pattern=r"^[0-9]{12}R[0-9]{3}$")],
    quarter: Annotated[str, Query(pattern=QUARTER)],
) -> dict[str, Any]:
    record = _scored_area(request, session, me, residential_area)
    found = surveys_repo.area_tallies(session, [record["id"]], quarter)[record["id"]]
    return {
        "residential_area": residential_area,
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


@router.post("/api/assessments", status_code=201, summary="Score the company serving a 小区")
def save_sheet(
    request: Request, session: SessionDep, me: Assessor, body: SheetIn
) -> dict[str, Any]:
    record = _scored_area(request, session, me, body.residential_area)
    items = sheets_repo.items(session, sheets_repo.district_of_area(session, record["id"]))
    scores: dict[str, Any] = dict(body.scores)
    settled: Settled | None = None
    try:
        if FED_ITEM in {i.code for i in items}:
            found = surveys_repo.area_tallies(session, [record["id"]], body.quarter)
            given = scores.get(FED_ITEM)
            settled = settle_item(found[record["id"]], given, body.satisfaction_reason)
            scores[FED_ITEM] = settled.score
        total = weighted_total(items, scores)
    except ScoreError as exc:
        raise _refused(exc) from None
    sheet_id = sheets_repo.save_sheet(
        session,
        company_id=int(record["property_company_id"]),
        area_id=record["id"],
        quarter=body.quarter,
        scores=scores,
        total=total,
        evidence=body.evidence,
        by=me.id,
        satisfaction=settled,
    )
    audit_note(request, object_type="property_assessment", object_id=sheet_id)
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


def _with_current_surveys(
    session: Any, found: list[dict[str, Any]], quarter: str
) -> list[dict[str, Any]]:
    """Each sheet with the fed item retaken from the surveys as they stand (`retaken` says
    whether that changed it), so a sheet saved before answers came in is graded on them."""
    sheets_of: dict[int, list[Any]] = {}  # district → its items (a sheet is its district's)
    tallies = surveys_repo.area_tallies(
        session, sorted({int(f["residential_area_id"]) for f in found}), quarter
    )
    out = []
    for sheet in found:
        tally_now = tallies[int(sheet["residential_area_id"])]
        district_id = int(sheet["district_id"])
        if district_id not in sheets_of:
            sheets_of[district_id] = sheets_repo.items(session, district_id)
        items = sheets_of[district_id]
        changed = retaken(items, sheet["scores"], sheet["satisfaction_basis"], tally_now)
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


@router.get("/api/assessments", summary="The quarter's score sheets in the jurisdiction")
def list_sheets(
    request: Request,
    session: SessionDep,
    me: SheetReader,
    quarter: Annotated[str, Query(pattern=QUARTER)],
) -> list[dict[str, Any]]:
    found = sheets_repo.sheets(session, me, request.state.scope, quarter)
    if scope_for(me, "survey:read") is None:
        # a planner reads the sheets but not the answers: the saved basis only
        return [{**f, "retaken": False, "satisfaction_zh": basis_zh(f)} for f in found]
    return _with_current_surveys(session, found, quarter)


@router.post("/api/company-grades/{quarter}", summary="Combine the quarter's sheets into grades")
def decide_grades(
    request: Request, session: SessionDep, settings: SettingsDep, me: Decider, quarter: Quarter
) -> dict[str, Any]:
    found = sheets_repo.sheets(session, me, request.state.scope, quarter)
    if not found:
        raise ValidationFailed(
            f"no score sheets for {quarter}",
            message_zh=f"{quarter} 还没有任何考核评分",
            where={"quarter": quarter},
        )
    # graded on the surveys as they stand at grading (a district bureau reads its district's)
    graded = combine(_with_current_surveys(session, found, quarter), floors(settings))
    sheets_repo.save_grades(session, quarter, graded, me.id)
    for row in graded:
        # a grade replaces what the previous quarter's grade put on the lists
        repo.end_grade_entries(session, row["company_id"])
        kind = list_kind_for_grade(row["grade"])
        if kind is not None:
            reason = f"{quarter} 信用等级 {row['grade']}（得分 {row['score']}）"
            repo.add_entry(session, row["company_id"], kind, reason, quarter, me.id)
    audit_note(request, object_type="company_grade", object_id=quarter, companies=len(graded))
    return quarter_view(session, settings, quarter)


def quarter_view(session: Any, settings: Settings, quarter: str) -> dict[str, Any]:
    """Grades, 十佳十差, key supervision (D) and the current lists for one quarter."""
    graded = sheets_repo.grades(session, quarter)
    best, worst = best_and_worst(graded, settings.companies.ranking_size)
    return {
        "quarter": quarter,
        "grades": graded,
        "best": best,
        "worst": worst,
        "key_supervision": [g for g in graded if g["grade"] == "D"],
        "lists": repo.list_entries(session, current_only=True),
    }


@router.get("/api/company-grades/{quarter}", summary="A quarter's grades, ranking and lists")
def read_grades(
    session: SessionDep, settings: SettingsDep, me: Reader, quarter: Quarter
) -> dict[str, Any]:
    return quarter_view(session, settings, quarter)


@router.get("/api/company-lists", summary="Red / black / grey list entries, with history")
def list_entries(session: SessionDep, me: Reader, current: bool = False) -> list[dict[str, Any]]:
    entries = repo.list_entries(session, current_only=current)
    for e in entries:
        e["list_zh"] = LIST_ZH[e["list_kind"]]
    return entries


@router.post("/api/company-lists", status_code=201, summary="Put a company on a list")
def add_entry(
    request: Request, session: SessionDep, me: Decider, body: ListEntryIn
) -> dict[str, Any]:
    # a company of the decider's district (registered in it or serving a 小区 in it): another
    # district's is a 404, as the row-level security policies would refuse the row anyway
    repo.get_company(session, body.company_id, _reach(request, me))
    entry = repo.add_entry(
        session, body.company_id, body.list_kind, body.reason, body.quarter, me.id
    )
    audit_note(request, object_type="company_list_entry", object_id=entry)
    return {"id": entry}


@router.post("/api/company-lists/{entry_id}/end", summary="Take a company off its list")
def end_entry(
    request: Request,
    session: SessionDep,
    me: Decider,
    entry_id: Annotated[int, Path(ge=1, le=2**62)],
) -> dict[str, Any]:
    repo.end_entry(session, entry_id)
    return {"id": entry_id, "ended": True}


@router.get("/api/stats/company-grades", summary="小区 and households by company grade")
def grade_statistics(request: Request, session: SessionDep, me: GradeStats) -> list[dict[str, Any]]:
    return sheets_repo.grade_statistics(session, me, request.state.scope)


@router.get("/api/map/company-grades", summary="GeoJSON: 小区 coloured by company grade")
def grade_map(request: Request, session: SessionDep, me: GradeMap) -> Response:
    body = sheets_repo.grade_features(session, me, request.state.scope)
    return Response(body, media_type="application/geo+json")
