"""GET /grids: the grid page (folium map + actions) for community staff and street offices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, SettingsDep, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.db.repositories import grid_views as views
from service.db.repositories import grids as repo
from service.db.repositories.grid_checks import check_grids
from service.domain.grid_findings import findings_geojson
from service.domain.policy import scope_for
from service.domain.principal import Principal

router = APIRouter(tags=["grids"])
# An anonymous or expired browser is sent to /login and comes back (docs/auth.md).
PageUser = Annotated[Principal, Depends(require_page("grid:read"))]


@router.get("/grids", response_class=HTMLResponse, summary="Grid page (map and actions)")
def grids_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: PageUser,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
) -> HTMLResponse:
    from map_ui.display_frame import shift_bounds, shift_collection
    from map_ui.grids_page import render_grids_page  # map_ui only when a page is asked for

    scope = str(request.state.scope)
    ids = repo.community_ids_in_scope(session, me, scope, community=community, street=street)
    cells = views.cells_geojson(session, ids)
    findings = []
    if scope_for(me, "grid:check") is not None:
        findings = check_grids(
            session,
            ids,
            households_min=settings.policy.grid_households_min,
            households_max=settings.policy.grid_households_max,
        )
    rows = views.community_extents(session, ids)
    bounds = (rows[0][2], rows[0][3], rows[0][4], rows[0][5]) if rows else None
    basemap = settings.maps.base_map()
    html = render_grids_page(
        title=f"网格管理 · {rows[0][1]}" if len(rows) == 1 else "网格管理",
        cells=shift_collection(cells, basemap.crs),
        findings=shift_collection(findings_geojson(findings), basemap.crs),
        communities=[{"code": r[0], "name": r[1]} for r in rows],
        can_edit=scope_for(me, "grid:edit") is not None,
        households_range=(settings.policy.grid_households_min, settings.policy.grid_households_max),
        bounds=shift_bounds(bounds, basemap.crs),
        workers=views.community_workers(session, ids),
        basemap=basemap.for_page(),
        head=head_tags("网格管理"),
        header=header_html(load_shell(request, session, me), "grids"),
    )
    return HTMLResponse(html)
