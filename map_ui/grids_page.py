"""The grid page for community staff and street offices: cells, workers, findings, actions.

A folium map (no basemap by default, every asset served locally) with the active cells
coloured by household range, the integrity findings in red, and a side panel whose forms
call the /api/grids endpoints (static/grids.js) with the session cookie and the CSRF
token from the wangge_csrf cookie. All user text is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import folium
from branca.element import Element, Figure

from map_ui.assets import localize_assets

COLOURS = {"ok": "#2b8a3e", "low": "#f59f00", "high": "#c92a2a", "none": "#868e96"}


def _colour(households: int, hmin: int, hmax: int) -> str:
    if households < hmin:
        return COLOURS["low"]
    if households > hmax:
        return COLOURS["high"]
    return COLOURS["ok"]


def _cell_layer(cells: dict[str, Any], hmin: int, hmax: int) -> folium.GeoJson:
    for f in cells["features"]:
        p = f["properties"]
        primary = p.get("primary_worker") or {}
        p["primary_label"] = primary.get("display_name") or primary.get("username") or "未分配"
        p["backup_label"] = "、".join(b["username"] for b in p.get("backup_workers") or []) or "无"
        p["fill"] = _colour(int(p["households"]), hmin, hmax)
    return folium.GeoJson(
        cells,
        name="网格 grid cells",
        style_function=lambda f: {
            "color": "#1c7ed6",
            "weight": 2,
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.25,
        },
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(
            fields=["code", "community_name", "households", "primary_label", "backup_label"],
            aliases=["网格编码", "社区", "户数", "专职网格员", "备岗"],
        ),
    )


def _finding_layer(findings: dict[str, Any]) -> folium.GeoJson:
    for f in findings["features"]:
        p = f["properties"]
        p["codes_label"] = "、".join(p["codes"]) or p["community"]
    return folium.GeoJson(
        findings,
        name="问题 findings",
        style_function=lambda f: {"color": "#e03131", "weight": 3, "fillOpacity": 0.5},
        marker=folium.CircleMarker(radius=7, color="#e03131", fill=True, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(
            fields=["reason_zh", "reason", "codes_label"], aliases=["问题", "finding", "编码"]
        ),
    )


def render_grids_page(
    *,
    title: str,
    cells: dict[str, Any],
    findings: dict[str, Any],
    communities: list[dict[str, str]],
    can_edit: bool,
    households_range: tuple[int, int],
    bounds: tuple[float, float, float, float] | None,
    head: str = "",
    header: str = "",
) -> str:
    """The whole HTML page (folium map + side panel); head/header: the shared shell."""
    hmin, hmax = households_range
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    _cell_layer(cells, hmin, hmax).add_to(m)
    if findings["features"]:
        _finding_layer(findings).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if bounds:
        xmin, ymin, xmax, ymax = bounds
        m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_head(m.get_name(), head)))
    if header:
        root.html.add_child(Element(header), name="shell_header")
    root.html.add_child(Element(_panel(title, cells, findings, communities, can_edit)))
    localize_assets(m)
    return str(root.render())


def _head(map_name: str, shell_head: str) -> str:
    config = json.dumps({"map": map_name})
    return (
        '<meta charset="utf-8">'
        + (shell_head or "<title>网格管理</title>")
        + f'<script id="grid-config" type="application/json">{escape(config, quote=False)}</script>'
        '<link rel="stylesheet" href="/static/grids.css">'
        '<script type="module" src="/static/grids.js"></script>'
    )


def _options(communities: list[dict[str, str]]) -> str:
    return "".join(
        f'<option value="{escape(c["code"])}">{escape(c["name"])} {escape(c["code"])}</option>'
        for c in communities
    )


def _panel(
    title: str,
    cells: dict[str, Any],
    findings: dict[str, Any],
    communities: list[dict[str, str]],
    can_edit: bool,
) -> str:
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(f["properties"]["code"]),
            escape(str(f["properties"]["households"])),
            escape(f["properties"].get("primary_label", "")),
        )
        for f in cells["features"]
    )
    issues = "".join(
        "<li>{} <small>{}</small></li>".format(
            escape(f["properties"]["reason_zh"]),
            escape("、".join(f["properties"]["codes"]) or f["properties"]["community"]),
        )
        for f in findings["features"][:200]
    )
    forms = _forms(communities) if can_edit else "<p>只读：您没有编辑网格的权限。</p>"
    return f"""
<aside id="grid-panel" class="grid-panel">
  <h1>{escape(title)}</h1>
  <p><span id="cell-count">{len(cells["features"])}</span> 个网格 ·
     <span id="finding-count">{len(findings["features"])}</span> 个问题</p>
  {forms}
  <div id="grid-message" role="status"></div>
  <details open><summary>完整性问题</summary><ul id="finding-list">{issues}</ul></details>
  <details><summary>网格与网格员</summary>
    <table id="cell-table"><tr><th>编码</th><th>户数</th><th>专职网格员</th></tr>{rows}</table>
  </details>
</aside>"""


def _forms(communities: list[dict[str, str]]) -> str:
    return f"""
  <form id="form-generate" class="grid-form"><h2>自动生成 generate</h2>
    <select name="community" required>{_options(communities)}</select>
    <label><input type="checkbox" name="replace"> 替换现有网格</label>
    <button type="submit" name="preview">预览 preview</button>
    <button type="button" id="generate-apply" disabled>确认生成 apply</button>
  </form>
  <form id="form-split" class="grid-form"><h2>拆分 split</h2>
    <input name="code" placeholder="网格编码 15 位" pattern="[0-9]{{15}}" required>
    <input name="parts" type="number" min="2" max="20" value="2" required>
    <button type="submit">拆分</button>
  </form>
  <form id="form-merge" class="grid-form"><h2>合并 merge</h2>
    <input name="codes" placeholder="编码，用逗号分隔" required>
    <button type="submit">合并</button>
  </form>
  <form id="form-assign" class="grid-form"><h2>分配网格员 assign</h2>
    <input name="code" placeholder="网格编码" pattern="[0-9]{{15}}" required>
    <input name="worker" placeholder="网格员用户名" required>
    <select name="role">
      <option value="primary">专职</option><option value="backup">备岗</option>
    </select>
    <label><input type="checkbox" name="replace"> 替换现任专职</label>
    <button type="submit">分配</button>
  </form>"""
