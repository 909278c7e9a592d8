"""`wangge serve` with 2 workers on a durable cluster: SIGTERM while reports are being filed.

Eight clients file reports (a new connection each, as phones do), three more send a filing whose
body arrives slowly, so it is in flight when SIGTERM comes. Afterwards: the in-flight filings
were answered 201, every acknowledged report is in the database and nothing is there that was
not acknowledged (no answer lost), the server exited cleanly; both workers served requests, and
the escalation schedule ran once per interval in one process, not once per worker.
"""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import TestDatabase
from tests.faults.workloads import Item, ReportFilings
from tests.prod.conftest import ServeProcess

pytestmark = pytest.mark.slow

FILINGS, CLIENTS, SLOW_FILINGS = 600, 8, 3
SIGTERM_AFTER_ACKS = 150
ESCALATION_INTERVAL_S = 1.0


def _login(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/auth/token", data={"username": "worker1", "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _fast_client(url: str, work: queue.Queue, acked: set[str], errors: list[str]) -> None:
    # no keep-alive: every filing opens its own connection, so none is cut while idle
    with httpx.Client(
        base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
    ) as h:
        while True:
            try:
                item: Item = work.get_nowait()
            except queue.Empty:
                return
            try:
                r = h.request(item.method, item.path, **item.request)
            except httpx.TransportError as exc:
                errors.append(type(exc).__name__)
                return  # the server has gone: this filing was never acknowledged
            if r.status_code in (200, 201):
                acked.add(item.key)
            else:
                errors.append(f"{r.status_code} {r.text[:100]}")
                return


def _slow_body(body: bytes, released: threading.Event) -> Iterator[bytes]:
    half = len(body) // 2
    yield body[:half]
    released.wait(30)
    time.sleep(1.0)  # the rest arrives a second after SIGTERM
    yield body[half:]


def _slow_client(url: str, item: Item, released: threading.Event, out: dict[str, int]) -> None:
    headers = {**item.request["headers"], "Content-Type": "application/json"}
    body = json.dumps(item.request["json"]).encode()
    try:
        r = httpx.post(
            f"{url}{item.path}", content=_slow_body(body, released), headers=headers, timeout=60
        )
        out[item.key] = r.status_code
    except httpx.TransportError as exc:
        out[item.key] = -1
        out[f"error {type(exc).__name__}"] = -1


def _log_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_sigterm_finishes_in_flight_requests(durable_db: TestDatabase, tmp_path: Path) -> None:
    app = ServeProcess(
        durable_db,
        tmp_path,
        escalation_interval_s=ESCALATION_INTERVAL_S,
        graceful_timeout_s=20,
    )
    app.start("--workers", "2")
    time.sleep(4 * ESCALATION_INTERVAL_S)  # a few escalation intervals with both workers up
    try:
        workload = ReportFilings(durable_db, _login(app.url), FILINGS, CLIENTS)
        items = workload.items()
        slow, fast = items[:SLOW_FILINGS], items[SLOW_FILINGS:]
        work: queue.Queue = queue.Queue()
        for item in fast:
            work.put(item)
        acked: set[str] = set()
        errors: list[str] = []
        released, slow_out = threading.Event(), {}
        threads = [
            threading.Thread(target=_fast_client, args=(app.url, work, acked, errors))
            for _ in range(CLIENTS)
        ] + [
            threading.Thread(target=_slow_client, args=(app.url, item, released, slow_out))
            for item in slow
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(acked) < SIGTERM_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)  # the slow filings' first halves have arrived
        sigterm_at = datetime.now(UTC)
        app.terminate()
        released.set()
        for t in threads:
            t.join(timeout=60)
        exit_code = app.wait(timeout=40)
    finally:
        app.stop()
    acked |= {key for key, status in slow_out.items() if status in (200, 201)}
    found = workload.verify(acked)
    lines = _log_lines(app.log)

    assert exit_code == 0, app.log.read_text()[-2000:]
    assert [slow_out.get(item.key) for item in slow] == [201] * SLOW_FILINGS, slow_out
    assert len(acked) >= SIGTERM_AFTER_ACKS
    assert found["lost"] == 0, found
    assert found["duplicates"] == 0, found
    # nothing committed whose answer was cut off by the shutdown
    assert found["stored"] == found["acknowledged"], found
    assert not [e for e in errors if not e.startswith(("Connect", "Read", "RemoteProtocol"))]
    access_pids = {ln["pid"] for ln in lines if ln.get("logger") == "wangge.access"}
    assert len(access_pids) == 2, access_pids
    assert all(ln.get("request_id") for ln in lines if ln.get("logger") == "wangge.access")
    _assert_escalation_once_per_interval(lines, sigterm_at)


def _assert_escalation_once_per_interval(lines: list[dict], sigterm_at: datetime) -> None:
    # after SIGTERM the worker that stops first hands the lock over: count only before it
    passes = [
        ln
        for ln in lines
        if ln["message"].startswith("escalation pass")
        and datetime.fromisoformat(ln["ts"]) < sigterm_at
    ]
    assert len(passes) >= 3, "the schedule did not run"
    assert len({p["pid"] for p in passes}) == 1, "more than one process ran the schedule"
    times = [datetime.fromisoformat(p["ts"]).timestamp() for p in passes]
    span = times[-1] - times[0]
    # once per interval: one worker alone; two would make about twice as many passes
    assert len(passes) <= span / ESCALATION_INTERVAL_S + 2, (len(passes), span)


def test_sighup_replaces_workers_without_refusing_requests(
    durable_db: TestDatabase, tmp_path: Path
) -> None:
    """`systemctl reload` (SIGHUP): new workers start before the old ones stop; meanwhile
    clients opening a connection per request see only answers, never a refused connection."""
    app = ServeProcess(durable_db, tmp_path, escalation_interval_s=0)
    app.start("--workers", "2")
    stop = threading.Event()
    outcomes: list[str] = []

    def prober() -> None:
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=app.url, timeout=30, limits=no_keepalive) as http:
            while not stop.is_set():
                try:
                    outcomes.append(str(http.get("/ready").status_code))
                except httpx.TransportError as exc:
                    outcomes.append(type(exc).__name__)

    try:
        threads = [threading.Thread(target=prober) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        before = _worker_pids(app.log)
        assert app.proc is not None
        app.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_worker_pids(app.log) - before) < 2:
            time.sleep(0.2)
        time.sleep(1.0)  # requests to the new workers only
        stop.set()
        for t in threads:
            t.join(timeout=30)
        after = _worker_pids(app.log) - before
    finally:
        app.stop()
    assert len(after) == 2, app.log.read_text()[-3000:]
    assert outcomes and set(outcomes) == {"200"}, {o: outcomes.count(o) for o in set(outcomes)}
    served_by = {ln["pid"] for ln in _log_lines(app.log) if ln.get("logger") == "wangge.access"}
    assert served_by & after, "no request reached the new workers"


def _worker_pids(log: Path) -> set[int]:
    return {
        ln["pid"]
        for ln in _log_lines(log)
        if ln["message"].startswith("Application startup complete")
    }
