"""HTTP limits of the served app (service.http_server), over real sockets against live uvicorn:
header size, slow request heads, idle keep-alive; X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.api.client_address import forwarded_client, parse_networks
from service.main import create_app
from service.settings import Settings
from tests.conftest import TestDatabase
from tests.stream_world import ThreadServer

HEAD_TIMEOUT_S, BODY_TIMEOUT_S, KEEP_ALIVE_S, MAX_HEADER = 1.5, 1.5, 1, 16 * 1024


def _server_settings(settings: Settings, **extra: object) -> Settings:
    return settings.replace(
        http_header_timeout_s=HEAD_TIMEOUT_S,
        http_keep_alive_s=KEEP_ALIVE_S,
        http_body_timeout_s=BODY_TIMEOUT_S,
        http_max_header_bytes=MAX_HEADER,
        escalation_interval_s=0,
        **extra,
    )


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ThreadServer]:
    with ThreadServer(_server_settings(settings)) as s:
        yield s


def _connect(server: ThreadServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed/reset the connection (reading and dropping data)."""
    began = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - began < seconds:
        try:
            if not sock.recv(65536):
                return time.monotonic() - began
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - began
        except TimeoutError:
            continue
    return None


def test_a_huge_header_is_refused_after_the_limit(server: ThreadServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent, answer = 0, b""
    try:
        while sent < 60 * 1024 * 1024:
            sock.sendall(b"a" * 65536)
            sent += 65536
    except (ConnectionResetError, BrokenPipeError):
        pass
    sock.settimeout(5)
    try:
        answer = sock.recv(100)
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    # refused long before 60 MB went in (the kernel buffers take a few MB of what was sent)
    assert sent < 16 * 1024 * 1024, sent
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    # and a normal request still works
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_request_head_sent_slowly_is_cut_off(server: ThreadServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /health HTTP/1.1\r\n")
    began = time.monotonic()
    closed = False
    try:
        for _ in range(int((HEAD_TIMEOUT_S + 3) / 0.3)):
            sock.sendall(b"X-Slow: a\r\n")  # a header line now and then, never the blank line
            time.sleep(0.3)
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    if not closed:
        closed = _closed_within(sock, 2) is not None
    sock.close()
    assert closed
    assert time.monotonic() - began < HEAD_TIMEOUT_S + 4


def test_a_request_body_that_stops_coming_is_cut_off(server: ThreadServer) -> None:
    sock = _connect(server)
    head = (
        "POST /api/auth/token HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b"username=a")
    waited = _closed_within(sock, BODY_TIMEOUT_S + 3)
    sock.close()
    assert waited is not None and waited >= BODY_TIMEOUT_S - 0.2


def test_a_slow_but_steady_body_is_accepted(server: ThreadServer, demo_db: TestDatabase) -> None:
    name = f"xff-probe-{uuid.uuid4().hex[:10]}"
    body = f"username={name}&password=".encode() + b"x" * 40
    sock = _connect(server)
    head = (
        "POST /api/auth/token HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode())
    for start in range(0, len(body), 10):  # whole upload takes longer than the body timeout
        sock.sendall(body[start : start + 10])
        time.sleep(BODY_TIMEOUT_S / 3)
    sock.settimeout(10)
    assert sock.recv(12) == b"HTTP/1.1 401"
    sock.close()
    assert _recorded_address(name, demo_db) == "127.0.0.1"  # (and the failure removed)


def test_a_silent_connection_is_closed(server: ThreadServer) -> None:
    sock = _connect(server)
    waited = _closed_within(sock, HEAD_TIMEOUT_S + 3)
    sock.close()
    assert waited is not None and waited >= HEAD_TIMEOUT_S - 0.2


def test_idle_keep_alive_is_closed_and_a_second_request_gets_its_own_deadline(
    server: ThreadServer,
) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.settimeout(10)
    assert sock.recv(12) == b"HTTP/1.1 200"
    waited = _closed_within(sock, KEEP_ALIVE_S + 3)
    sock.close()
    assert waited is not None
    # a second request on a kept-alive connection: started, never finished → cut off too
    sock = _connect(server)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    waited = _closed_within(sock, HEAD_TIMEOUT_S + 3)
    sock.close()
    assert waited is not None


def test_stopping_serves_a_request_on_a_just_opened_connection(settings: Settings) -> None:
    """Graceful shutdown (SIGTERM, or a reload retiring a worker): a connection opened just
    before, whose request had not arrived yet, is answered (with Connection: close), not
    dropped; an idle keep-alive connection closes at once, a silent new one after the grace."""
    with ThreadServer(_server_settings(settings)) as live:
        fresh, silent, idle = _connect(live), _connect(live), _connect(live)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        idle.settimeout(10)
        assert idle.recv(12) == b"HTTP/1.1 200"
        time.sleep(0.3)  # all three accepted by the server
        live.server.should_exit = True
        assert _closed_within(idle, 1.0) is not None, "idle keep-alive connection left open"
        fresh.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        fresh.settimeout(10)
        answer = b""
        while chunk := fresh.recv(65536):
            answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert head.startswith(b"http/1.1 200"), answer[:200]
        assert b"connection: close" in head
        waited = _closed_within(silent, HEAD_TIMEOUT_S + 3)
        assert waited is not None
        for sock in (fresh, silent, idle):
            sock.close()


def _failed_login_address(url: str, forwarded_for: str, test_db: TestDatabase) -> str:
    """Where the login rate limiter saw a failed login come from."""
    name = f"xff-probe-{uuid.uuid4().hex[:10]}"
    r = httpx.post(
        f"{url}/api/auth/token",
        data={"username": name, "password": "wrong"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert r.status_code == 401
    return _recorded_address(name, test_db)


def _recorded_address(name: str, test_db: TestDatabase) -> str:
    engine = create_engine(test_db.owner_url)
    try:
        with engine.begin() as conn:
            addr = conn.execute(
                text("SELECT client_addr FROM login_attempt WHERE username = :u"), {"u": name}
            ).scalar_one()
            conn.execute(text("DELETE FROM login_attempt WHERE username = :u"), {"u": name})
    finally:
        engine.dispose()
    return str(addr)


def test_forwarded_for_is_ignored_by_default(server: ThreadServer, demo_db: TestDatabase) -> None:
    assert _failed_login_address(server.url, "203.0.113.9", demo_db) == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_trusted_proxy(
    settings: Settings, demo_db: TestDatabase
) -> None:
    trusted = _server_settings(settings, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    with ThreadServer(trusted) as s:
        assert _failed_login_address(s.url, "203.0.113.9", demo_db) == "203.0.113.9"
        # the client wrote the first entry itself; the proxies appended what they saw
        seen = _failed_login_address(s.url, "198.51.100.1, 203.0.113.9, 10.1.2.3", demo_db)
        assert seen == "203.0.113.9"


def test_a_client_that_is_not_a_proxy_cannot_choose_its_address(
    settings: Settings, demo_db: TestDatabase
) -> None:
    trusted = _server_settings(settings, trusted_proxies="10.0.0.1")
    names = [f"xff-probe-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for peer, name in zip(("192.0.2.50", "10.0.0.1"), names, strict=True):
        with TestClient(create_app(trusted), client=(peer, 4000)) as c:
            r = c.post(
                "/api/auth/token",
                data={"username": name, "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.77"},
            )
        assert r.status_code == 401
    assert _recorded_address(names[0], demo_db) == "192.0.2.50"
    assert _recorded_address(names[1], demo_db) == "203.0.113.77"


def test_forwarded_client_rules() -> None:
    nets = parse_networks("10.0.0.1, 172.16.0.0/12, ::1")
    assert forwarded_client("192.0.2.1", "203.0.113.5", nets) == "192.0.2.1"
    assert forwarded_client("10.0.0.1", "203.0.113.5", nets) == "203.0.113.5"
    assert forwarded_client("10.0.0.1", "6.6.6.6, 203.0.113.5, 172.16.3.4", nets) == "203.0.113.5"
    assert forwarded_client("10.0.0.1", "not-an-ip", nets) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", "", nets) == "10.0.0.1"
    assert forwarded_client("::1", "2001:db8::7", nets) == "2001:db8::7"
    assert forwarded_client("10.0.0.1", "203.0.113.5", []) == "10.0.0.1"
    with pytest.raises(ValueError, match="not an address"):
        parse_networks("10.0.0.1, example.org")
