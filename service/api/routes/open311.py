"""Open311 GeoReport v2: services and requests read with a user's token (their jurisdiction),
and `POST requests` with an API key per client (`wangge open311 create-key`), filing into the
same loop as a resident's complaint. Every answer and error in JSON or XML by the path's suffix.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from service.api.deps import (
    SessionDep,
    SettingsDep,
    check_action,
    client_address,
    get_current_user,
    require,
    set_rls_identity,
)
from service.api.open311_format import answer, check_format
from service.db.repositories import open311_keys as keys
from service.db.repositories import reports as repo
from service.db.repositories.audit import record_write
from service.db.repositories.catalogue import active_categories
from service.domain.open311 import open311_status, parse_filing, request_ids_of, statuses_of
from service.domain.principal import Principal
from service.errors import (
    Forbidden,
    NotAuthenticated,
    OutsideJurisdiction,
    TooManyRequests,
    ValidationFailed,
)
from service.services.residents import Draft, register_case

router = APIRouter(prefix="/open311/v2", tags=["open311"])
MAX_FIELDS = 50


@dataclass(frozen=True)
class Reader:
    """Who reads: a user (their jurisdiction) or an Open311 client (what its key filed)."""

    me: Principal
    scope: str
    key_id: int | None = None


def open311_reader(request: Request, session: SessionDep) -> Reader:
    """An API key (`api_key` parameter or X-Api-Key header, counted against its rate) reads the
    requests it filed; otherwise a user's token, as `require("report:read")`."""
    sent = request.query_params.get("api_key") or request.headers.get("x-api-key")
    if sent:
        key = counted_key(request, session, sent)
        set_rls_identity(session, key.principal)
        return Reader(key.principal, "area", key.id)
    me = get_current_user(request, session)
    return Reader(me, check_action(me, "report:read", request))


open311_reader.__wangge_action__ = "report:read"  # type: ignore[attr-defined]
ReaderDep = Annotated[Reader, Depends(open311_reader)]


def _request(row: dict[str, Any], media: dict[str, str]) -> dict[str, Any]:
    rid = str(row["id"])
    return {
        "service_request_id": rid,
        "status": open311_status(row["status"]),
        "status_notes": row["status"],
        "service_name": row["category_name_zh"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["department_name_zh"],
        "requested_datetime": row["created_at"].isoformat(),
        "updated_datetime": row["updated_at"].isoformat(),
        "expected_datetime": row["deadline"].isoformat(),
        "lat": row["lat"],
        "long": row["lon"],
        "address": row["grid_code"] or "",
        "media_url": media.get(rid),
    }


@router.get("/services.{fmt}", summary="GeoReport v2 service list (the category catalogue)")
def services(
    fmt: str, session: SessionDep, _: Annotated[Principal, Depends(require("catalogue:read"))]
) -> Response:
    check_format(fmt)
    rows = [
        {
            "service_code": c["code"],
            "service_name": c["name_zh"],
            "description": c["name_en"],
            "metadata": False,
            "type": "realtime",
            "keywords": c["department"],
            "group": c["gb_class"],
        }
        for c in active_categories(session)
    ]
    return answer(fmt, "services", "service", rows)


@router.get(
    "/requests.{fmt}",
    summary="GeoReport v2 service requests in my jurisdiction (with an API key: its own)",
)
def requests(
    fmt: str,
    session: SessionDep,
    settings: SettingsDep,
    reader: ReaderDep,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: str | None = None,
    service_request_id: str | None = None,
) -> Response:
    check_format(fmt)
    ids = request_ids_of(service_request_id)
    if ids is not None:  # GeoReport: with ids, the other filters are ignored
        flt = repo.ReportFilter(ids=ids, filed_with_key=reader.key_id, limit=len(ids))
    else:
        if start_date and end_date and start_date > end_date:
            raise ValidationFailed(
                "start_date is after end_date",
                message_zh="start_date 晚于 end_date",
                where={"field": "start_date"},
            )
        flt = repo.ReportFilter(
            category=service_code,
            since=start_date,
            until=end_date,
            statuses=statuses_of(status),
            filed_with_key=reader.key_id,
            limit=min(1000, settings.limits.max_page_size),
        )
    rows, _ = repo.list_reports(session, reader.me, reader.scope, flt)
    media = keys.media_urls(session, [str(r["id"]) for r in rows])
    return answer(fmt, "service_requests", "request", [_request(r, media) for r in rows])


@router.get("/requests/{request_id}.{fmt}", summary="One GeoReport v2 service request")
def one_request(
    request_id: uuid.UUID, fmt: str, session: SessionDep, reader: ReaderDep
) -> Response:
    check_format(fmt)
    flt = repo.ReportFilter(ids=(str(request_id),), filed_with_key=reader.key_id, limit=1)
    rows, _ = repo.list_reports(session, reader.me, reader.scope, flt)
    if not rows:
        raise OutsideJurisdiction("service request not found", message_zh="事件不存在")
    media = keys.media_urls(session, [str(request_id)])
    return answer(fmt, "service_requests", "request", [_request(rows[0], media)])


async def filing_params(request: Request) -> dict[str, str]:
    """The POST's parameters: a form (GeoReport's own encoding) or a JSON object."""
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if kind == "application/json":
            data = json.loads(text) if text.strip() else {}
            if not isinstance(data, dict) or len(data) > MAX_FIELDS:
                raise ValueError("not an object")
            return {str(k): "" if v is None else str(v) for k, v in data.items()}
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # also UnicodeDecodeError and JSONDecodeError
        raise ValidationFailed(
            "the body is not a UTF-8 form or JSON object",
            message_zh="请求体须为 UTF-8 表单或 JSON 对象",
            where={"field": "body"},
        ) from None
    return dict(pairs)


FilingParams = Annotated[dict[str, str], Depends(filing_params)]


def _key_of(request: Request, session: SessionDep, params: FilingParams) -> keys.ApiKey:
    """The live API key sent as `api_key` (or the X-Api-Key header): 401 without one."""
    sent = params.get("api_key") or request.headers.get("x-api-key") or ""
    if not sent:
        raise NotAuthenticated("api_key is required", message_zh="缺少 api_key",
                               where={"field": "api_key"})  # fmt: skip
    return counted_key(request, session, sent)


def counted_key(request: Request, session: SessionDep, sent: str) -> keys.ApiKey:
    """The live key `sent`, counted against its per-minute rate: 403 for an unknown or revoked
    key, 429 (with Retry-After) beyond the rate."""
    found = keys.find_key(session, sent)
    if found is None:
        raise Forbidden("invalid or revoked api_key", message_zh="api_key 无效或已吊销",
                        where={"field": "api_key"})  # fmt: skip
    # its own transaction: the request's rolls back with a refused filing, the count stays
    with request.app.state.session_factory() as own, own.begin():
        hits, left_s = keys.count_hit(own, found.id)
    if hits > found.per_minute:
        raise TooManyRequests(
            f"more than {found.per_minute} requests a minute for this key; retry in {left_s} s",
            message_zh=f"该 api_key 每分钟最多 {found.per_minute} 次请求，请 {left_s} 秒后再试",
            where={"retry_after_s": left_s},
            headers={"Retry-After": str(left_s)},
        )
    return found


_FIELD = {"type": "string"}
FILING_BODY = {
    "required": True,
    "content": {
        media: {
            "schema": {
                "type": "object",
                "required": ["service_code", "lat", "long"],
                "properties": {
                    "api_key": {**_FIELD, "description": "or the X-Api-Key header"},
                    "service_code": {**_FIELD, "description": "a category code (services)"},
                    "lat": {**_FIELD, "description": "WGS84 latitude"},
                    "long": {**_FIELD, "description": "WGS84 longitude"},
                    "description": {**_FIELD, "maxLength": 3800},
                    "address_string": {**_FIELD, "description": "appended to the description"},
                    "first_name": _FIELD,
                    "last_name": _FIELD,
                    "phone": {**_FIELD, "description": "private: handling staff only"},
                    "media_url": {**_FIELD, "description": "http(s) URL of the caller's photo"},
                    "email": {**_FIELD, "description": "accepted, not kept"},
                },
            }
        }
        for media in ("application/x-www-form-urlencoded", "application/json")
    },
}


@router.post(
    "/requests.{fmt}",
    status_code=201,
    summary="File a GeoReport v2 service request with an API key (enters the case loop)",
    openapi_extra={"requestBody": FILING_BODY, "security": [{"open311_key": []}]},
)
def file_request(
    fmt: str,
    request: Request,
    session: SessionDep,
    params: FilingParams,
    key: Annotated[keys.ApiKey, Depends(_key_of)],
) -> Response:
    check_format(fmt)
    me = key.principal
    set_rls_identity(session, me)
    filing = parse_filing(params)
    draft = Draft(
        id=uuid.uuid4(), lon=filing.lon, lat=filing.lat, crs="wgs84",
        category=filing.service_code, description=filing.description, channel=key.channel,
        caller_name=filing.caller_name, caller_phone=filing.caller_phone,
    )  # fmt: skip
    rid = register_case(session, me, draft)
    keys.record_request(session, rid, key.id, filing.media_url)
    record_write(
        session, me, action="complaint:create", method="POST", path=request.url.path,
        object_type="report", object_id=str(rid), client_addr=client_address(request),
        summary={"channel": key.channel, "open311_key": key.name},
    )  # fmt: skip
    notice = "已登记，待受理 (registered, awaiting acceptance)"
    row = {"service_request_id": str(rid), "service_notice": notice, "account_id": None}
    return answer(fmt, "service_requests", "request", [row], status_code=201)
