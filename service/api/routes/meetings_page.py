"""GET /meetings: the register of joint meetings (联席会议) for staff and departments (the
page's data all comes from /api/meetings)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.domain.principal import Principal
from service.settings import PROJECT_ROOT

router = APIRouter(tags=["residents"])
TEMPLATE = PROJECT_ROOT / "map_ui" / "static" / "meetings" / "index.html"
PageUser = Annotated[Principal, Depends(require_page("meeting:read"))]
HEAD_SLOT = "<!--wg-shell-head-->"
HEADER_SLOT = "<!--wg-shell-header-->"


@cache
def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@router.get("/meetings", response_class=HTMLResponse, summary="Joint meetings register (page)")
def meetings_page(request: Request, session: SessionDep, me: PageUser) -> HTMLResponse:
    html = (
        _template()
        .replace(HEAD_SLOT, head_tags("联席会议"))
        .replace(HEADER_SLOT, header_html(load_shell(request, session, me), "meetings"))
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
