"""GET/POST /survey/{code}: residents answer their 小区's satisfaction survey without login.

The code is the 小区's link (made by its staff, replaceable); one client may answer a 小区 a few
times a day (WANGGE_SURVEY_MAX_PER_CLIENT_PER_DAY), counted by a keyed digest of its address."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, SettingsDep, client_address
from service.api.pages.survey_html import form_html, thanks_html
from service.db.repositories import surveys as repo
from service.domain.plain_text import CONTROL_CHARACTERS
from service.domain.surveys import ANSWERS, QUESTIONS
from service.errors import NotFound

router = APIRouter(tags=["residents"])
CodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
NO_STORE = {"Cache-Control": "no-store"}
Answer = Annotated[str, Form(max_length=20)]


def _area(session: SessionDep, code: str) -> dict[str, Any]:
    area = repo.area_of_link(session, code)
    if area is None:
        raise NotFound(
            "no survey behind this link", message_zh="调查链接无效或已更换", where={"code": code}
        )
    return area


def _again(area: dict[str, Any], code: str, message_zh: str, status: int) -> HTMLResponse:
    return HTMLResponse(form_html(area, code, error=message_zh), status_code=status,
                        headers=NO_STORE)  # fmt: skip


@router.get("/survey/{code}", response_class=HTMLResponse, summary="Residents' survey form")
def survey_form(code: CodePath, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(form_html(_area(session, code), code), headers=NO_STORE)


@router.post("/survey/{code}", response_class=HTMLResponse, summary="Answer the survey")
def survey_answer(
    code: CodePath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    overall: Answer,
    property_service: Answer,
    environment: Answer,
    safety: Answer,
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    area = _area(session, code)
    answers = {"overall": overall, "property_service": property_service,
               "environment": environment, "safety": safety}  # fmt: skip
    # the answer is a page for the resident's browser: refusals are the form again, saying why
    for key, value in answers.items():
        if value not in ANSWERS:
            return _again(area, code, f"请选择「{QUESTIONS[key]}」的答案", 422)
    if CONTROL_CHARACTERS.search(comment):
        return _again(area, code, "意见中含有无法保存的字符，请修改后再提交", 422)
    salt = settings.auth.secret_key.get_secret_value().encode()
    digest = hmac.new(salt, client_address(request).encode(), hashlib.sha256).hexdigest()
    if (
        repo.answers_today(session, area["id"], digest)
        >= settings.residents.survey_max_per_client_per_day
    ):
        page = _again(area, code, "您今天已提交过本小区的调查，请明天再来", 429)
        page.headers["Retry-After"] = "86400"
        return page
    repo.log_client(session, area["id"], digest)
    repo.add_sheet(
        session, area, quarter=repo.current_quarter(session), source="resident",
        answers=answers, comment=comment.strip(), created_by=None,
    )  # fmt: skip
    return HTMLResponse(thanks_html(area), status_code=201, headers=NO_STORE)
