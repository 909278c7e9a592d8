"""Satisfaction surveys per 小区: the public link staff hand out, sheets staff enter from
paper or a visit, and the quarter's results per 小区 — with the suggested score of the property
company assessment's "业主评价与满意度" item they feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from service.api.deps import SessionDep, audit_note, require
from service.api.schemas import StrictModel
from service.db.repositories import surveys as repo
from service.domain.principal import Principal
from service.domain.surveys import FED_ITEM, QUESTIONS, tally
from service.errors import OutsideJurisdiction

router = APIRouter(tags=["residents"])
Reader = Annotated[Principal, Depends(require("survey:read"))]
Writer = Annotated[Principal, Depends(require("survey:write"))]
AreaCode = Annotated[str, Query(pattern=r"^[0-9]{12}R[0-9]{3}$")]
Answer = Literal["satisfied", "basically", "dissatisfied"]


class SheetCreate(StrictModel):
    residential_area: str = Field(pattern=r"^[0-9]{12}R[0-9]{3}$")
    overall: Answer
    property_service: Answer
    environment: Answer
    safety: Answer
    comment: str = Field(default="", max_length=1000)


class LinkPublic(BaseModel):
    residential_area: str
    path: str = Field(description="the public form, e.g. /survey/<code>")
    created_at: Any


def _in_reach(session: SessionDep, me: Principal, code: str) -> dict[str, Any]:
    area = repo.area_in_reach(session, me, code)
    if area is None:
        raise OutsideJurisdiction(
            "no such 小区 in your jurisdiction", message_zh="本辖区内没有这个小区",
            where={"residential_area": code},
        )  # fmt: skip
    return area


@router.get(
    "/api/residential-areas/{code}/survey-link",
    response_model=LinkPublic,
    summary="The 小区's public survey link (404 until one is made)",
)
def read_link(code: str, session: SessionDep, me: Writer) -> LinkPublic:
    area = _in_reach(session, me, code)
    link = repo.link_of(session, area["id"])
    if link is None:
        raise OutsideJurisdiction(
            "no survey link yet", message_zh="该小区尚未生成调查链接", where={"code": code}
        )
    return LinkPublic(residential_area=code, path=f"/survey/{link['code']}",
                      created_at=link["created_at"])  # fmt: skip


@router.post(
    "/api/residential-areas/{code}/survey-link",
    response_model=LinkPublic,
    status_code=201,
    summary="Make the 小区's survey link (a new one replaces the old)",
)
def make_link(code: str, request: Request, session: SessionDep, me: Writer) -> LinkPublic:
    area = _in_reach(session, me, code)
    link = repo.new_link(session, me, area["id"])
    audit_note(request, object_type="residential_area", object_id=code, survey_link=True)
    return LinkPublic(residential_area=code, path=f"/survey/{link['code']}",
                      created_at=link["created_at"])  # fmt: skip


@router.post("/api/surveys", status_code=201, summary="Enter one resident's answer sheet")
def enter_sheet(
    body: SheetCreate, request: Request, session: SessionDep, me: Writer
) -> dict[str, Any]:
    area = _in_reach(session, me, body.residential_area)
    answers = {k: getattr(body, k) for k in QUESTIONS}
    quarter = repo.current_quarter(session)
    sheet = repo.add_sheet(
        session, area, quarter=quarter, source="staff", answers=answers,
        comment=body.comment, created_by=me.id,
    )  # fmt: skip
    audit_note(request, object_type="residential_area", object_id=area["code"], survey=sheet)
    return {"id": sheet, "quarter": quarter, "residential_area": area["code"]}


@router.get("/api/surveys/summary", summary="The quarter's satisfaction per 小区 in my area")
def summary(
    session: SessionDep,
    me: Reader,
    quarter: Annotated[str | None, Query(pattern=r"^[0-9]{4}Q[1-4]$")] = None,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
    residential_area: Annotated[str | None, Query(pattern=r"^[0-9]{12}R[0-9]{3}$")] = None,
) -> dict[str, Any]:
    quarter = quarter or repo.current_quarter(session)
    areas = []
    for row in repo.quarter_tallies(session, me, quarter, street, residential_area):
        t = tally(
            ["satisfied"] * row["satisfied"] + ["basically"] * row["basically"]
            + ["dissatisfied"] * row["dissatisfied"]
        )  # fmt: skip
        areas.append({**row, "rate": t.rate, "suggested_score": t.suggested_score})
    return {"quarter": quarter, "fed_item": FED_ITEM, "questions": QUESTIONS, "areas": areas}
