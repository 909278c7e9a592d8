"""Per-request context (pure ASGI middleware): request id, access log line, latency metrics.

The request id is the caller's X-Request-ID when it is plain (nginx sets one), or a new one; it
is in every log line written while the request is served and in the answer's X-Request-ID.
Latency is recorded by route template (`/api/reports/{report_id}`), never by raw path, so the
number of series stays bounded whatever clients send.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.logs import request_id_from, request_id_var
from service.metrics import REQUEST_SECONDS, REQUESTS_IN_PROGRESS, update_pool_gauges

access_log = logging.getLogger("wangge.access")


def route_template(scope: Scope) -> str:
    """The matched route's path template, the mount's prefix, or 'unmatched'."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return "unmatched"


class RequestContext:
    """Request id, one access log line and the latency histogram for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        caller_id = headers.get(b"x-request-id", b"").decode("latin-1") or None
        request_id = request_id_from(caller_id)
        token = request_id_var.set(request_id)
        status = 500  # what the client sees if the app fails before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        REQUESTS_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUESTS_IN_PROGRESS.dec()
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
        app = scope.get("app")
        if app is not None:
            update_pool_gauges(app.state)
        access_log.info(
            "%s %s %s",
            scope["method"],
            route,
            status,
            extra={
                "method": scope["method"],
                "route": route,
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
