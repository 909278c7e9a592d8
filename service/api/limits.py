"""Request limits enforced before any handler sees the body (pure ASGI middleware).

- A body larger than `max_body_bytes` (declared by Content-Length or counted while streaming)
  gets 413 naming the limit. Multipart uploads are allowed `max_photo_bytes` plus a little for
  the form around the file, so a photo's own cap is checked where the photo is decoded.
- A JSON body nested deeper than `max_json_depth`, or with an array/object longer than
  `max_json_items`, is refused by a cheap byte scan before json.loads could recurse into it.
- NaN and Infinity literals (not JSON, but Python's parser takes them) are refused there too.
- Any exception no handler mapped becomes a JSON 500 without internals, and is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import Settings

log = logging.getLogger("wangge.limits")

MULTIPART_SLACK_BYTES = 64 * 1024
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
# Outside strings, JSON's only letters are those of true/false/null: N and I start NaN/Infinity,
# which Python's json (and so FastAPI) would otherwise accept.
_NON_FINITE = frozenset(b"NI")


class LimitExceeded(Exception):
    """A limit was hit while reading or scanning the body."""

    def __init__(self, status: int, code: str, where: dict[str, Any], en: str, zh: str) -> None:
        super().__init__(en)
        self.status, self.code, self.where, self.en, self.zh = status, code, where, en, zh

    def body(self) -> dict[str, Any]:
        return {
            "detail": {
                "code": self.code,
                "message": self.en,
                "message_zh": self.zh,
                "where": self.where,
            }
        }


def body_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(
        413,
        "payload_too_large",
        {"limit": "max_body_bytes", "max": limit},
        f"request body larger than the limit max_body_bytes={limit}",
        f"请求内容超过上限（max_body_bytes={limit} 字节）",
    )


def scan_json(body: bytes, max_depth: int, max_items: int) -> None:
    """Refuse deep nesting and huge containers without parsing (strings are skipped)."""
    if _obviously_fine(body, max_depth, max_items):
        return
    depth = 0
    counts: list[int] = []
    in_string = escaped = False
    for offset, byte in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
            continue
        if byte == 0x22:
            in_string = True
        elif byte in _NON_FINITE:
            raise LimitExceeded(
                422,
                "json_non_finite",
                {"byte_offset": offset},
                "JSON has no NaN or Infinity (RFC 8259); send finite numbers",
                "JSON 不允许 NaN 或 Infinity，请提交有限数值",
            )
        elif byte in _OPEN:
            depth += 1
            if depth > max_depth:
                raise LimitExceeded(
                    422,
                    "json_too_deep",
                    {"limit": "max_json_depth", "max": max_depth, "byte_offset": offset},
                    f"JSON nested deeper than the limit max_json_depth={max_depth}",
                    f"JSON 嵌套层数超过上限（max_json_depth={max_depth}）",
                )
            counts.append(1)
        elif byte in _CLOSE:
            depth -= 1
            if counts:
                counts.pop()
        elif byte == 0x2C and counts:  # comma: one more item in the innermost container
            counts[-1] += 1
            if counts[-1] > max_items:
                raise LimitExceeded(
                    413,
                    "json_too_many_items",
                    {"limit": "max_json_items", "max": max_items, "byte_offset": offset},
                    f"a JSON array or object has more items than max_json_items={max_items}",
                    f"JSON 数组或对象的元素个数超过上限（max_json_items={max_items}）",
                )


def _check_utf8(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LimitExceeded(
            422,
            "json_not_utf8",
            {"byte_offset": exc.start},
            f"request body is not valid UTF-8 (byte {exc.start})",
            f"请求内容不是有效的 UTF-8 编码（第 {exc.start} 字节）",
        ) from exc


def _obviously_fine(body: bytes, max_depth: int, max_items: int) -> bool:
    """Fast path (C-speed counts) for the common small body that cannot break any limit."""
    return (
        body.count(b",") < max_items
        and body.count(b"[") + body.count(b"{") <= max_depth
        and b"N" not in body
        and b"I" not in body
    )


class RequestLimitsMiddleware:
    """Body size and JSON shape limits, plus a last-resort JSON 500."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self._body_limit(content_type)
        started = False
        overflow: list[LimitExceeded] = []

        async def tracking_send(message: Message) -> None:
            # Once the body overflowed, whatever the app answers (parsers turn the read error
            # into their own 400) is replaced by the 413 below.
            nonlocal started
            if overflow:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise body_too_large(limit)
            if "json" in content_type:
                receive = await self._scanned_json(receive, limit)
            else:
                receive = _counting(receive, limit, overflow)
            await self.app(scope, receive, tracking_send)
        except LimitExceeded as exc:
            overflow.append(exc)
        except Exception:
            if not overflow:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                if not started:
                    await _send_json(send, 500, _internal_error())
        if overflow and not started:
            await _send_json(send, overflow[0].status, overflow[0].body())

    def _body_limit(self, content_type: str) -> int:
        if content_type.startswith("multipart/"):
            # Uploads: a photo, or a boundary file for import; their own caps are checked by
            # the routes that read them.
            s = self.settings
            largest = max(s.limits.max_body_bytes, s.photos.max_bytes, s.imports.max_bytes)
            return largest + MULTIPART_SLACK_BYTES
        return self.settings.limits.max_body_bytes

    async def _scanned_json(self, receive: Receive, limit: int) -> Receive:
        """Read the whole JSON body (bounded by `limit`), scan it, then replay it."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return _replay_then(receive, b"".join(chunks), message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise body_too_large(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        _check_utf8(body)
        scan_json(body, self.settings.limits.max_json_depth, self.settings.limits.max_json_items)
        return _replay_then(receive, body, None)


def _counting(receive: Receive, limit: int, overflow: list[LimitExceeded]) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                overflow.append(body_too_large(limit))
                raise overflow[-1]
        return message

    return wrapped


def _replay_then(receive: Receive, body: bytes, pending: Message | None) -> Receive:
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if pending is not None:
                return pending
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return wrapped


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """The limits middleware (error answers: service.api.error_answers)."""
    app.add_middleware(RequestLimitsMiddleware, settings=settings)


def _internal_error() -> dict[str, Any]:
    return {
        "detail": {
            "code": "internal_error",
            "message": "internal error; it has been logged",
            "message_zh": "服务器内部错误，已记录",
        }
    }


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
