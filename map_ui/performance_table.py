"""The assessment (绩效考核) section of /stats: a form for the period and the kind of unit, the
table of figures with score and rank, the CSV/XLSX downloads, and each unit's score and rank
over the last periods (a table with a small inline SVG line per unit, as /stats draws its
other charts: no chart library). Names are escaped."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

BY_ZH = {"street": "街道", "community": "社区", "department": "部门"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _form(level: str, period: str, by: str) -> str:
    options = "".join(
        f"<option value='{k}'{' selected' if k == by else ''}>按{zh}</option>"
        for k, zh in BY_ZH.items()
    )
    return (
        "<form id='perf-form' method='get' action='/stats'>"
        f"<input type='hidden' name='level' value='{escape(level, quote=True)}'>"
        "<label>考核期 <input name='period' size='9' maxlength='20' "
        f"value='{escape(period, quote=True)}' placeholder='2026-03 或 2026Q1'></label> "
        f"<select name='by' aria-label='考核对象'>{options}</select> "
        "<button type='submit'>查看</button></form>"
    )


def _rows(units: list[Mapping[str, Any]]) -> str:
    rows = []
    for u in units:
        scored = u["score"] is not None
        rows.append(
            f"<tr data-code='{escape(str(u['code']), quote=True)}'>"
            f"<td>{u['rank'] or '—'}</td><td>{escape(u['name'])}</td><td>{u['received']}</td>"
            f"<td>{_pct(u['on_time_rate'])}</td><td>{_num(u['handling_hours'])}</td>"
            f"<td>{_pct(u['reopened_rate'])}</td><td>{_pct(u['satisfaction_rate'])}</td>"
            f"<td>{u['overdue']}</td><td>{u['escalated']}</td>"
            f"<td class='{'score' if scored else 'nodata'}'>{_num(u['score'])}</td></tr>"
        )
    return "".join(rows) or "<tr><td colspan='10'>本期没有受理的事件</td></tr>"


def _sparkline(points: list[Mapping[str, Any]]) -> str:
    """A small line of the unit's scores (0–100) over the periods; gaps where unscored."""
    w, h, n = 96, 24, max(1, len(points) - 1)
    coords = [
        f"{2 + i * (w - 4) / n:.1f},{2 + (100 - p['score']) * (h - 4) / 100:.1f}"
        for i, p in enumerate(points)
        if p["score"] is not None
    ]
    line = (
        f"<polyline fill='none' stroke='#2b8cbe' stroke-width='1.5' points='{' '.join(coords)}'/>"
        if len(coords) > 1
        else ""
    )
    dots = "".join(
        f"<circle cx='{c.split(',')[0]}' cy='{c.split(',')[1]}' r='1.8' fill='#2b8cbe'/>"
        for c in coords
    )
    return (
        f"<svg class='spark' width='{w}' height='{h}' role='img' aria-label='得分走势'>"
        f"<line x1='2' x2='{w - 2}' y1='{h / 2}' y2='{h / 2}' stroke='#eee'/>{line}{dots}</svg>"
    )


def trend_html(trend: Mapping[str, Any]) -> str:
    """Each unit's score and rank over the periods, with a small line per unit."""
    periods = list(trend["periods"])
    head = "".join(f"<th>{escape(p)}</th>" for p in periods)
    rows = []
    for u in trend["units"]:
        by_period = {p["period"]: p for p in u["points"]}
        cells = []
        for label in periods:
            p = by_period.get(label)
            if p is None or p["score"] is None:
                cells.append("<td class='nodata'>—</td>")
            else:
                cells.append(
                    f"<td data-period='{escape(label, quote=True)}'>{p['score']:.1f}"
                    f"<small class='rank'>（第{p['rank']}名）</small></td>"
                )
        points = [by_period.get(label) or {"score": None} for label in periods]
        rows.append(
            f"<tr data-code='{escape(str(u['code']), quote=True)}'><td>{escape(u['name'])}</td>"
            f"{''.join(cells)}<td>{_sparkline(points)}</td></tr>"
        )
    body = "".join(rows) or f"<tr><td colspan='{len(periods) + 2}'>暂无考核对象</td></tr>"
    return (
        f"<h3 id='perf-trend-title'>得分与排名趋势（近 {len(periods)} 期）</h3>"
        f"<table id='perf-trend'><thead><tr><th>名称</th>{head}<th>走势</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def performance_html(
    found: Mapping[str, Any] | None,
    *,
    level: str,
    period: str,
    by: str,
    error: str = "",
    trend: Mapping[str, Any] | None = None,
) -> str:
    """The section; `found` is the assessment (None with `error` when it was refused)."""
    head = f"<h2 id='performance-title'>绩效考核（{escape(period)}，按{BY_ZH[by]}）</h2>"
    form = _form(level, period, by)
    if found is None:
        return f"{head}{form}<p class='short' id='perf-error'>{escape(error)}</p>"
    query = urlencode({"period": found["period"], "by": by})
    links = (
        f"<p><a id='perf-csv' href='/api/performance/assessment.csv?{query}'>下载 CSV</a> · "
        f"<a id='perf-xlsx' href='/api/performance/assessment.xlsx?{query}'>下载 Excel</a></p>"
    )
    weights = "、".join(f"{escape(k)} {w}" for k, w in found["weights_zh"].items())
    note = (
        f"<p><small>按受理时间统计本期事件。得分满分 100，权重：{weights}；"
        f"办理时长目标 {found['target_hours']} 小时。</small></p>"
    )
    table = (
        "<table id='performance'><thead><tr><th>排名</th><th>名称</th><th>受理量</th>"
        "<th>按时办结率</th><th>平均办理时长（小时）</th><th>重办率</th><th>满意率</th>"
        "<th>超期数</th><th>升级数</th><th>得分</th></tr></thead>"
        f"<tbody>{_rows(list(found['units']))}</tbody></table>"
    )
    trend_part = trend_html(trend) if trend is not None else ""
    return f"{head}{form}{links}{table}{note}{trend_part}"
