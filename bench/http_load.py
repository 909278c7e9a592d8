"""A lean HTTP/1.1 keep-alive load generator on asyncio streams (the client must not be the
bottleneck on a 2-core machine, so no full HTTP library sits in the measuring loop)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def record(self, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.append(ms)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        status, _ = await self._exchange(head.encode() + body)
        return status

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes) of a GET."""
        return await self._exchange(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}\r\n".encode()
        )

    async def _exchange(self, request: bytes) -> tuple[int, int]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status, length


async def fixed_rate(
    host: str,
    port: int,
    headers: dict[str, str],
    path: str,
    make_body: Callable[[], bytes],
    rate: float,
    seconds: float,
    max_connections: int = 64,
) -> Result:
    """Open loop: request i is due at i/rate; latency counts from when it was due, so a slow
    server cannot hide its queueing (no coordinated omission)."""
    result = Result()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(max_connections):
        idle.put_nowait(Connection(host, port, headers))
    start = time.perf_counter()
    total = int(rate * seconds)

    async def one(due: float) -> None:
        conn = await idle.get()
        try:
            status = await conn.post(path, make_body())
        finally:
            idle.put_nowait(conn)
        result.record(status, (time.perf_counter() - due) * 1000)

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    return result


async def each_once(
    host: str, port: int, headers: dict[str, str], paths: list[str], clients: int
) -> Result:
    """GET every path once over `clients` keep-alive connections (as fast as answered)."""
    result = Result()
    todo = iter(paths)

    async def client() -> None:
        conn = Connection(host, port, headers)
        for path in todo:
            began = time.perf_counter()
            status, _ = await conn.get(path)
            result.record(status, (time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed_s = time.perf_counter() - began
    return result
