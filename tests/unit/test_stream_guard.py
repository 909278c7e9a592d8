"""The stream budget and GuardedStream at the ASGI level (no server, no database)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from service.api.guarded_stream import SLICE_BYTES, GuardedStream
from service.api.stream_budget import StreamBudget
from service.domain.export_formats import LAYERS
from service.errors import TooManyRequests
from service.exports.streams import CSV_CHUNK_CHARS, csv_chunks


def test_budget_caps_per_owner_then_overall_and_releases_once() -> None:
    budget = StreamBudget(total=3, per_owner=2, retry_after_s=7)
    a1, a2 = budget.acquire("a"), budget.acquire("a")
    with pytest.raises(TooManyRequests) as per_owner:
        budget.acquire("a")
    assert per_owner.value.where == {"limit": "export_max_per_user", "max": 2}
    assert per_owner.value.headers == {"Retry-After": "7"}
    budget.acquire("b")
    with pytest.raises(TooManyRequests) as overall:
        budget.acquire("c")
    assert overall.value.where == {"limit": "export_max_concurrent", "max": 3}
    a1.release()
    a1.release()  # a second release must not free a second place
    assert budget.running() == 2 and budget.running("a") == 1
    budget.acquire("c")
    with pytest.raises(TooManyRequests):
        budget.acquire("d")
    a2.release()
    assert budget.running("a") == 0


class Producer:
    """A generator-like producer that records being closed (as a cursor's transaction would)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self.closed = False

    def __iter__(self) -> Producer:
        return self

    def __next__(self) -> bytes:
        return next(self._it)

    def close(self) -> None:
        self.closed = True


def _run(response: GuardedStream, send, receive) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(response({"type": "http", "path": "/x"}, receive, send))


async def _never_disconnect() -> dict:
    await asyncio.sleep(3600)
    return {"type": "http.disconnect"}


def test_a_client_that_stops_reading_is_cut_off_and_everything_released() -> None:
    budget = StreamBudget(total=1, per_owner=1, retry_after_s=1)
    lease = budget.acquire("u")
    producer = Producer([b"a" * (3 * SLICE_BYTES), b"b" * 10])
    sent: list[dict] = []
    cleaned: list[bool] = []

    async def send(message: dict) -> None:
        sent.append(message)
        if len(sent) > 2:  # the client takes the head and one slice, then nothing
            await asyncio.sleep(3600)

    response = GuardedStream(
        producer,
        lease=lease,
        send_timeout_s=0.2,
        media_type="text/plain",
        on_close=lambda: cleaned.append(True),
    )
    _run(response, send, _never_disconnect)
    assert response.outcome == "stalled"
    assert producer.closed and cleaned == [True]
    assert budget.running() == 0
    assert all(len(m.get("body", b"")) <= SLICE_BYTES for m in sent)
    assert not any(m.get("more_body") is False for m in sent)  # never told it was complete


def test_a_disconnect_stops_the_stream_at_once() -> None:
    budget = StreamBudget(total=1, per_owner=1, retry_after_s=1)
    producer = Producer([b"x"] * 1000)

    async def send(message: dict) -> None:
        await asyncio.sleep(0.01)

    async def receive() -> dict:
        await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    response = GuardedStream(
        producer, lease=budget.acquire("u"), send_timeout_s=60, media_type="text/plain"
    )
    _run(response, send, receive)
    assert response.outcome == "disconnected"
    assert producer.closed and budget.running() == 0


def test_a_complete_stream_ends_the_body_and_releases() -> None:
    budget = StreamBudget(total=1, per_owner=1, retry_after_s=1)
    producer = Producer([b"one", b"two"])
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    response = GuardedStream(
        producer, lease=budget.acquire("u"), send_timeout_s=5, media_type="text/plain"
    )
    _run(response, send, _never_disconnect)
    assert response.outcome == "complete"
    assert b"".join(m.get("body", b"") for m in sent) == b"onetwo"
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert producer.closed and budget.running() == 0


def test_csv_is_handed_on_in_small_pieces_not_whole_batches() -> None:
    info = LAYERS["reports"]
    width = len(info.fields)
    row = ("长文本" * 50,) * width + ("POINT (113.6 34.7)",)
    batch = [row] * 2000  # one cursor batch: about 1.5 MB of CSV
    pieces = list(csv_chunks([batch], info))
    assert len(pieces) > 10
    longest_row = len(",".join(row).encode()) + 2 * width + 2
    assert max(len(p) for p in pieces) <= CSV_CHUNK_CHARS * 3 + longest_row * 3
    assert sum(p.count(b"\r\n") for p in pieces) == 2001
