"""The OpenAPI document and its two readers (/docs, /redoc), served from npm packages.

FastAPI's generated schema is completed here: the two ways to authenticate (so Swagger UI's
"Authorize" works), the error body every refusal uses, the media types of binary answers and
the OGC page-size maximum. The pages load swagger-ui-dist and redoc from /vendor (npm), never
from a CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from service.api.deps import SESSION_COOKIE

SWAGGER_JS = "/vendor/swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_CSS = "/vendor/swagger-ui-dist/swagger-ui.css"
REDOC_JS = "/vendor/redoc/bundles/redoc.standalone.js"
FAVICON = "/static/favicon.svg"
# Both readers are third-party code: the browser is told to fetch nothing off this host (redoc's
# sidebar otherwise loads its maker's logo from a CDN).
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
    " script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self';"
    " font-src 'self' data:"
)

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "description": "stable code, e.g. not_found"},
                        "message": {"type": "string", "description": "what went wrong"},
                        "message_zh": {"type": "string", "description": "the same, 中文"},
                        "where": {"description": "the field, code, coordinate or index at fault"},
                    },
                },
                # the framework's own refusals (e.g. a method not allowed) carry a sentence
                {"type": "string"},
            ]
        }
    },
}
ERROR_STATUSES = {
    "400": "Bad request",
    "401": "Not signed in, or the token expired",
    "403": "Not allowed (role, CSRF)",
    "404": "Not found, or outside your jurisdiction",
    "409": "Conflict with the current state",
    "413": "Body too large",
    "422": "Invalid input (the field is named in `where`)",
    "429": "Too many requests",
    "503": "Database unavailable; retry",
}
# Open311's own error format (GeoReport v2), in JSON and XML: service/api/open311_format.py
OPEN311_ERROR_SCHEMA: dict[str, Any] = {
    "title": "Open311Errors",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {
            "code": {"type": "integer", "description": "the HTTP status"},
            "description": {"type": "string", "description": "中文 (English)"},
            "error": {"type": "string", "description": "stable code, e.g. outside_area"},
            "message_zh": {"type": "string"},
            "where": {"type": "string", "description": "JSON: the field or coordinates"},
        },
    },
}
# path prefix → media types of a successful binary answer
BINARY_ANSWERS: dict[str, dict[str, Any]] = {
    "/api/exports/": {
        "application/geo+json": {},
        "text/csv": {},
        "application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}},
        "application/zip": {"schema": {"type": "string", "format": "binary"}},
    },
    "/tiles/": {
        "application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}
    },
    "/api/photos/": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
}


def _document_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, text in ERROR_STATUSES.items():
        # a route may name a status with its own description only: the body is still ours
        entry = responses.setdefault(status, {"description": text})
        entry.setdefault(
            "content", {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        )


def _document_open311(path: str, operation: dict[str, Any]) -> None:
    """Open311 answers in JSON or XML by the path's suffix, errors in its own format."""
    if not path.startswith("/open311/"):
        return
    responses = operation.setdefault("responses", {})
    for status, answer in responses.items():
        if status[0] in "45":
            schema: dict[str, Any] = {"$ref": "#/components/schemas/Open311Errors"}
            if status in ("413", "422"):
                # the request-limits middleware refuses an oversized or non-UTF-8 body before
                # routing, in the service's own error shape (docs/architecture.md)
                schema = {"anyOf": [schema, {"$ref": "#/components/schemas/Error"}]}
            answer["content"] = {"application/json": {"schema": schema}, "text/xml": {}}
        else:
            answer.setdefault("content", {})["text/xml"] = {}
    for param in operation.get("parameters", []):
        if param.get("name") == "fmt":
            param["schema"] = {"type": "string", "enum": ["json", "xml"]}
            param["description"] = "the answer's format (GeoReport v2 path suffix)"


def _document_binary(path: str, operation: dict[str, Any]) -> None:
    for prefix, media in BINARY_ANSWERS.items():
        if path.startswith(prefix):
            ok = operation.setdefault("responses", {}).setdefault("200", {"description": "OK"})
            ok["content"] = media


def _document_ogc_limit(path: str, operation: dict[str, Any], max_page_size: int) -> None:
    if not path.endswith("/items"):
        return
    for param in operation.get("parameters", []):
        if param.get("name") == "limit":
            param["schema"]["maximum"] = max_page_size
            param["description"] = f"features per page, 1–{max_page_size} (larger is capped)"


def build_openapi(
    app: FastAPI, base: Callable[[], dict[str, Any]], max_page_size: int
) -> dict[str, Any]:
    """The app's schema with security schemes, the error body, binary media types."""
    if app.openapi_schema and "securitySchemes" in app.openapi_schema.get("components", {}):
        return app.openapi_schema
    # FastAPI's schema as the app already completes it (a 422 is FastAPI's list of problems
    # or our Error object: service/api/error_answers.py), then the rest below
    doc = base()
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["schemas"]["Open311Errors"] = OPEN311_ERROR_SCHEMA
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "token from POST /api/auth/token (OAuth2 password flow)",
        },
        "cookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "browser session from /login; writes also send X-CSRF-Token",
        },
        "open311_key": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "an Open311 client's key (wangge open311 create-key); or api_key",
        },
    }
    doc["security"] = [{"bearer": []}, {"cookie": []}]
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _document_errors(operation)
            _document_binary(path, operation)
            _document_open311(path, operation)
            _document_ogc_limit(path, operation, max_page_size)
    app.openapi_schema = doc
    return doc


def install_api_docs(app: FastAPI, max_page_size: int) -> None:
    """/docs, /redoc and the completed /openapi.json; create the app with docs_url=None."""
    base = app.openapi
    app.openapi = lambda: build_openapi(app, base, max_page_size)  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _own_host_only(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="wangge 网格 · API 文档",
                swagger_js_url=SWAGGER_JS,
                swagger_css_url=SWAGGER_CSS,
                swagger_favicon_url=FAVICON,
                oauth2_redirect_url="/docs/oauth2-redirect",
                # no call-home to the public validator
                swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _own_host_only(
            get_redoc_html(
                openapi_url="/openapi.json",
                title="wangge 网格 · API 参考",
                redoc_js_url=REDOC_JS,
                redoc_favicon_url=FAVICON,
                with_google_fonts=False,
            )
        )


def _own_host_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page
