"""Stalled downloads against a live server: a database with exports bigger than the socket
buffers, the app under uvicorn with the production HTTP limits, and clients that never read.

A stalled client has a small receive buffer and reads nothing after the status line. On
loopback the kernel still absorbs ~1.7 MB per connection, so the database made here holds
enough reports that an export is several times that (the session's demo database is ~250 kB).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psycopg
import uvicorn

from service.http_server import uvicorn_options
from service.settings import Settings, local_database_url
from tests.conftest import TestDatabase, drop_database, migrate, recreate_database

RCVBUF = 1024


@contextmanager
def big_export_database(name: str, reports: int) -> Iterator[TestDatabase]:
    """A fresh database `name` with the demo city and `reports` reports; dropped afterwards."""
    from gis_data.demo_loader import DemoScale, load_demo

    recreate_database(name)
    db = TestDatabase(local_database_url("wangge", name), local_database_url("wangge_app", name))
    try:
        migrate(db.owner_url)
        load_demo(db.owner_url, scale=DemoScale.demo().override(reports=reports))
        yield db
    finally:
        drop_database(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """The app under uvicorn (with service.http_server's limits) in a thread on loopback."""

    def __init__(self, settings: Settings) -> None:
        from service.main import create_app

        self.settings = settings
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            **uvicorn_options(settings),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def token(url: str, username: str) -> str:
    r = httpx.post(f"{url}/api/auth/token", data={"username": username, "password": "demo"})
    r.raise_for_status()
    return str(r.json()["access_token"])


@dataclass
class StalledClient:
    """A download whose client read the status line and then nothing."""

    sock: socket.socket
    head: bytes

    @property
    def status(self) -> int:
        return int(self.head[9:12])

    def complete(self, wait_s: float) -> bool:
        """Read whatever arrives until the server closes or resets the connection (or wait_s
        passes): whether that was the whole response (chunked: the terminating chunk;
        otherwise Content-Length bytes). A stalled client cut off gets an incomplete one."""
        return is_complete(self.read_all(wait_s))

    def read_all(self, wait_s: float) -> bytes:
        """The response so far plus whatever arrives until close, reset or `wait_s`."""
        data = bytearray(self.head)
        self.sock.settimeout(1.0)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                break
            except TimeoutError:
                continue
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def close(self) -> None:
        self.sock.close()


def is_complete(response: bytes) -> bool:
    """Whether raw HTTP/1.1 response bytes hold the whole body."""
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return body.endswith(b"\r\n0\r\n\r\n")


def open_stalled(port: int, path: str, bearer: str) -> StalledClient:
    """Send GET `path` from a socket with a tiny receive buffer; read only the status line."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    sock.connect(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {bearer}\r\n\r\n"
    sock.sendall(request.encode())
    sock.settimeout(30)
    head = b""
    while len(head) < 12:  # "HTTP/1.1 200"
        head += sock.recv(12 - len(head))
    return StalledClient(sock, head)


def app_sessions(db: TestDatabase) -> list[tuple[str, str, str, str]]:
    """(application_name, state, query, backend_type) of the app role's other sessions (a role
    sees its own sessions' state and query in pg_stat_activity without extra privileges).
    Parallel workers of a query show up too, as backend_type 'parallel worker'."""
    with psycopg.connect(db.libpq("app")) as conn:
        rows = conn.execute(
            "SELECT application_name, coalesce(state, ''), left(query, 60), backend_type"
            " FROM pg_stat_activity"
            " WHERE usename = current_user AND pid <> pg_backend_pid()"
            " ORDER BY application_name"
        ).fetchall()
    return [(str(a), str(s), str(q), str(b)) for a, s, q, b in rows]


def busy_sessions(db: TestDatabase) -> list[tuple[str, str, str, str]]:
    """The app's sessions that are not idle: running a query (a COPY waiting to send, say) or
    holding a transaction open (a cursor between fetches)."""
    return [r for r in app_sessions(db) if r[1] != "idle"]


def wait_until(condition, timeout_s: float, step_s: float = 0.2) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `condition()` was true; raises AssertionError after `timeout_s`."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout_s:
            raise AssertionError(f"not true within {timeout_s} s")
        time.sleep(step_s)
    return time.monotonic() - began
