"""Serve the app with uvicorn under the HTTP limits of the settings (python -m service.http_server).

Every place that starts the app (make demo, the fault tests, the live-server tests) goes
through `uvicorn_options`, so none of them can forget a limit:

- h11, not httptools: h11 caps the request line plus headers (http_max_header_bytes; a larger
  head is answered 400 and the connection closed). httptools accepted a 60 MB header.
- A client must finish sending its request head within http_header_timeout_s of connecting
  (or of its previous request): uvicorn only times out idle keep-alive connections, so a
  client sending a header a byte at a time was never cut off. A request body may pause at most
  http_body_timeout_s between two pieces (a slow upload is fine, a silent one is not).
- A client whose socket takes no data for stream_send_timeout_s while a response is waiting
  to be written is aborted (this covers every response; GuardedStream also stops producing).
- Idle keep-alive connections close after http_keep_alive_s.
- uvicorn's X-Forwarded-For handling is off; service.api.client_address decides, from
  WANGGE_TRUSTED_PROXIES only.
- Graceful shutdown (SIGTERM; a SIGHUP reload retiring a worker): uvicorn closes at once every
  connection without a request in progress, including one the client has just opened and whose
  request is on its way, or already in the socket buffer unread: that client got no answer at
  all ("server disconnected"). A connection that has had no request yet gets
  SHUTDOWN_GRACE_S for it instead, and its request is served with `Connection: close`; idle
  keep-alive connections still close at once (a client knows those may close between requests).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import InvalidSettings, Settings, get_settings

log = logging.getLogger("wangge.http")

SHUTDOWN_GRACE_S = 2.0
CLOSE = (b"connection", b"close")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head timeout and a stalled-write abort.

    Its timeouts come from the environment's settings (so it can be named by import string
    in worker processes); `protocol_for(settings)` binds other settings.
    """

    settings: Settings | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.settings or _env_settings()
        self.head_timeout_s = settings.http.header_timeout_s
        self.body_timeout_s = settings.http.body_timeout_s
        self.write_timeout_s = settings.http.stream_send_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._grace_timer: asyncio.TimerHandle | None = None
        self._shutting_down = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # a (next) request head is arriving: it gets a deadline
        super().data_received(data)
        if self._shutting_down and self.cycle is not None:
            # the request a closing worker waited for: served, then the connection closes
            self.cycle.keep_alive = False
            if CLOSE not in self.cycle.default_headers:
                self.cycle.default_headers = [*self.cycle.default_headers, CLOSE]
            self._cancel("_grace_timer")
        if self.conn.their_state is not h11.IDLE:
            self._cancel("_head_timer")  # the whole head has arrived
        self._cancel("_body_timer")
        if self.conn.their_state is h11.SEND_BODY:  # more body to come: within the timeout
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._abort_slow_body)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in ("_head_timer", "_body_timer", "_write_timer", "_grace_timer"):
            self._cancel(timer)
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """The worker is stopping: a connection with no request yet gets a short grace."""
        if self.cycle is None and not self.transport.is_closing():
            self._shutting_down = True
            if self._grace_timer is None:
                grace = min(SHUTDOWN_GRACE_S, self.head_timeout_s)
                self._grace_timer = self.loop.call_later(grace, self._close_unused)
            return
        super().shutdown()

    def _close_unused(self) -> None:
        self._grace_timer = None
        if self.cycle is None and not self.transport.is_closing():
            super().shutdown()  # no request came: closed as uvicorn does

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.write_timeout_s, self._abort_stalled)

    def resume_writing(self) -> None:
        self._cancel("_write_timer")
        super().resume_writing()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._abort_slow_head)

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _abort_slow_head(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            log.warning(
                "client %s: request head not complete in %ss", self.client, self.head_timeout_s
            )
            self.transport.abort()

    def _abort_slow_body(self) -> None:
        self._body_timer = None
        if self.flow.read_paused:
            # the app has not taken the body read so far: the wait is ours, not the client's
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._abort_slow_body)
            return
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            log.warning("client %s: no request body for %ss", self.client, self.body_timeout_s)
            self.transport.abort()

    def _abort_stalled(self) -> None:
        # abort, not close: close() would wait for the client to take the buffered bytes
        self._write_timer = None
        log.warning(
            "client %s took no data for %ss: connection aborted", self.client, self.write_timeout_s
        )
        self.transport.abort()


_env: list[Settings] = []


def _env_settings() -> Settings:
    if not _env:
        _env.append(get_settings())
    return _env[0]


def protocol_for(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol class with these settings' timeouts."""
    return type("BoundGuardedH11Protocol", (GuardedH11Protocol,), {"settings": settings})


def uvicorn_options(settings: Settings, *, import_string: bool = False) -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config that apply the HTTP limits.

    `import_string=True` names the protocol by module path (for several worker processes,
    which read their timeouts from the environment like the app's settings).
    """
    http: Any = (
        "service.http_server:GuardedH11Protocol" if import_string else protocol_for(settings)
    )
    return {
        "http": http,
        "h11_max_incomplete_event_size": settings.http.max_header_bytes,
        "timeout_keep_alive": settings.http.keep_alive_s,
        "proxy_headers": False,
        "server_header": False,
    }


def main(argv: list[str] | None = None) -> None:
    """Serve an app factory (service.main:create_app) with the limits: make demo, the fault
    tests and the benchmarks all start the app this way."""
    ap = argparse.ArgumentParser(prog="python -m service.http_server")
    ap.add_argument("--app", default="service.main:create_app", help="app factory import path")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-access-log", action="store_true")
    args = ap.parse_args(argv)
    try:
        settings = get_settings()
    except InvalidSettings as exc:
        raise SystemExit(f"error: {exc}") from None
    uvicorn.run(
        args.app,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        **uvicorn_options(settings, import_string=args.workers > 1),
    )


if __name__ == "__main__":
    main()
