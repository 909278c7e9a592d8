"""The /public disclosure pages (phone-first, no script); every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from service.api.pages.shell import FAVICON
from service.domain.assessment import GRADE_ZH, LIST_ZH
from service.domain.records import PROPERTY_SERVICE_MODE_ZH

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f3f5f7;
color:#222;line-height:1.5}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95rem}
th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
.phone{font-size:1.2rem;background:#e3f2fd;padding:.6rem;border-radius:.4rem}
.grade-A{color:#1b5e20}.grade-D{color:#b71c1c;font-weight:bold}
.red{color:#b71c1c}.black{color:#000;font-weight:bold}
ul{padding-left:1.2rem}a{color:#1565c0}
@media (max-width:40rem){table.areas thead{display:none}table.areas td{display:block;border:0;
padding:.1rem .4rem}table.areas tr{display:block;border-bottom:1px solid #ccc;padding:.4rem 0}}
"""


def _page(title: str, body: str) -> str:
    # The shell's favicon and title, but not its header: this page is the same for everyone and
    # kept by shared caches, so it carries no name, jurisdiction or CSRF token.
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · 网格</title>"
        f'<link rel="icon" href="{FAVICON}" type="image/svg+xml"><style>{_STYLE}</style></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def index_html(streets: Iterable[Mapping[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="/public?street={quote(s["code"])}">{escape(s["district"])} · '
        f"{escape(s['name'])}</a></li>"
        for s in streets
    )
    return _page("物业服务信息公开", f"<p>请选择街道：</p><ul>{items}</ul>")


def _grade(grade: str | None) -> str:
    if not grade:
        return ""
    return f'<span class="grade-{escape(grade)}">{escape(GRADE_ZH.get(grade, grade))}</span>'


def _areas_table(areas: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for a in areas:
        mode = PROPERTY_SERVICE_MODE_ZH.get(a["property_service_mode"], a["property_service_mode"])
        officer = escape(a["property_officer_name"] or "")
        phone = a["property_officer_phone"] or ""
        phone_html = f'<a href="tel:{escape(phone)}">{escape(phone)}</a>' if phone else ""
        rows.append(
            f"<tr><td>{escape(a['name'])}</td><td>{escape(a['community'])}</td>"
            f"<td>{escape(mode)}</td><td>{escape(a['company'] or '')}</td>"
            f"<td>{_grade(a['grade'])}</td><td>{officer} {phone_html}</td></tr>"
        )
    return (
        '<table class="areas"><thead><tr><th>小区</th><th>社区</th><th>物业服务模式</th>'
        "<th>物业服务企业</th><th>信用等级</th><th>物管员及电话</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _lists(entries: Iterable[Mapping[str, Any]]) -> str:
    items = "".join(
        f'<li class="{escape(e["list_kind"])}">{escape(LIST_ZH[e["list_kind"]])}：'
        f"{escape(e['company'])}（{escape(e['reason'])}，{escape(str(e['listed_on']))}起）</li>"
        for e in entries
    )
    return f"<ul>{items}</ul>" if items else "<p>暂无</p>"


def _ranking(title: str, rows: Iterable[Mapping[str, Any]]) -> str:
    items = "".join(
        f"<li>{escape(r['company'])} · {escape(str(r['score']))} 分 · {_grade(r['grade'])}</li>"
        for r in rows
    )
    return f"<h3>{escape(title)}</h3><ol>{items}</ol>" if items else ""


def street_html(
    street: Mapping[str, Any],
    areas: Sequence[Mapping[str, Any]],
    phone: str,
    entries: Sequence[Mapping[str, Any]],
    quarter: Mapping[str, Any] | None,
) -> str:
    body = [
        f'<p class="phone">物业监督电话：<a href="tel:{escape(phone)}">{escape(phone)}</a></p>',
        "<h2>红黑榜</h2>",
        _lists(entries),
    ]
    if quarter:
        body.append(f"<h2>{escape(quarter['quarter'])} 物业服务企业考核排名</h2>")
        body.append(_ranking("十佳", quarter["best"]))
        body.append(_ranking("十差", quarter["worst"]))
        supervised = "、".join(escape(g["company"]) for g in quarter["key_supervision"])
        body.append(f"<p>重点监管企业（D级）：{supervised or '无'}</p>")
    body.append(f"<h2>各小区物业服务（{len(areas)} 个小区）</h2>")
    body.append(_areas_table(areas))
    body.append('<p><a href="/public">全部街道</a></p>')
    return _page(f"{street['district']} {street['name']} 物业服务信息公开", "".join(body))
