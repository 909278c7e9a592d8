"""The grid worker's mobile page at /m, its web manifest and its service worker."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from service.settings import PROJECT_ROOT

router = APIRouter(tags=["mobile"], include_in_schema=False)
STATIC_M = PROJECT_ROOT / "map_ui" / "static" / "m"

MANIFEST = {
    "name": "网格巡查上报",
    "short_name": "网格上报",
    "start_url": "/m",
    "scope": "/m",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#c62828",
    "lang": "zh-CN",
    "icons": [{"src": "/static/m/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
}


@router.get("/m", response_class=HTMLResponse)
def mobile_page() -> FileResponse:
    return FileResponse(STATIC_M / "index.html", media_type="text/html; charset=utf-8")


@router.get("/m/manifest.webmanifest")
def mobile_manifest() -> JSONResponse:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


@router.get("/m/sw.js")
def mobile_service_worker() -> FileResponse:
    # Scope "/m" (not "/m/") so the page at /m itself is controlled; the worker ignores the rest.
    return FileResponse(
        STATIC_M / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/m", "Cache-Control": "no-cache"},
    )
