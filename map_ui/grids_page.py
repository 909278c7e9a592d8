"""The grid page for community staff and street offices: cells, workers, findings, actions.

A folium map (the configured base map, every asset served locally) with the active cells
coloured by household range, the integrity findings in red, and a side panel whose forms
call the /api/grids endpoints (static/grids.js, an ES module). Cells are picked by clicking
them on the map; workers are picked from the community's list. Everything a person reads is
Chinese; all user text is escaped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from typing import Any

import folium
from branca.element import Element, Figure

from map_ui.assets import localize_assets

COLOURS = {"ok": "#2b8a3e", "low": "#f59f00", "high": "#c92a2a", "none": "#868e96"}
FLAG_ZH = {"households_below_min": "户数偏少", "households_above_max": "户数偏多"}


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
        p["backup_label"] = (
            "、".join(b.get("display_name") or b["username"] for b in p.get("backup_workers") or [])
            or "无"
        )
        p["fill"] = _colour(int(p["households"]), hmin, hmax)
    return folium.GeoJson(
        cells,
        name="网格",
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
        name="完整性问题",
        style_function=lambda f: {"color": "#e03131", "weight": 3, "fillOpacity": 0.5},
        marker=folium.CircleMarker(radius=7, color="#e03131", fill=True, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(
            fields=["reason_zh", "codes_label"], aliases=["问题", "编码"]
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
    workers: list[dict[str, str]] | None = None,
    basemap: dict[str, Any] | None = None,
) -> str:
    """The whole HTML page (folium map + side panel); head/header: the shared shell.

    cells, findings and bounds are already in the base map's frame (GCJ-02 for a GCJ-02 base
    map: see service/api/routes/grid_pages.py); the panel works with codes only."""
    hmin, hmax = households_range
    m = folium.Map(tiles=None, control_scale=False, prefer_canvas=False, attribution_control=False)
    _cell_layer(cells, hmin, hmax).add_to(m)
    if findings["features"]:
        _finding_layer(findings).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if bounds:
        xmin, ymin, xmax, ymax = bounds
        m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_head(m.get_name(), head, basemap)))
    if header:
        root.html.add_child(Element(header), name="shell_header")
    panel = _panel(title, cells, findings, communities, can_edit, workers or [], (hmin, hmax))
    root.html.add_child(Element(panel))
    localize_assets(m)
    return str(root.render())


def _head(map_name: str, shell_head: str, basemap: dict[str, Any] | None) -> str:
    config = json.dumps({"map": map_name, "basemap": basemap}, ensure_ascii=False)
    return (
        '<meta charset="utf-8">'
        + (shell_head or "<title>网格管理</title>")
        + f'<script id="grid-config" type="application/json">{escape(config, quote=False)}</script>'
        '<link rel="stylesheet" href="/static/grids.css">'
        '<script type="module" src="/static/grids.js"></script>'
    )


def _options(communities: list[dict[str, str]]) -> str:
    return "".join(
        f'<option value="{escape(c["code"])}">{escape(c["name"])}</option>' for c in communities
    )


def _legend(hmin: int, hmax: int) -> str:
    rows = (
        (COLOURS["low"], f"户数少于 {hmin}（偏少，可考虑合并）"),
        (COLOURS["ok"], f"户数 {hmin}–{hmax}（合适）"),
        (COLOURS["high"], f"户数多于 {hmax}（偏多，可考虑拆分）"),
        ("#e03131", "红色标记：完整性问题"),
        ("#7048e8", "紫色虚线：生成预览（尚未保存）"),
    )
    items = "".join(
        f'<li><span class="swatch" style="background:{c}"></span>{escape(t)}</li>' for c, t in rows
    )
    return (
        '<details open class="legend"><summary>图例</summary>'
        f'<ul id="legend">{items}</ul></details>'
    )


def _findings(findings: dict[str, Any]) -> str:
    groups: dict[str, list[str]] = defaultdict(list)
    for f in findings["features"]:
        p = f["properties"]
        groups[p["reason_zh"]].append("、".join(p["codes"]) or p["community"])
    if not groups:
        return '<p id="finding-list">未发现完整性问题。</p>'
    parts = []
    for reason, where in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        items = "".join(f"<li>{escape(w)}</li>" for w in where[:200])
        more = f"<li>……另有 {len(where) - 200} 处</li>" if len(where) > 200 else ""
        parts.append(
            f'<details class="finding-group"><summary>{escape(reason)}'
            f' <b class="count">{len(where)}</b> 处</summary><ul>{items}{more}</ul></details>'
        )
    return f'<div id="finding-list">{"".join(parts)}</div>'


def _panel(
    title: str,
    cells: dict[str, Any],
    findings: dict[str, Any],
    communities: list[dict[str, str]],
    can_edit: bool,
    workers: list[dict[str, str]],
    households_range: tuple[int, int],
) -> str:
    rows = "".join(
        '<tr data-code="{}"><td>{}</td><td>{}</td><td>{}</td></tr>'.format(
            escape(f["properties"]["code"]),
            escape(f["properties"]["code"]),
            escape(str(f["properties"]["households"])),
            escape(f["properties"].get("primary_label", "")),
        )
        for f in cells["features"]
    )
    forms = _forms(communities, workers) if can_edit else "<p>只读：您没有编辑网格的权限。</p>"
    return f"""
<aside id="grid-panel" class="grid-panel">
  <h1>{escape(title)}</h1>
  <p><span id="cell-count">{len(cells["features"])}</span> 个网格 ·
     <span id="finding-count">{len(findings["features"])}</span> 个问题</p>
  {_legend(*households_range)}
  <div id="grid-message" role="status"></div>
  {forms}
  <details open><summary>完整性问题</summary>{_findings(findings)}</details>
  <details><summary>网格与网格员</summary>
    <table id="cell-table"><tr><th>编码</th><th>户数</th><th>专职网格员</th></tr>{rows}</table>
  </details>
</aside>"""


def _worker_options(workers: list[dict[str, str]]) -> str:
    if not workers:
        return '<option value="">本社区暂无网格员账号</option>'
    return '<option value="">请选择网格员</option>' + "".join(
        f'<option value="{escape(w["username"])}">'
        f"{escape(w.get('display_name') or w['username'])}</option>"
        for w in workers
    )


def _forms(communities: list[dict[str, str]], workers: list[dict[str, str]]) -> str:
    return f"""
  <section class="grid-form" id="picked-box"><h2>已选网格</h2>
    <p class="hint">在地图上点击网格即可选中或取消；拆分、分配用第一个，合并用全部。</p>
    <ul id="picked-list"><li class="empty">尚未选择</li></ul>
    <button type="button" id="picked-clear">清除选择</button>
  </section>
  <form id="form-split" class="grid-form"><h2>拆分网格</h2>
    <input name="code" type="hidden">
    <label>拆分为 <input name="parts" type="number" min="2" max="20" value="2" required> 个</label>
    <button type="submit">拆分所选网格</button>
  </form>
  <form id="form-merge" class="grid-form"><h2>合并网格</h2>
    <input name="codes" type="hidden">
    <button type="submit">合并所选网格</button>
  </form>
  <form id="form-assign" class="grid-form"><h2>分配网格员</h2>
    <input name="code" type="hidden">
    <label>网格员 <select name="worker" required>{_worker_options(workers)}</select></label>
    <label>岗位 <select name="role">
      <option value="primary">专职</option><option value="backup">备岗</option>
    </select></label>
    <label><input type="checkbox" name="replace"> 替换现任专职</label>
    <button type="submit">分配给所选网格</button>
  </form>
  <form id="form-generate" class="grid-form"><h2>自动生成网格</h2>
    <label>社区 <select name="community" required>{_options(communities)}</select></label>
    <label><input type="checkbox" name="replace"> 替换现有网格</label>
    <button type="submit" name="preview">预览</button>
    <button type="button" id="generate-apply" disabled>确认生成</button>
  </form>"""
