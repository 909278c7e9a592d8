"""GET /residential-areas/{code}: one 小区's page (record form, flags, history)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.db.repositories import records as repo
from service.domain.policy import scope_for
from service.domain.principal import Principal

router = APIRouter(tags=["residential areas"])
# An anonymous or expired browser is sent to /login and comes back (docs/auth.md).
PageUser = Annotated[Principal, Depends(require_page("residential_area:read"))]


@router.get("/residential-areas", response_class=HTMLResponse, summary="小区 records list page")
def index_page(request: Request, session: SessionDep, me: PageUser) -> HTMLResponse:
    from map_ui.records_page import render_index_page
    from service.domain.record_flags import FLAG_ZH

    html = render_index_page(
        can_edit=scope_for(me, "residential_area:edit") is not None,
        flags=dict(FLAG_ZH),
        title="小区台账",
        shell=(head_tags("小区台账"), header_html(load_shell(request, session, me), "areas")),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get(
    "/residential-areas/{code}", response_class=HTMLResponse, summary="A 小区's record page"
)
def area_page(
    request: Request,
    session: SessionDep,
    me: PageUser,
    code: Annotated[str, Path(pattern=r"^[0-9]{12}R[0-9]{3}$")],
) -> HTMLResponse:
    from map_ui.records_page import render_records_page  # map_ui only when a page is asked for

    record = repo.get_record(session, me, request.state.scope, code)
    edit_scope = scope_for(me, "residential_area:edit")
    can_edit = edit_scope is not None and bool(
        repo.list_records(session, me, edit_scope, community=record["community_code"])
    )
    html = render_records_page(
        code=record["code"],
        name=record["name"],
        place=f"{record['street_name']} · {record['community_name']}",
        can_edit=can_edit,
        companies=repo.company_names(session),
        shell=(
            head_tags(f"{record['name']} · 小区台账"),
            header_html(load_shell(request, session, me), "areas"),
        ),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
