"""The app's front door: `/` sends each role home, the export page, the favicon."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from service.api.deps import SessionDep, get_current_user, require_page
from service.api.pages.shell import load_shell, shell_page
from service.domain.export_formats import FORMATS, LAYERS
from service.domain.principal import Principal
from service.errors import NotAuthenticated, ValidationFailed

router = APIRouter(tags=["pages"], include_in_schema=False)

# where each role starts; /work is used when the app serves a workbench, else the map
HOME_BY_ROLE = {
    "grid_worker": "/m",
    "street_office": "/work",
    "community_staff": "/work",
    "district_bureau": "/work",
    "department": "/work",
    "planner": "/map",
    "admin": "/map",
}
FORMAT_ZH = {
    "geojson": "GeoJSON（网页、QGIS）",
    "csv": "CSV 表格（Excel）",
    "gpkg": "GeoPackage（QGIS、ArcGIS）",
    "shp.zip": "Shapefile 压缩包",
}
CRS_ZH = {
    "wgs84": "WGS84（GPS，EPSG:4326）",
    "cgcs2000": "CGCS2000 国家大地坐标系（天地图，EPSG:4490）",
    "gcj02": "GCJ-02（高德等国内地图；文件中注明，非 EPSG:4326）",
}
# how coded values are written ("" = the API's default: Chinese for CSV, codes otherwise)
LABELS_ZH = {
    "": "表格用中文，其他格式用代码",
    "zh": "中文（如 已受理）",
    "code": "代码（如 accepted）",
}


def _has_route(request: Request, path: str) -> bool:
    """Whether this app answers GET `path` (the workbench is a separate capability)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
    return any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes)


def home_for(request: Request, me: Principal) -> str:
    """The home page of `me`'s role that this app actually serves."""
    home = HOME_BY_ROLE.get(me.role, "/map")
    return home if _has_route(request, home) else "/map"


@router.get("/")
def root(request: Request, session: SessionDep) -> RedirectResponse:
    try:
        me = get_current_user(request, session)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_for(request, me), status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


ExportPageUser = Annotated[Principal, Depends(require_page("export:read"))]


def _options(pairs: dict[str, str], selected: str) -> str:
    return "".join(
        f'<option value="{escape(k)}"{" selected" if k == selected else ""}>{escape(v)}</option>'
        for k, v in pairs.items()
    )


def export_form_html() -> str:
    layers = {name: info.title_zh or name for name, info in LAYERS.items()}
    formats = {f: FORMAT_ZH.get(f, f) for f in FORMATS}
    return (
        '<form id="export-form" class="wg-form" method="get" action="/exports/download">'
        f'<label>图层<select name="layer" required>{_options(layers, "reports")}</select></label>'
        f'<label>格式<select name="format">{_options(formats, "geojson")}</select></label>'
        "<label>范围（街道 9 位或社区 12 位编码，留空为整个辖区）"
        '<input name="area" pattern="[0-9]{9}([0-9]{3})?" inputmode="numeric"></label>'
        '<label>开始日期<input name="since" type="date"></label>'
        '<label>截止日期（不含）<input name="until" type="date"></label>'
        f'<label>坐标系<select name="crs">{_options(CRS_ZH, "wgs84")}</select></label>'
        f'<label>取值写法<select name="labels">{_options(LABELS_ZH, "")}</select></label>'
        '<button type="submit">下载</button></form>'
        "<p class='wg-hint'>文件按您的辖区过滤；大图层可能需要几十秒。"
        "脚本与 QGIS 用户也可直接调用 <a href='/docs#/exports'>导出接口</a>。</p>"
    )


EXPORT_STYLE = (
    ".wg-form{display:grid;gap:10px;max-width:520px}.wg-form label{display:grid;gap:4px}"
    ".wg-form input,.wg-form select{font-size:15px;padding:6px}"
    ".wg-form button{justify-self:start;font-size:15px;padding:8px 24px}"
    ".wg-hint{color:#555}"
)


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, session: SessionDep, me: ExportPageUser) -> HTMLResponse:
    shell = load_shell(request, session, me)
    body = "<h1>数据导出</h1>" + export_form_html()
    return HTMLResponse(shell_page(shell, "数据导出", body, active="exports", style=EXPORT_STYLE))


@router.get("/exports/download")
def export_download(
    me: ExportPageUser,
    layer: Annotated[str, Query(max_length=40)],
    format: Annotated[str, Query(max_length=10)] = "geojson",
    area: Annotated[str, Query(max_length=12)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    crs: Annotated[str, Query(max_length=10)] = "wgs84",
    labels: Annotated[str, Query(max_length=10)] = "",
) -> RedirectResponse:
    """The export form's target: the same download from /api/exports, named by the form."""
    if layer not in LAYERS or format not in FORMATS:
        raise ValidationFailed(
            "unknown layer or format",
            message_zh="请选择图层和格式",
            where={"field": "layer" if layer not in LAYERS else "format"},
        )
    query = {k: v for k, v in {"area": area, "crs": crs, "labels": labels}.items() if v}
    # a date from the form is a whole day in Beijing time
    if since:
        query["since"] = f"{since}T00:00:00+08:00"
    if until:
        query["until"] = f"{until}T00:00:00+08:00"
    url = f"/api/exports/{layer}.{format}"
    return RedirectResponse(url + ("?" + urlencode(query) if query else ""), status_code=303)
