"""A streamed response that a slow or vanished client cannot hold open forever.

Starlette's StreamingResponse waits on `send` for as long as the client does not read, and
never closes a synchronous iterator that was cut short, so a download whose client stalled kept
its database connection and server-side cursor until the process restarted. This response:

- produces each chunk in a worker thread, then sends it in slices of at most SLICE_BYTES, so
  the server's write buffer (and memory) stays small whatever size the producer yields;
- gives every slice `send_timeout_s`: a client that takes nothing for that long is cut off;
- stops at once when the client disconnects (it watches `receive` for http.disconnect);
- always closes the iterator in a worker thread (a generator's `finally` ends the transaction,
  which closes the cursor and gives the connection back), then runs `on_close` and releases
  the lease in the budget — on success, timeout, disconnect or error alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from service.api.stream_budget import StreamLease

log = logging.getLogger("wangge.streams")

SLICE_BYTES = 64 * 1024
_END = object()


def _next_chunk(chunks: Iterator[bytes]) -> Any:
    return next(chunks, _END)


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


class GuardedStream(Response):
    """Stream `chunks` with a send timeout; always clean up (see the module docstring)."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        *,
        lease: StreamLease | None,
        send_timeout_s: float,
        media_type: str,
        headers: dict[str, str] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.chunks = chunks
        self.lease = lease
        self.send_timeout_s = send_timeout_s
        self.on_close = on_close
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)
        self.outcome = "pending"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # stays "disconnected" when the watcher cancels the pump before it returns
        self.outcome = "disconnected"
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._watch_disconnect, receive, tg.cancel_scope)
                self.outcome = await self._pump(send)
                tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._clean_up)
            if self.outcome != "complete":
                log.warning("download on %s cut short: %s", scope.get("path"), self.outcome)

    async def _watch_disconnect(self, receive: Receive, cancel_scope: anyio.CancelScope) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                cancel_scope.cancel()
                return

    async def _pump(self, send: Send) -> str:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        while True:
            # a worker thread, not the event loop: the producer waits on the database
            chunk = await anyio.to_thread.run_sync(_next_chunk, self.chunks)
            if chunk is _END:
                break
            for start in range(0, len(chunk), SLICE_BYTES):
                piece = chunk[start : start + SLICE_BYTES]
                if not await self._send_within(send, piece):
                    return "stalled"
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return "complete"

    async def _send_within(self, send: Send, piece: bytes) -> bool:
        with anyio.move_on_after(self.send_timeout_s) as timer:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        return not timer.cancelled_caught

    def _clean_up(self) -> None:
        try:
            _close(self.chunks)
        finally:
            try:
                if self.on_close is not None:
                    self.on_close()
            finally:
                if self.lease is not None:
                    self.lease.release()
