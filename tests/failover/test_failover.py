"""The primary PostgreSQL is lost mid-way through 1,000 filings; the standby takes over.

pg_auto_failover (.ci/ha.sh): a monitor and two nodes on local ports, synchronous replication.
`wangge serve` (2 workers) connects with a multi-host URL, target_session_attrs=read-write.
20 clients file 1,000 reports, each retrying with its UUID on 503 or a dropped connection; after
300 acknowledgements the primary's keeper and PostgreSQL are SIGKILLed (a machine lost).
Afterwards: every acknowledged report is on the new primary, none twice; every other answer
during the switch was 503 with Retry-After; filings succeed again within 30 s of the kill.
Figures go to tests/artifacts/failover_summary.json (→ docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from service.settings import PROJECT_ROOT
from tests.conftest import TestDatabase, migrate
from tests.faults.conftest import ARTIFACTS
from tests.faults.test_db_outage import Tally, _client
from tests.faults.workloads import ReportFilings
from tests.prod.conftest import ServeProcess

pytestmark = pytest.mark.slow

FILINGS, CLIENTS = 1000, 20
KILL_AFTER_ACKS = 300
RECOVERY_GOAL_S = 30.0
HA = ["bash", str(PROJECT_ROOT / ".ci" / "ha.sh")]
HA_START_S: dict[str, float] = {}


def _ha(*args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [*HA, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:  # ha.sh says which step failed and why: show it
        raise RuntimeError(f"ha.sh {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout.strip()


def _url(role: str, ports: str, attrs: str = "read-write") -> str:
    return (
        f"postgresql+psycopg://{role}@/wangge?host=127.0.0.1,127.0.0.1&port={ports}"
        f"&target_session_attrs={attrs}&connect_timeout=3"
    )


@pytest.fixture(scope="module")
def ha_db() -> Iterator[TestDatabase]:
    """A fresh monitor + two nodes with the migrated demo city; removed afterwards."""
    if os.environ.get("WANGGE_TEST_OWNER_URL"):
        pytest.skip("the failover test builds its own cluster")
    _ha("stop")
    try:
        started = time.monotonic()
        _ha("start")
        HA_START_S["s"] = round(time.monotonic() - started, 1)
        ports = _ha("ports")  # chosen per checkout, free on this machine
        db = TestDatabase(owner_url=_url("wangge", ports), app_url=_url("wangge_app", ports))
        migrate(db.owner_url)
        from gis_data.demo_loader import DemoScale, load_demo

        load_demo(db.owner_url, scale=DemoScale.demo())
        yield db
    finally:
        _ha("stop")


def _replication(db: TestDatabase) -> dict[str, Any]:
    with psycopg.connect(db.libpq()) as conn:
        sync = conn.execute("SELECT current_setting('synchronous_standby_names')").fetchone()
        port = conn.execute("SELECT inet_server_port()").fetchone()
    return {"synchronous_standby_names": sync[0], "primary_port": port[0]}  # type: ignore[index]


def test_primary_lost_during_filings(ha_db: TestDatabase, tmp_path: Path) -> None:
    before = _replication(ha_db)
    assert before["synchronous_standby_names"], "replication is not synchronous"
    app = ServeProcess(
        ha_db,
        tmp_path,
        db_pool_timeout_s=2,
        db_statement_timeout_ms=5000,
        escalation_interval_s=0,
    )
    app.start("--workers", "2")
    try:
        login = httpx.post(
            f"{app.url}/api/auth/token", data={"username": "worker1", "password": "demo"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        workload = ReportFilings(ha_db, headers, FILINGS, CLIENTS)
        summary = _kill_primary_during(app, workload)
        summary["app_process_survived"] = app.proc is not None and app.proc.poll() is None
    finally:
        app.stop()
    summary["before"] = before
    summary["cluster_start_s"] = HA_START_S.get("s")
    summary["after"] = _replication(ha_db)
    _write(summary)
    assert summary["app_process_survived"]
    assert summary["lost"] == 0
    assert summary["duplicates"] == 0
    assert summary["unexpected_answers"] == [], summary["unexpected_answers"][:5]
    assert summary["after"]["primary_port"] != before["primary_port"], "no failover happened"
    assert summary["switch_answers"] > 0, "the kill happened after all filings ended"
    assert summary["switch_not_503"] == 0
    assert summary["switch_503_without_retry_after"] == 0
    assert summary["recovery_s"] is not None and summary["recovery_s"] <= RECOVERY_GOAL_S
    assert summary["acknowledged"] == FILINGS


def _kill_primary_during(app: ServeProcess, workload: ReportFilings) -> dict[str, Any]:
    work: queue.Queue = queue.Queue()
    for item in workload.items():
        work.put(item)
    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(target=_client, args=(app.url, work, workload, tally, stop))
        for _ in range(CLIENTS)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    while len(tally.acked) < KILL_AFTER_ACKS and time.monotonic() - started < 300:
        time.sleep(0.01)
    killed = _ha("kill-primary")
    killed_at = time.monotonic()  # the SIGKILL was the script's last step
    acked_at_kill = len(tally.acked)
    for t in threads:
        t.join(timeout=300)
    stop.set()
    ended = time.monotonic()
    found = workload.verify(tally.acked)
    # an answer ends (monotonic) at a[0] after a[2] seconds; recovery: the first success of a
    # request sent after the kill
    ok = sorted(a[0] for a in tally.answers if a[1] in (200, 201) and a[0] - a[2] > killed_at)
    recovered_at = ok[0] if ok else None
    switch = [
        a
        for a in tally.answers
        if a[0] > killed_at and (recovered_at is None or a[0] < recovered_at)
    ]
    not_ok = [a for a in switch if a[1] not in (200, 201)]
    return {
        "filings": FILINGS,
        "clients": CLIENTS,
        **found,
        "killed_node": killed,
        "acknowledged_before_kill": acked_at_kill,
        "requests_sent": len(tally.answers) + sum(tally.transport_errors.values()),
        "transport_errors": tally.transport_errors,
        "unexpected_answers": tally.unexpected,
        "switch_answers": len(switch),
        "switch_acknowledged": len(switch) - len(not_ok),
        "switch_not_503": sum(1 for a in not_ok if a[1] != 503),
        "switch_503_without_retry_after": sum(1 for a in not_ok if a[1] == 503 and not a[3]),
        "switch_slowest_answer_s": round(max((a[2] for a in switch), default=0.0), 3),
        "recovery_s": round(recovered_at - killed_at, 3) if recovered_at is not None else None,
        "total_s": round(ended - started, 1),
    }


def _write(summary: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "failover_summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
