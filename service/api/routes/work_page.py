"""GET /work: the case-handling workbench for community staff, street offices, the district
and departments (the page's data all comes from /api/cases and /api/reports)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, SettingsDep, require_page
from service.api.pages.shell import basemap_tag, head_tags, header_html, load_shell
from service.domain.principal import Principal
from service.settings import PROJECT_ROOT

router = APIRouter(tags=["cases"])
STATIC_WORK = PROJECT_ROOT / "map_ui" / "static" / "work"
# An anonymous or expired browser is sent to /login and comes back (docs/auth.md).
PageUser = Annotated[Principal, Depends(require_page("case:read"))]
# where index.html takes the shared shell's head tags (and the base map's configuration for the
# case map and the 登记投诉 map) and header (docs/navigation.md, docs/base-map.md)
HEAD_SLOT = "<!--wg-shell-head-->"
HEADER_SLOT = "<!--wg-shell-header-->"


@cache
def _template() -> str:
    return (STATIC_WORK / "index.html").read_text(encoding="utf-8")


@router.get("/work", response_class=HTMLResponse, summary="Case-handling workbench (page)")
def work_page(
    request: Request, session: SessionDep, settings: SettingsDep, me: PageUser
) -> HTMLResponse:
    html = (
        _template()
        .replace(
            HEAD_SLOT, head_tags("案件办理") + basemap_tag(settings.maps.base_map().for_page())
        )
        .replace(HEADER_SLOT, header_html(load_shell(request, session, me), "work"))
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
