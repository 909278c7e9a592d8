"""Every error answer in one place: `install_error_handlers(app)` maps the domain's WanggeError
tree, request validation and the database's failures to HTTP, and describes the bodies in
/openapi.json. Routes raise; they never translate errors themselves."""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg import OperationalError as PsycopgOperationalError
from psycopg_pool import PoolTimeout as AsyncPoolTimeout
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.api.open311_format import error_answer, is_open311
from service.db.role_check import RlsBypassed
from service.errors import WanggeError

log = logging.getLogger("wangge.errors")
MAX_ECHOED_INPUT_CHARS = 200


def install_error_handlers(app: FastAPI) -> None:
    """The one table from exception to HTTP answer (Starlette picks the closest class)."""
    app.add_exception_handler(WanggeError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RlsBypassed, rls_bypassed)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, data_error)  # type: ignore[arg-type]
    app.add_exception_handler(psycopg.DataError, data_error)  # type: ignore[arg-type]
    # pool exhausted or database down, on the ORM's pool and on the raw asynchronous one
    app.add_exception_handler(PoolTimeout, pool_exhausted)  # type: ignore[arg-type]
    app.add_exception_handler(AsyncPoolTimeout, pool_exhausted)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, database_down)  # type: ignore[arg-type]
    app.add_exception_handler(PsycopgOperationalError, database_down)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, connection_lost)  # type: ignore[arg-type]
    document_error_bodies(app)


async def domain_error(request: Request, exc: WanggeError) -> Response:
    """A refusal raised by the domain, a repository or a route: its own status and body (in
    Open311's error format under /open311/)."""
    if is_open311(request):
        return error_answer(request, exc.status_code, exc.body()["detail"], exc.headers)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def rls_bypassed(_: Request, exc: RlsBypassed) -> JSONResponse:
    """A new connection came up as a role that bypasses row-level security: refused, logged."""
    log.error("%s", exc)
    return _unavailable("the service refuses its database role (row-level security bypassed)")


async def pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
    return _unavailable("all database connections are busy")


async def database_down(
    _: Request, exc: OperationalError | PsycopgOperationalError
) -> JSONResponse:
    log.warning("database unavailable: %s", getattr(exc, "orig", None) or exc)
    return _unavailable("the database is unavailable")


async def connection_lost(_: Request, exc: DBAPIError) -> JSONResponse:
    if exc.connection_invalidated:
        return _unavailable("the database connection was lost")
    raise exc


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse(
        {
            "detail": {
                "code": "service_unavailable",
                "message": message,
                "message_zh": "服务暂时不可用，请稍后重试",
            }
        },
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def data_error(request: Request, exc: DataError | psycopg.DataError) -> Response:
    """PostgreSQL refused a value (SQLSTATE class 22: out of range, malformed): the client's.

    E.g. /api/users/99999999999 overflows int4, ?offset=10**30 overflows int8. Without this
    such requests were 500s; schemathesis finds them on every new route.
    """
    sqlstate = getattr(getattr(exc, "orig", exc), "sqlstate", None)
    log.warning("data error on %s %s: %s", request.method, request.url.path, sqlstate)
    detail = {
        "code": "value_out_of_range",
        "message": "a value in the request is out of range or malformed for the database",
        "message_zh": "请求中的数值超出范围或格式不正确",
        "where": {"sqlstate": sqlstate},
    }
    if is_open311(request):
        return error_answer(request, 422, detail)
    return AsciiJSONResponse({"detail": detail}, status_code=422)


ERROR_DETAIL_SCHEMA = {
    "title": "ErrorDetail",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "message_zh": {"type": "string"},
        "where": {},
    },
}


def document_error_bodies(app: FastAPI) -> None:
    """Say in /openapi.json that a 422's detail is either FastAPI's list or our object."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        schemas = spec.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["ErrorDetail"] = ERROR_DETAIL_SCHEMA
            detail = schemas["HTTPValidationError"]["properties"]["detail"]
            schemas["HTTPValidationError"]["properties"]["detail"] = {
                "title": "Detail",
                "anyOf": [detail, {"$ref": "#/components/schemas/ErrorDetail"}],
            }
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """422 listing each problem (loc + msg); echoed input is short and always encodable.

    FastAPI's default echoes the whole input and fails (500) on a lone surrogate such as
    "\\udcff", which JSON text may carry but UTF-8 cannot.
    """
    errors = []
    for error in exc.errors():
        item = {k: error[k] for k in ("type", "loc", "msg") if k in error}
        if "ctx" in error:
            item["ctx"] = {k: str(v) for k, v in error["ctx"].items()}
        echoed = json.dumps(jsonable_encoder(error.get("input")), ensure_ascii=True, default=str)
        if len(echoed) <= MAX_ECHOED_INPUT_CHARS:
            item["input"] = json.loads(echoed)
        errors.append(item)
    if is_open311(request):
        first = errors[0] if errors else {}
        return error_answer(
            request,
            422,
            {
                "code": "invalid_parameter",
                "message": f"{first.get('msg', 'invalid request')} at {first.get('loc')}",
                "message_zh": "请求参数不正确",
                "where": {"loc": first.get("loc")},
            },
        )
    return AsciiJSONResponse({"detail": errors}, status_code=422)


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: any str, even a lone surrogate, renders."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")
