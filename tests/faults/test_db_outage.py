"""Kill PostgreSQL (immediate stop) during concurrent filings; nothing acknowledged is lost.

20 clients file 1,000 reports, each retrying with its UUID on 503 or a dropped connection.
After the first ACK_BEFORE_CRASH acknowledgements the cluster is crashed, left down for
OUTAGE_S seconds and started again. Afterwards: every acknowledged report is in the database,
none twice; during the outage every answer was 503 with Retry-After, within the request
timeout; the app recovered by itself (a probe measures the time from the database being back
to the first 200). Figures go to tests/artifacts/faults_summary.json.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.conftest import ARTIFACTS, AppProcess, Cluster
from tests.faults.workloads import Item, Logins, ReportFilings

pytestmark = pytest.mark.slow

FILINGS, CLIENTS = 1000, 20
ACK_BEFORE_CRASH = 150
OUTAGE_S = 5.0
REQUEST_TIMEOUT_S = 10.0
RETRY_PAUSE_S = 0.3
RECOVERY_LIMIT_S = 30.0


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: set[str] = field(default_factory=set)
    answers: list[tuple[float, int, float, str | None]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transport_errors: dict[str, int] = field(default_factory=dict)

    def note(self, status: int, seconds: float, retry_after: str | None) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), status, seconds, retry_after))


def _client(base_url: str, work: queue.Queue, workload: Any, tally: Tally, stop: threading.Event):
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        while not stop.is_set():
            try:
                item: Item = work.get_nowait()
            except queue.Empty:
                return
            _send_until_acknowledged(http, item, workload, tally, stop)


def _send_until_acknowledged(http, item, workload, tally: Tally, stop) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        started = time.monotonic()
        try:
            r = http.request(item.method, item.path, **item.request)
        except httpx.TransportError as exc:
            with tally.lock:
                kind = type(exc).__name__
                tally.transport_errors[kind] = tally.transport_errors.get(kind, 0) + 1
            time.sleep(RETRY_PAUSE_S)
            continue
        tally.note(r.status_code, time.monotonic() - started, r.headers.get("retry-after"))
        if r.status_code in workload.acked_statuses:
            if isinstance(workload, Logins):
                workload.remember(item, r)
            with tally.lock:
                tally.acked.add(item.key)
            return
        if r.status_code == 503:
            time.sleep(RETRY_PAUSE_S)  # a phone would honour Retry-After; the test is impatient
            continue
        with tally.lock:
            tally.unexpected.append(f"{r.status_code} {r.text[:200]}")
        return


def _probe(base_url: str, headers: dict[str, str], log: list, stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        while not stop.is_set():
            try:
                status = http.get("/api/me", headers=headers).status_code
            except httpx.TransportError:
                status = -1
            log.append((time.monotonic(), status))
            time.sleep(0.1)


def _workload(app: AppProcess, demo_db, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    spec = httpx.get(f"{app.url}/openapi.json").json()
    if "post" in spec["paths"].get("/api/reports", {}):
        return ReportFilings(demo_db, headers, FILINGS, CLIENTS)
    # Argon2 logins are costly on 2 shared cores: fewer of them, same crash in the middle.
    return Logins(count=60, clients=3)


def test_database_crash_during_filings(
    cluster: Cluster,
    demo_db,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    app = AppProcess(
        demo_db,
        tmp_path,
        db_pool_size=10,
        db_pool_max_overflow=10,
        db_pool_timeout_s=2,
        db_statement_timeout_ms=5000,
    )
    app.start()
    try:
        headers = _login(app.url)
        workload = _workload(app, demo_db, headers)
        summary = _crash_during(app, cluster, workload, headers)
    finally:
        if not cluster.is_running():
            cluster.start()
        app.stop()
    _write(summary)
    assert summary["app_process_survived"]
    # Connections cut or refused by the app itself would be answers that are not 503s.
    cut = {k: v for k, v in summary["transport_errors"].items() if "Timeout" not in k}
    assert not cut, cut
    assert summary["lost"] == 0
    assert summary["duplicates"] == 0
    assert summary["unexpected_answers"] == [], summary["unexpected_answers"][:5]
    assert summary["answers_during_outage"] > 0, "the crash happened after all filings ended"
    assert summary["outage_non_503"] == 0
    assert summary["outage_503_without_retry_after"] == 0
    assert summary["outage_slowest_answer_s"] < REQUEST_TIMEOUT_S
    assert summary["recovery_s"] is not None and summary["recovery_s"] <= RECOVERY_LIMIT_S
    assert summary["acknowledged"] == summary["filings"]  # every client got through in the end


def _login(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/auth/token", data={"username": "worker1", "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _crash_during(app: AppProcess, cluster: Cluster, workload, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    work: queue.Queue = queue.Queue()
    for item in workload.items():
        work.put(item)
    tally, stop, probe_log = Tally(), threading.Event(), []
    threads = [
        threading.Thread(target=_client, args=(app.url, work, workload, tally, stop))
        for _ in range(workload.clients)
    ]
    probe = threading.Thread(target=_probe, args=(app.url, headers, probe_log, stop))
    started = time.monotonic()
    for t in [*threads, probe]:
        t.start()
    while len(tally.acked) < min(ACK_BEFORE_CRASH, workload.count // 4):
        time.sleep(0.01)
    crashed_at = time.monotonic()
    cluster.crash()
    down_at = time.monotonic()
    time.sleep(OUTAGE_S)
    # The database accepts connections a little before `pg_ctl start` returns: an answer counts
    # as "during the outage" only if it came before the restart began.
    restart_at = time.monotonic()
    cluster.start()
    up_at = time.monotonic()
    for t in threads:
        t.join(timeout=300)
    stop.set()
    probe.join(timeout=REQUEST_TIMEOUT_S + 1)
    ended = time.monotonic()
    if isinstance(workload, ReportFilings):
        found = workload.verify(tally.acked)
    else:
        found = workload.verify_over_http(app.url, tally.acked)
    outage = [a for a in tally.answers if down_at <= a[0] - a[2] and a[0] <= restart_at]
    recovered = next((t for t, status in probe_log if t >= up_at and status == 200), None)
    return {
        "workload": workload.name,
        "filings": workload.count,
        "clients": workload.clients,
        **found,
        "requests_sent": len(tally.answers) + sum(tally.transport_errors.values()),
        "transport_errors": tally.transport_errors,
        "unexpected_answers": tally.unexpected,
        "crash_after_acknowledged": ACK_BEFORE_CRASH,
        "crash_took_s": round(down_at - crashed_at, 3),
        "outage_s": round(up_at - down_at, 3),
        "answers_during_outage": len(outage),
        "outage_non_503": sum(1 for a in outage if a[1] != 503),
        "outage_503_without_retry_after": sum(1 for a in outage if a[1] == 503 and not a[3]),
        "outage_slowest_answer_s": round(max((a[2] for a in outage), default=0.0), 3),
        "recovery_s": round(recovered - up_at, 3) if recovered is not None else None,
        "total_s": round(ended - started, 1),
        "app_process_survived": app.alive(),
    }


def _write(summary: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "faults_summary.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing["database_crash"] = summary
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=1), encoding="utf-8")
