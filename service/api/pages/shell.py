"""The desktop shell every page shares: one header (who, where, links, 退出), favicon, titles.

A page builds it in two calls (see docs/navigation.md):

    shell = load_shell(request, session, me)          # after require_page(...) gave `me`
    html = shell_page(shell, "覆盖统计", body_html, active="stats")   # a whole page
    # or, for a page that renders its own <html> (folium): head_tags(...) + header_html(...)

Every value that came from the database is escaped here; callers pass escaped body HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.api.deps import CSRF_COOKIE
from service.domain.policy import scope_for
from service.domain.principal import Principal

FAVICON = "/static/favicon.svg"
SHELL_CSS = "/static/shell.css"

# (key, label, href, policy action, roles): a link is shown when the role may take the action
# and, where roles are named, is one of them (grid workers read cases on the phone, not /work).
NAV: tuple[tuple[str, str, str, str, frozenset[str]], ...] = (
    (
        "work",
        "工作台",
        "/work",
        "case:read",
        frozenset({"street_office", "community_staff", "district_bureau", "department", "admin"}),
    ),
    (
        "meetings",
        "联席会议",
        "/meetings",
        "meeting:read",
        frozenset({"street_office", "community_staff", "district_bureau", "department", "admin"}),
    ),
    ("map", "地图", "/map", "map:read", frozenset()),
    ("stats", "统计", "/stats", "stats:read", frozenset()),
    ("areas", "小区", "/residential-areas", "residential_area:read", frozenset()),
    ("companies", "物业企业", "/companies", "company:read", frozenset()),
    ("grids", "网格", "/grids", "grid:read", frozenset()),
    ("exports", "导出", "/exports", "export:read", frozenset()),
)


@dataclass(frozen=True, slots=True)
class Shell:
    """What the header shows for one signed-in user."""

    name: str  # display name, or the username when none is set
    jurisdiction: str  # e.g. 金水区 · 丰产路街道
    links: tuple[tuple[str, str, str], ...]  # (key, label, href) the user may open
    csrf: str  # echoed by the 退出 form


def nav_links(me: Principal) -> tuple[tuple[str, str, str], ...]:
    """The header links this user's role may open."""
    out = []
    for key, label, href, action, roles in NAV:
        if (not roles or me.role in roles) and scope_for(me, action) is not None:
            out.append((key, label, href))
    return tuple(out)


def jurisdiction_name(session: Session, me: Principal) -> str:
    """The user's jurisdiction as people name it (district · street · community, department)."""
    row = session.execute(
        text(
            "SELECT (SELECT name FROM district WHERE id = :d),"
            # a community account may carry no street id: its community's street is its street
            " (SELECT name FROM street WHERE id = coalesce(CAST(:s AS int),"
            "   (SELECT street_id FROM community WHERE id = :c))),"
            " (SELECT name FROM community WHERE id = :c),"
            " (SELECT name_zh FROM department WHERE id = :dep)"
        ),
        {
            "d": me.district_id,
            "s": me.street_id,
            "c": me.community_id,
            "dep": me.department_id,
        },
    ).one()
    district, street, community, department = row
    parts = [p for p in (district, street, community) if p]
    if me.community_id is not None and street:
        parts = [street, community]  # a community is named with its street, not the district
    if department:
        parts.append(department)
    if not parts:
        return "全部辖区" if me.role == "admin" else "未设置辖区"
    return " · ".join(parts)


def load_shell(request: Request, session: Session, me: Principal) -> Shell:
    """The header's facts for `me` (one small query)."""
    display = session.execute(
        text("SELECT display_name FROM app_user WHERE id = :u"), {"u": me.id}
    ).scalar_one_or_none()
    return Shell(
        name=display or me.username,
        jurisdiction=jurisdiction_name(session, me),
        links=nav_links(me),
        csrf=request.cookies.get(CSRF_COOKIE, ""),
    )


def head_tags(title: str) -> str:
    """<title>, favicon and the shell's stylesheet, for a page's <head>."""
    return (
        f"<title>{escape(title)} · 网格</title>"
        f'<link rel="icon" href="{FAVICON}" type="image/svg+xml">'
        f'<link rel="stylesheet" href="{SHELL_CSS}">'
    )


def basemap_tag(basemap: dict[str, Any]) -> str:
    """The base map's configuration (BaseMap.for_page()) for a page whose map is drawn by an ES
    module: basemap.js's pageBaseMap() reads it (docs/base-map.md)."""
    data = json.dumps(basemap, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="wg-basemap">{data}</script>'


def header_html(shell: Shell, active: str = "") -> str:
    """The one desktop header: brand, links, the user's name and jurisdiction, 退出."""
    links = "".join(
        f'<a href="{href}" data-nav="{key}"'
        + (' aria-current="page"' if key == active else "")
        + f">{label}</a>"
        for key, label, href in shell.links
    )
    return (
        '<header class="wg-shell" id="wg-shell">'
        '<a class="wg-brand" href="/"><img src="/static/favicon.svg" alt="">网格管理</a>'
        f'<nav class="wg-nav" aria-label="主导航">{links}</nav>'
        '<span class="wg-who">'
        f'<span class="wg-user" id="wg-user-name">{escape(shell.name)}</span>'
        f'<span class="wg-jurisdiction" id="wg-jurisdiction">{escape(shell.jurisdiction)}</span>'
        "</span>"
        '<form method="post" action="/logout" class="wg-logout">'
        f'<input type="hidden" name="csrf" value="{escape(shell.csrf)}">'
        '<button type="submit">退出</button></form>'
        "</header>"
    )


def shell_page(shell: Shell, title: str, body: str, *, active: str = "", style: str = "") -> str:
    """A whole desktop page with the shared header; `body` must already be escaped HTML."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head_tags(title)}{f'<style>{style}</style>' if style else ''}</head>"
        f'<body class="wg-page">{header_html(shell, active)}'
        f'<main class="wg-main">{body}</main></body></html>'
    )
