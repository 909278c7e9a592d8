"""The /stats page: coverage against targets as inline SVG charts (no chart library, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from service.domain.assessment import GRADE_CLASS_ZH

INDICATOR_ZH = {
    "property_service": "物业服务覆盖率",
    "party_org": "党的工作覆盖率（含党建指导员）",
    "owners_committee": "业委会（物管会）组建率",
    "renovation": "老旧小区改造完成率",
}
COLOURS = {
    "property_service": "#2b8cbe",
    "party_org": "#d7301f",
    "owners_committee": "#31a354",
    "renovation": "#756bb1",
}
LEVEL_ZH = {"district": "区县", "street": "街道", "community": "社区"}
# how fine each level is; a viewer sees levels at least as fine as their own jurisdiction
LEVEL_RANK = {"all": 0, "district": 1, "street": 2, "community": 3}
SHARE_ZH = {"street": "本街道", "community": "本社区"}


def _pct(value: float | None) -> str:
    return "无数据" if value is None else f"{value * 100:.1f}%"


def bar_chart(
    name: str, units: Sequence[Mapping[str, Any]], *, label: str = "", colour: str = ""
) -> str:
    """Horizontal bars per unit for one indicator, with the target as a dashed line."""
    row_h, label_w, bar_w = 22, 150, 360
    height = row_h * max(1, len(units)) + 30
    label = label or INDICATOR_ZH[name]
    parts = [
        f'<svg class="chart" data-indicator="{name}" width="{label_w + bar_w + 70}" '
        f'height="{height}" role="img" aria-label="{escape(label)}">'
    ]
    target = None
    for i, unit in enumerate(units):
        view = unit["indicators"][name]
        target = view["target"]
        y = 10 + i * row_h
        value = view["rate_by_areas"]
        width = 0 if value is None else round(bar_w * value)
        fill = (colour or COLOURS[name]) if value is not None else "#bbb"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(unit["name"])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{width}" height="{row_h - 6}" '
            f'fill="{fill}"><title>{escape(unit["name"])} {_pct(value)}</title></rect>'
            f'<text x="{label_w + width + 4}" y="{y + 14}">{_pct(value)}</text>'
        )
    if target is not None:
        x = label_w + round(bar_w * target)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="4" y2="{height - 16}" stroke="#333" '
            f'stroke-dasharray="4 3"/><text x="{x}" y="{height - 4}" text-anchor="middle">'
            f"目标 {_pct(target)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(points: Sequence[Mapping[str, Any]]) -> str:
    """One line per indicator over the months (rate by 小区)."""
    w, h, pad = 560, 220, 36
    n = max(1, len(points) - 1)
    parts = [f'<svg class="chart" id="trend" width="{w}" height="{h + 8}" role="img">']
    for tick in (0, 0.5, 1):
        y = pad + (1 - tick) * (h - 2 * pad)
        parts.append(
            f'<line x1="{pad}" x2="{w - 10}" y1="{y}" y2="{y}" stroke="#ddd"/>'
            f'<text x="2" y="{y + 4}">{int(tick * 100)}%</text>'
        )
    for name, colour in COLOURS.items():
        coords = []
        for i, point in enumerate(points):
            value = point["indicators"][name]["rate_by_areas"]
            if value is not None:
                x = pad + i * (w - pad - 10) / n
                coords.append(f"{x:.1f},{pad + (1 - value) * (h - 2 * pad):.1f}")
        if coords:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(coords)}"><title>{INDICATOR_ZH[name]}</title></polyline>'
            )
    for i, point in enumerate(points):
        if i % 3 == 0 or i == len(points) - 1:
            x = pad + i * (w - pad - 10) / n
            anchor = "end" if i == len(points) - 1 else "middle"  # the last stays inside
            parts.append(
                f'<text x="{x:.1f}" y="{h}" text-anchor="{anchor}">{point["month"]}</text>'
            )
    parts.append("</svg>")
    # the legend is HTML under the chart: it wraps instead of running into the month labels
    legend = "".join(
        f'<li><span class="swatch" style="background:{c}"></span>{INDICATOR_ZH[k]}</li>'
        for k, c in COLOURS.items()
    )
    return "".join(parts) + f'<ul class="legend" id="trend-legend">{legend}</ul>'


def _ranking_table(units: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{INDICATOR_ZH[n]}</th>" for n in INDICATOR_ZH)
    rows = []
    for u in units:
        cells = "".join(
            f"<td class='{_meets_class(u['indicators'][n])}'>"
            f"{_pct(u['indicators'][n]['rate_by_areas'])}"
            f"<small>（户 {_pct(u['indicators'][n]['rate_by_households'])}）</small></td>"
            for n in INDICATOR_ZH
        )
        rows.append(
            f"<tr><td>{u['rank']}</td><td>{escape(u['name'])}</td><td>{u['areas']}</td>"
            f"<td>{u['households']}</td>{cells}<td>{u['score']:.2f}</td></tr>"
        )
    return (
        "<table id='ranking'><thead><tr><th>名次</th><th>名称</th><th>小区</th><th>户数</th>"
        f"{head}<th>综合得分</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _meets_class(view: Mapping[str, Any]) -> str:
    if view["meets_target"] is None:
        return "nodata"
    return "ok" if view["meets_target"] else "short"


def _reports_table(reports: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['name_zh'])}</td><td>{r['open']}</td>"
        f"<td class='{'short' if r['overdue'] else ''}'>{r['overdue']}</td></tr>"
        for r in reports
    )
    return (
        "<table id='reports'><thead><tr><th>部门</th><th>未办结</th><th>已超期</th></tr>"
        f"</thead><tbody>{rows or '<tr><td colspan=3>暂无未办结事件</td></tr>'}</tbody></table>"
    )


MISS_ZH = {
    "property_service": "无物业服务",
    "party_org": "既无党组织也无党建指导员",
    "owners_committee": "未成立业委会或物管会",
    "renovation": "老旧小区尚未完成改造",
}


def _shortfalls_html(shortfalls: Mapping[str, Mapping[str, Any]]) -> str:
    """Per indicator, the 小区 that miss it, each linked to its place on the map."""
    parts = []
    for name, title in INDICATOR_ZH.items():
        found = shortfalls.get(name) or {"total": 0, "areas": []}
        items = "".join(
            f"<li><a href='/map?at={a['lat']:.6f},{a['lon']:.6f}'>{escape(a['name'])}</a>"
            f" <small>{escape(a['community'])} · {a['households']} 户</small></li>"
            for a in found["areas"]
        )
        more = ""
        if found["total"] > len(found["areas"]):
            more = f"<li><small>另有 {found['total'] - len(found['areas'])} 个</small></li>"
        parts.append(
            f"<details class='shortfall' data-indicator='{name}'><summary>{title}："
            f"{MISS_ZH[name]} <b>{found['total']}</b> 个小区</summary>"
            f"<ul>{items or '<li>全部达标</li>'}{more}</ul></details>"
        )
    return "".join(parts)


PARTY_COLOUR = "#b2182b"
GRADE_COLOURS = {
    "A": "#1a9850",
    "B": "#91cf60",
    "C": "#fc8d59",
    "D": "#d73027",
    "no_company": "#9ecae1",
    "none": "#525252",
}


def _party_section(party: Mapping[str, Any] | None, level: str, share: str) -> str:
    """The seeds' party organisation coverage: over owners' committees, against the year's
    target (the setting WANGGE_PARTY_ORG_TARGETS), in total and per unit."""
    if not party:
        return ""
    t, year, target = party["totals"], party["year"], party["target"]
    ramp = "，".join(f"{y} 年 {_pct(v)}" for y, v in party.get("targets", {}).items())
    verdict = ""
    if t["meets_target"] is not None:
        verdict = "已达标" if t["meets_target"] else f"还差 {t['short_of_target']} 个业委会"
    card = (
        f"<div class='card {_meets_class(t)}' data-indicator='party_committee'>"
        f"业委会党组织覆盖率<br><b>{_pct(t['rate'])}</b> {year} 年目标 {_pct(target)}<br>"
        f"<small>{t['with_party_org']} / {t['committees']} 个业委会（物管会）已建党组织"
        f"{'，' + verdict if verdict else ''}</small></div>"
    )
    units = [
        {"name": u["name"], "indicators": {"party_committee": {**u, "rate_by_areas": u["rate"]}}}
        for u in party["units"]
    ]
    chart = bar_chart("party_committee", units, label="业委会党组织覆盖率", colour=PARTY_COLOUR)
    rows = "".join(
        f"<tr data-code='{escape(u['code'])}'><td>{escape(u['name'])}</td>"
        f"<td>{u['committees']}</td><td>{u['with_party_org']}</td>"
        f"<td class='{_meets_class(u)}'>{_pct(u['rate'])}</td><td>{u['short_of_target']}</td></tr>"
        for u in party["units"]
    )
    return (
        f"<h2 id='party-coverage'>业委会党组织覆盖率（{year} 年目标 {_pct(target)}）</h2>"
        "<p><small>按种子文件口径：已成立业主委员会或物业管理委员会的小区中，建有党组织"
        "（独立党支部、联建党支部、党小组；仅派驻党建指导员不计）的比例。"
        f"年度目标：{ramp}。</small></p>"
        f"<div class='cards'>{card}</div>"
        f"<figure><figcaption>各{LEVEL_ZH[level]}{share}</figcaption>{chart}</figure>"
        f"<table id='party-coverage-table'><thead><tr><th>名称</th><th>业委会（物管会）</th>"
        "<th>已建党组织</th><th>覆盖率</th><th>距目标差</th></tr></thead>"
        f"<tbody>{rows or '<tr><td colspan=5>辖区内暂无业委会</td></tr>'}</tbody></table>"
    )


def _grade_section(grades: Sequence[Mapping[str, Any]] | None) -> str:
    """小区 and households by their property company's current credit grade."""
    if grades is None:
        return ""
    found = {g["grade"]: g for g in grades}
    total_areas = sum(int(g["areas"]) for g in grades)
    total_hh = sum(int(g["households"]) for g in grades)
    rows, bar, x = [], [], 0.0
    width = 560
    for code, label in GRADE_CLASS_ZH.items():
        g = found.get(code, {"areas": 0, "households": 0})
        areas, hh = int(g["areas"]), int(g["households"])
        share_a = areas / total_areas if total_areas else None
        share_h = hh / total_hh if total_hh else None
        rows.append(
            f"<tr data-grade='{code}'><td><span class='swatch' "
            f"style='background:{GRADE_COLOURS[code]}'></span> {escape(label)}</td>"
            f"<td>{areas}</td><td>{_pct(share_a)}</td><td>{hh}</td><td>{_pct(share_h)}</td></tr>"
        )
        if share_a:
            w = width * share_a
            bar.append(
                f"<rect x='{x:.1f}' y='0' width='{w:.1f}' height='22' "
                f"fill='{GRADE_COLOURS[code]}'><title>{escape(label)} {areas} 个小区</title>"
                "</rect>"
            )
            x += w
    svg = (
        f"<svg class='chart' id='grade-chart' width='{width}' height='24' role='img' "
        f"aria-label='按信用等级的小区占比'>{''.join(bar)}</svg>"
    )
    return (
        "<h2 id='company-grades'>按物业服务企业信用等级</h2>"
        "<p><small>小区按其物业服务企业当前的信用等级计；无企业的小区单列"
        "（<a href='/companies'>企业考核与红黑榜</a>）。</small></p>"
        f"{svg}<table id='grade-stats'><thead><tr><th>等级</th><th>小区</th><th>占比</th>"
        f"<th>户数</th><th>占比</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        f"<tfoot><tr><td>合计</td><td>{total_areas}</td><td></td><td>{total_hh}</td><td></td>"
        "</tr></tfoot></table>"
    )


STYLE = """
h1{font-size:20px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ccc;padding:8px 12px;
border-radius:6px;min-width:180px}.card b{font-size:22px}.chart text{font-size:12px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;
font-size:13px}td small{color:#666;margin-left:4px}.short{background:#fde0dd}
.ok{background:#e5f5e0}.nodata{color:#999}.charts{display:flex;flex-wrap:wrap;gap:16px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:4px 0 0 36px}
.legend li{display:flex;align-items:center;gap:6px;font-size:13px}
.swatch{display:inline-block;width:12px;height:12px}.shortfall summary b{color:#c0392b}
"""


def render_stats_page(
    *,
    user: str,
    level: str,
    totals: Mapping[str, Any],
    units: Sequence[Mapping[str, Any]],
    trend: Sequence[Mapping[str, Any]],
    reports: Sequence[Mapping[str, Any]],
    head: str = "",
    header: str = "",
    viewer_level: str = "district",
    shortfalls: Mapping[str, Mapping[str, Any]] | None = None,
    performance: str = "",
    party: Mapping[str, Any] | None = None,
    grades: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The whole page as one HTML string; every name from the database is escaped.

    head/header: the shared shell's head tags and header (service/api/pages/shell.py);
    performance: the assessment section (map_ui/performance_table.py), for the roles that
    may read it."""
    cards = "".join(
        f"<div class='card' data-indicator='{n}'>{INDICATOR_ZH[n]}<br>"
        f"<b>{_pct(totals['indicators'][n]['rate_by_areas'])}</b> "
        f"目标 {_pct(totals['indicators'][n]['target'])}<br>"
        f"<small>按户 {_pct(totals['indicators'][n]['rate_by_households'])}</small></div>"
        for n in INDICATOR_ZH
    )
    share = ""
    if LEVEL_RANK[level] < LEVEL_RANK.get(viewer_level, 1):
        share = f"（仅{SHARE_ZH.get(viewer_level, '本辖区')}的小区，不是全{LEVEL_ZH[level]}）"
    bars = "".join(
        f"<figure><figcaption>{INDICATOR_ZH[n]}（按{LEVEL_ZH[level]}）{share}</figcaption>"
        f"{bar_chart(n, units)}</figure>"
        for n in INDICATOR_ZH
    )
    # a street office's 按区县 row would be only its own street's share: not offered
    shown = {
        lv: zh
        for lv, zh in LEVEL_ZH.items()
        if LEVEL_RANK[lv] >= LEVEL_RANK.get(viewer_level, 1) or lv == level
    }
    links = " | ".join(f"<a href='/stats?level={lv}'>按{zh}</a>" for lv, zh in shown.items())
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"{head or '<title>覆盖统计 · 网格</title>'}<style>{STYLE}</style></head>"
        f"<body class='wg-page'>{header}<main class='wg-main'>"
        f"<h1>物业管理覆盖统计</h1><p>{links} · "
        f"<a id='csv' href='/api/stats/coverage.csv?level={level}'>下载 CSV</a></p>"
        f"<div class='cards'>{cards}</div><h2>各{LEVEL_ZH[level]}覆盖率</h2>"
        f"<div class='charts'>{bars}</div><h2>近 12 个月变化</h2>{trend_chart(trend)}"
        f"{_party_section(party, level, share)}{_grade_section(grades)}"
        f"<h2>{LEVEL_ZH[level]}排名{share}</h2>{_ranking_table(units)}"
        f"<h2>未达标的小区</h2>{_shortfalls_html(shortfalls or {})}"
        f"<h2>各部门未办结与超期事件</h2>{_reports_table(reports)}"
        f"{performance}</main></body></html>"
    )
