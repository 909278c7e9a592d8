"""Plain HTML views of the OGC API documents for people; every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

TITLES = {
    "landing": "OGC API 要素服务",
    "conformance": "符合的标准类",
    "collections": "图层列表",
    "collection": "图层",
    "items": "要素列表",
    "item": "要素",
}
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}}</style></head>
<body><h1>{title}</h1>{content}</body></html>"""


def _links(links: list[dict[str, str]]) -> str:
    items = "".join(
        f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["rel"])}</a>'
        f" ({escape(link['rel'])}, {escape(link['type'])})</li>"
        for link in links
    )
    return f"<h2>链接</h2><ul>{items}</ul>"


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>没有要素。</p>"
    keys = list(rows[0].keys())
    head = "".join(f"<th>{escape(str(k))}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r.get(k, '')))}</td>" for k in keys) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _content(kind: str, body: dict[str, Any]) -> str:
    if kind == "conformance":
        return "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in body["conformsTo"]) + "</ul>"
    if kind == "collections":
        rows = [
            {"编号": c["id"], "名称": c["title"], "说明": c["description"]}
            for c in body["collections"]
        ]
        links = [link for c in body["collections"] for link in c["links"] if link["rel"] == "items"]
        return _table(rows) + _links(links)
    if kind == "items":
        rows = [{"id": f["id"], **f["properties"]} for f in body["features"]]
        summary = f"<p>共 {body['numberMatched']} 个，本页 {body['numberReturned']} 个。</p>"
        return summary + _table(rows) + _links(body["links"])
    if kind == "item":
        rows = [{"属性": k, "值": v} for k, v in body["properties"].items()]
        return _table(rows) + _links(body.get("links", []))
    intro = f"<p>{escape(str(body.get('description', '')))}</p>"
    return intro + _links(body.get("links", []))


def render_html(kind: str, body: dict[str, Any]) -> str:
    """A small escaped HTML page for one OGC document."""
    title = escape(str(body.get("title") or TITLES.get(kind, "OGC API")))
    return PAGE.format(title=title, content=_content(kind, body))
