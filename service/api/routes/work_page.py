"""GET /work: the case-handling workbench for community staff, street offices, the district
and departments (the page's data all comes from /api/cases and /api/reports)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from service.api.deps import require_page
from service.domain.principal import Principal
from service.settings import PROJECT_ROOT

router = APIRouter(tags=["cases"])
STATIC_WORK = PROJECT_ROOT / "map_ui" / "static" / "work"
# An anonymous or expired browser is sent to /login and comes back (docs/auth.md).
PageUser = Annotated[Principal, Depends(require_page("case:read"))]


@router.get("/work", response_class=FileResponse, summary="Case-handling workbench (page)")
def work_page(_: PageUser) -> FileResponse:
    return FileResponse(
        STATIC_WORK / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
