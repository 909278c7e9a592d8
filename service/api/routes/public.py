"""GET /public: the disclosure the seeds require, without login, cacheable, phone-first."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.api.deps import SessionDep, SettingsDep
from service.api.pages.public_html import index_html, street_html
from service.db.repositories import assessments, companies
from service.db.repositories import public as repo
from service.errors import NotFound
from service.services import company_assessment

router = APIRouter(tags=["public"])
# Shared caches may keep it for a few minutes; revalidation is cheap through the ETag.
CACHE = "public, max-age=300, stale-while-revalidate=60"


@router.get("/public", response_class=HTMLResponse, summary="Public disclosure (no login)")
def public_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
) -> Response:
    found = None
    if street is not None:
        found = repo.street(session, street)
        if found is None:
            raise NotFound(
                f"street {street} not found", message_zh="未找到该街道", where={"street": street}
            )
        # grades and lists are read under row-level security as the public of the street's
        # district (no identity would show none; a logged-in one is not asked for here)
        repo.read_as_public(session, found["district_id"])
    tag = (
        '"'
        + hashlib.sha256(f"{street}|{repo.data_version(session)}".encode()).hexdigest()[:20]
        + '"'
    )
    headers = {"Cache-Control": CACHE, "ETag": tag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    if found is None:
        return HTMLResponse(index_html(repo.streets(session)), headers=headers)
    quarter = assessments.latest_quarter(session)
    html = street_html(
        found,
        repo.areas_of_street(session, found["id"]),
        settings.companies.supervision_phones.get(
            street or "", settings.companies.supervision_phone
        ),
        companies.list_entries(session, current_only=True),
        company_assessment.quarter_view(session, quarter, settings.companies.ranking_size)
        if quarter
        else None,
    )
    return HTMLResponse(html, headers=headers)
