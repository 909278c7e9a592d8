"""Coverage statistics: JSON, CSV (UTF-8 with BOM) and the /stats page. Thin handlers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.api.deps import SessionDep, SettingsDep, require, require_page
from service.api.pages.shell import head_tags, header_html, load_shell
from service.api.routes.performance import assess, assess_trend
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.errors import ValidationFailed
from service.services import stats
from service.settings import Settings

router = APIRouter(tags=["statistics"])
Level = Literal["district", "street", "community"]
StatsReader = Annotated[Principal, Depends(require("stats:read"))]


@router.get("/api/stats/coverage", summary="Coverage per district, street or community")
def read_coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> Response:
    # kept per process under the data versions of the tables it reads: an edit shows at once
    body = stats.coverage_json(
        session, me, request.state.scope, level, settings.policy, request.app.state.stats_cache
    )
    return Response(body, media_type="application/json")


@router.get("/api/stats/coverage.csv", summary="Coverage as CSV (UTF-8 with BOM, for Excel)")
def download_coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> Response:
    filename, body = stats.coverage_csv(session, me, request.state.scope, level, settings.policy)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/stats/ranking", summary="Streets ranked by coverage against targets")
def read_ranking(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Level = "street",
) -> dict[str, Any]:
    units = stats.ranking(session, me, request.state.scope, level, settings.policy)
    return {"level": level, "units": units}


@router.get("/api/stats/trend", summary="Coverage at the end of each recent month")
def read_trend(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> dict[str, Any]:
    return {"months": stats.trend(session, me, request.state.scope, settings.policy, months)}


@router.get("/api/stats/reports", summary="Open and overdue reports per department")
def read_report_load(
    request: Request, session: SessionDep, settings: SettingsDep, me: StatsReader
) -> dict[str, Any]:
    return stats.report_load(session, me, request.state.scope, settings.policy)


def _performance_section(
    session: Any, settings: Settings, me: Principal, level: str, period: str | None, by: str
) -> str:
    """The assessment of the month (or the period asked for) for roles that may read it."""
    from map_ui.performance_table import performance_html

    perf_scope = scope_for(me, "performance:read")
    if perf_scope is None:
        return ""
    chosen = (period or "").strip()[:20] or settings.policy.today().strftime("%Y-%m")
    try:
        found = assess(session, settings, me, perf_scope, chosen, by, None)
        # the last 6 months or 4 quarters, this period's figures reused
        trend = assess_trend(session, settings, me, perf_scope, chosen, by, None, current=found)
    except ValidationFailed as refused:
        return performance_html(None, level=level, period=chosen, by=by,
                                error=refused.message_zh or refused.message)  # fmt: skip
    return performance_html(found, level=level, period=chosen, by=by, trend=trend)


@router.get("/stats", response_class=HTMLResponse, include_in_schema=False)
def stats_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require_page("stats:read"))],
    level: Level = "street",
    period: str | None = None,
    by: Literal["street", "community", "department"] = "street",
) -> HTMLResponse:
    from map_ui.stats_page import render_stats_page
    from service.api.routes.residential_areas import party_coverage_view
    from service.db.repositories.assessments import grade_statistics

    shown = stats.page(session, me, request.state.scope, level, settings.policy)
    html = render_stats_page(
        user=me.username,
        level=level,
        viewer_level=me.level,
        performance=_performance_section(session, settings, me, level, period, by),
        party=party_coverage_view(
            session, me, request.state.scope, settings, level, settings.policy.today().year
        ),
        grades=grade_statistics(session, me, request.state.scope),
        head=head_tags("覆盖统计"),
        header=header_html(load_shell(request, session, me), "stats"),
        **shown,
    )
    return HTMLResponse(html)
