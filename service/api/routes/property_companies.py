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
from service.domain.assessment import LIST_ZH, GradeFloors
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.services import company_assessment as service
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
        description="Whose sheet. A district-bound user gets their district's (naming another"
        " is a 404). An admin bound to no district names one, or without it gets the default"
        " sheet, used by districts that have none of their own.",
    ),
]


@router.get("/api/assessment-items", summary="The score sheet: items and weights")
def list_items(
    session: SessionDep, me: Reader, district: DistrictParam = None
) -> list[dict[str, Any]]:
    return service.items_view(session, service.sheet_district(session, me, district))


@router.put("/api/assessment-items", summary="Replace the district's score sheet")
def replace_items(
    request: Request,
    session: SessionDep,
    me: Decider,
    body: ItemsIn,
    district: DistrictParam = None,
) -> list[dict[str, Any]]:
    target = service.sheet_district(session, me, district)
    rows = [{**i.model_dump(), "weight": round(i.weight, 2)} for i in body.items]
    service.replace_sheet(session, target, rows)
    audit_note(
        request,
        object_type="assessment_items",
        object_id=str(target) if target is not None else "default",
        items=len(rows),
    )
    return service.items_view(session, target)


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
    return service.satisfaction_basis(session, me, request.state.scope, residential_area, quarter)


@router.post("/api/assessments", status_code=201, summary="Score the company serving a 小区")
def save_sheet(
    request: Request, session: SessionDep, me: Assessor, body: SheetIn
) -> dict[str, Any]:
    answer = service.score_area(
        session,
        me,
        request.state.scope,
        area_code=body.residential_area,
        quarter=body.quarter,
        scores=dict(body.scores),
        evidence=body.evidence,
        satisfaction_reason=body.satisfaction_reason,
    )
    audit_note(request, object_type="property_assessment", object_id=answer["id"])
    return answer


@router.get("/api/assessments", summary="The quarter's score sheets in the jurisdiction")
def list_sheets(
    request: Request,
    session: SessionDep,
    me: SheetReader,
    quarter: Annotated[str, Query(pattern=QUARTER)],
) -> list[dict[str, Any]]:
    reads_surveys = scope_for(me, "survey:read") is not None
    return service.quarter_sheets(
        session, me, request.state.scope, quarter, reads_surveys=reads_surveys
    )


@router.post("/api/company-grades/{quarter}", summary="Combine the quarter's sheets into grades")
def decide_grades(
    request: Request, session: SessionDep, settings: SettingsDep, me: Decider, quarter: Quarter
) -> dict[str, Any]:
    graded = service.decide_grades(session, me, request.state.scope, quarter, floors(settings))
    audit_note(request, object_type="company_grade", object_id=quarter, companies=graded)
    return quarter_view(session, settings, quarter)


def quarter_view(session: Any, settings: Settings, quarter: str) -> dict[str, Any]:
    """Grades, 十佳十差, key supervision (D) and the current lists for one quarter."""
    return service.quarter_view(session, quarter, settings.companies.ranking_size)


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
