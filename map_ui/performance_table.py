"""The assessment (绩效考核) section of /stats: a form for the period and the kind of unit, the
table of figures with score and rank, and the CSV/XLSX downloads. Names are escaped."""

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


def performance_html(
    found: Mapping[str, Any] | None, *, level: str, period: str, by: str, error: str = ""
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
    return f"{head}{form}{links}{table}{note}"
