"""Performance assessment of streets, communities and departments per month or quarter:
figures, score out of 100 and ranking, as JSON or CSV (UTF-8 with BOM, for Excel)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories import performance as repo
from service.db.repositories.clock import database_now
from service.domain.export_formats import formula_guarded
from service.domain.performance import (
    INDICATOR_ZH,
    Counts,
    PeriodRefused,
    parse_period,
    rank,
    rates,
    score,
    trend_labels,
)
from service.domain.principal import Principal
from service.errors import ValidationFailed
from service.imports.record_sheet import tables_workbook
from service.settings import Settings

router = APIRouter(prefix="/api/performance", tags=["residents"])
Reader = Annotated[Principal, Depends(require("performance:read"))]
By = Literal["street", "community", "department"]
BY_ZH = {"street": "街道", "community": "社区", "department": "部门"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PeriodQuery = Annotated[str, Query(max_length=20, description="2026-03 (month) or 2026Q1")]
DistrictQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{6}$", description="an administrator bound to no district: which one"),
]


def assess(
    session: Session, settings: Settings, me: Principal, scope: str,
    period: str, by: str, district: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The period's figures, scores and ranks per unit in the caller's reach (also /stats)."""
    try:
        found = parse_period(period)
    except PeriodRefused as refused:
        raise ValidationFailed(
            str(refused), message_zh=refused.message_zh, where={"field": "period"}
        ) from None
    district_id = me.district_id or (repo.district_id_of(session, district) if district else None)
    if district_id is None:
        raise ValidationFailed(
            "name the district (an account bound to none)",
            message_zh="请指定区县编码",
            where={"field": "district"},
        )
    now = database_now(session)
    rows = repo.unit_counts(
        session, me, scope, by, district_id=district_id,
        start=found.start, end=found.end, as_of=min(now, found.end),
    )  # fmt: skip
    weights = settings.assessment.weights
    units = []
    for row in rows:
        counts = Counts(**{k: v for k, v in row.items() if k not in ("code", "name")})
        s = score(counts, weights, settings.assessment.target_hours)
        units.append({**row, **rates(counts), "score": s})
    places = rank([(u["code"], u["score"]) for u in units])
    for u in units:
        u["rank"] = places[u["code"]]
    units.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, u["code"]))
    return {
        "period": found.label,
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "by": by,
        "weights": weights,
        "weights_zh": {INDICATOR_ZH[k]: w for k, w in weights.items() if k in INDICATOR_ZH},
        "target_hours": settings.assessment.target_hours,
        "units": units,
    }


TREND_DEFAULT = {"month": 6, "quarter": 4}  # the last half year either way
CountQuery = Annotated[
    int | None,
    Query(ge=2, le=12, description="periods ending with `period` (default 6 months, 4 quarters)"),
]


def default_count(period: str) -> int:
    return TREND_DEFAULT["quarter" if "Q" in period.upper() else "month"]


def assess_trend(
    session: Session, settings: Settings, me: Principal, scope: str, period: str, by: str,
    district: str | None, count: int | None = None, current: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Each unit's score and rank over the `count` periods of the same kind ending with
    `period`: the single-period assessment (`assess`: the same reach, weights and counting
    function) once per period; `current`, when the caller has `period`'s already, is reused."""
    try:
        found = parse_period(period)
    except PeriodRefused as refused:
        raise ValidationFailed(
            str(refused), message_zh=refused.message_zh, where={"field": "period"}
        ) from None
    labels = []
    for label in trend_labels(found, count or default_count(period)):
        try:
            parse_period(label)
        except PeriodRefused:
            continue  # before 2000: nothing to show
        labels.append(label)
    per_period = []
    for label in labels:
        if current is not None and label == found.label:
            per_period.append(current)
        else:
            per_period.append(assess(session, settings, me, scope, label, by, district))
    units: dict[str, dict[str, Any]] = {}
    for assessed in per_period:
        for u in assessed["units"]:
            unit = units.setdefault(u["code"], {"code": u["code"], "name": u["name"], "points": []})
            unit["points"].append({"period": assessed["period"], "score": u["score"],
                                   "rank": u["rank"], "received": u["received"]})  # fmt: skip
    latest = {u["code"]: i for i, u in enumerate(per_period[-1]["units"])}
    return {
        "period": found.label,
        "by": by,
        "periods": labels,
        "weights": settings.assessment.weights,
        # in the latest period's order (by rank); a unit gone since then last
        "units": sorted(units.values(), key=lambda u: (latest.get(u["code"], 10**6), u["code"])),
    }


@router.get(
    "/trend", summary="Each unit's score and rank over the last periods (months or quarters)"
)
def read_trend(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    period: PeriodQuery,
    by: By = "street",
    count: CountQuery = None,
    district: DistrictQuery = None,
) -> dict[str, Any]:
    return assess_trend(session, settings, me, request.state.scope, period, by, district, count)


@router.get("", summary="Assessment per street, community or department for a month/quarter")
def read_assessment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    period: PeriodQuery,
    by: By = "street",
    district: DistrictQuery = None,
) -> dict[str, Any]:
    return assess(session, settings, me, request.state.scope, period, by, district)


CSV_HEADER = ["排名", "层级", "编码", "名称", "受理量", "驳回", "办结", "按时办结率",
              "平均办理时长（小时）", "重办率", "回访数", "满意率", "超期数", "升级数",
              "得分"]  # fmt: skip


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def table_rows(found: dict[str, Any]) -> list[list[Any]]:
    """The assessment as the rows of the CSV and XLSX downloads (under CSV_HEADER)."""
    rows = []
    for u in found["units"]:
        hours = "" if u["handling_hours"] is None else f"{u['handling_hours']:.1f}"
        rows.append([
            u["rank"] or "", BY_ZH[found["by"]], u["code"], formula_guarded(u["name"]),
            u["received"], u["rejected"], u["closed"], _pct(u["on_time_rate"]), hours,
            _pct(u["reopened_rate"]), u["visited"], _pct(u["satisfaction_rate"]), u["overdue"],
            u["escalated"], "" if u["score"] is None else f"{u['score']:.1f}",
        ])  # fmt: skip
    return rows


def trend_table(trend: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The trend as a table: code and name, then score and rank per period."""
    header = ["编码", "名称"]
    for label in trend["periods"]:
        header += [f"{label} 得分", f"{label} 排名"]
    rows = []
    for u in trend["units"]:
        by_period = {p["period"]: p for p in u["points"]}
        row: list[Any] = [u["code"], formula_guarded(u["name"])]
        for label in trend["periods"]:
            p = by_period.get(label)
            row += (
                ["", ""]
                if p is None
                else ["" if p["score"] is None else f"{p['score']:.1f}", p["rank"] or ""]
            )
        rows.append(row)
    return header, rows


@router.get(
    "/assessment.csv",
    summary="The assessment as CSV (UTF-8 with BOM, for Excel), then the trend as a section",
)
def download_assessment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    period: PeriodQuery,
    by: By = "street",
    district: DistrictQuery = None,
) -> Response:
    found = assess(session, settings, me, request.state.scope, period, by, district)
    trend = assess_trend(
        session, settings, me, request.state.scope, period, by, district, current=found
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(table_rows(found))
    # a second section after an empty line: the score and rank over the last periods
    header, rows = trend_table(trend)
    writer.writerows([[], [f"得分趋势（近 {len(trend['periods'])} 期）"], header, *rows])
    filename = f"assessment-{by}-{found['period']}.csv"
    return Response(
        ("\ufeff" + buf.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/assessment.xlsx",
    summary="The assessment as an Excel workbook (the CSV's columns; the trend a second sheet)",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def download_assessment_xlsx(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    period: PeriodQuery,
    by: By = "street",
    district: DistrictQuery = None,
) -> Response:
    found = assess(session, settings, me, request.state.scope, period, by, district)
    trend = assess_trend(
        session, settings, me, request.state.scope, period, by, district, current=found
    )
    data = tables_workbook([
        (f"绩效考核 {found['period']}", CSV_HEADER, table_rows(found)),
        ("得分趋势", *trend_table(trend)),
    ])  # fmt: skip
    filename = f"assessment-{by}-{found['period']}.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
