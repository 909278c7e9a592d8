"""Read-only work on the standby (target_session_attrs=prefer-standby), measured.

On the pg_auto_failover rig of `make failover` (.ci/ha.sh: monitor + primary + synchronous
standby on this machine) with the demo city and REPORTS reports, two `wangge serve` instances
run side by side: one on the primary (read-write URL), one whose URL prefers the standby. A
district user's token, minted on the primary, is used on both (authentication only reads).
Read workload: open reports in the district's bbox, aggregated (zoom 13) and as points (zoom
16 on a small box), READERS clients. Measured idle, and while FILERS clients file reports on
the primary; also the standby's replay lag during the filings.

  .venv/bin/python bench/standby_reads.py    # ~2 min; leaves nothing running (not in make
                                               # bench: it needs postgresql-15-auto-failover)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.settings import PROJECT_ROOT  # noqa: E402
from tests.conftest import TestDatabase, migrate  # noqa: E402
from tests.faults.workloads import ReportFilings  # noqa: E402
from tests.prod.conftest import ServeProcess  # noqa: E402

REPORTS, READERS, FILERS, READS, SECONDS_UNDER_LOAD = 20_000, 4, 8, 300, 20.0
HA = ["bash", str(PROJECT_ROOT / ".ci" / "ha.sh")]
PORTS = [""]  # the nodes' ports, "P1,P2": chosen per checkout by `ha.sh start`


def _url(role: str, attrs: str) -> str:
    return (
        f"postgresql+psycopg://{role}@/wangge?host=127.0.0.1,127.0.0.1&port={PORTS[0]}"
        f"&target_session_attrs={attrs}"
    )


def _token(url: str, user: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/auth/token", data={"username": user, "password": "demo"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _read_paths(url: str, headers: dict[str, str]) -> list[str]:
    west, south, east, north = httpx.get(f"{url}/api/map/extent", headers=headers).json()["bbox"]
    cx, cy = (west + east) / 2, (south + north) / 2
    return [
        f"/api/map/reports?bbox={west},{south},{east},{north}&zoom=13",
        f"/api/map/reports?bbox={cx - 0.01},{cy - 0.01},{cx + 0.01},{cy + 0.01}&zoom=16",
    ]


def _reads(url: str, headers: dict[str, str], paths: list[str], count: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def reader(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            for i in range(n):
                t = time.perf_counter()
                r = http.get(paths[i % len(paths)])
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(ms) if r.status_code == 200 else errors.__setitem__(
                        0, errors[0] + 1
                    )

    threads = [threading.Thread(target=reader, args=(count // READERS,)) for _ in range(READERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=20)
    return {
        "reads/s": round(len(latencies) / elapsed, 1),
        "p50 ms": round(statistics.median(latencies), 1),
        "p95 ms": round(q[18], 1),
        "errors": errors[0],
    }


def _filing_load(url: str, db: TestDatabase, stop: threading.Event, done: list[int]) -> None:
    workload = ReportFilings(db, _token(url, "worker1"), 100_000, FILERS)
    items = iter(workload.items())
    lock = threading.Lock()

    def filer() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                with lock:
                    item = next(items)
                if http.request(item.method, item.path, **item.request).status_code == 201:
                    done.append(1)

    threads = [threading.Thread(target=filer) for _ in range(FILERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _replay_lag_s(db: TestDatabase) -> float:
    standby = _url("wangge", "standby").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(standby) as conn:
        row = conn.execute(
            "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
        ).fetchone()
    return float(row[0])  # type: ignore[index]


def main() -> None:
    subprocess.run([*HA, "stop"], check=True)  # noqa: S603
    subprocess.run([*HA, "start"], check=True)  # noqa: S603
    ports = subprocess.run([*HA, "ports"], check=True, capture_output=True, text=True)  # noqa: S603
    PORTS[0] = ports.stdout.strip()
    db = TestDatabase(
        owner_url=_url("wangge", "read-write"), app_url=_url("wangge_app", "read-write")
    )
    tmp = Path(tempfile.mkdtemp(prefix="wangge-standby-bench-"))
    apps: list[ServeProcess] = []
    try:
        migrate(db.owner_url)
        from gis_data.demo_loader import DemoScale, load_demo

        load_demo(db.owner_url, scale=DemoScale.demo().override(reports=REPORTS))
        primary = ServeProcess(db, tmp / "p", escalation_interval_s=0)
        standby_db = TestDatabase(db.owner_url, _url("wangge_app", "prefer-standby"))
        standby = ServeProcess(standby_db, tmp / "s", escalation_interval_s=0)
        for app, d in ((primary, tmp / "p"), (standby, tmp / "s")):
            d.mkdir()
            apps.append(app)  # stopped in `finally` even if it never gets ready
            # /ready is 503 on a standby (not writable): wait for /health there
            app.start("--workers", "1", ready_path="/ready" if app is primary else "/health")
        headers = _token(primary.url, "district")
        paths = _read_paths(primary.url, headers)
        rows = []
        for name, app in (("primary", primary), ("standby", standby)):
            _reads(app.url, headers, paths, READERS * 10)  # warm caches
            rows.append((name, "idle", _reads(app.url, headers, paths, READS), None))
        for name, app in (("primary", primary), ("standby", standby)):
            stop, done = threading.Event(), []
            load = threading.Thread(target=_filing_load, args=(primary.url, db, stop, done))
            load.start()
            time.sleep(2)
            result = _reads(app.url, headers, paths, READS)
            lag = _replay_lag_s(db)
            time.sleep(max(0.0, SECONDS_UNDER_LOAD - 2))
            stop.set()
            load.join()
            rows.append((name, f"{FILERS} filing clients ({len(done)} filed)", result, lag))
        print(f"\nreads of {READERS} clients, {REPORTS} reports; commit {_commit()}\n")
        print("| reads on | load on the primary | reads/s | p50 ms | p95 ms | errors | lag s |")
        print("|---|---|---|---|---|---|---|")
        for name, load_name, r, lag in rows:
            shown = "" if lag is None else f"{lag:.2f}"
            print(
                f"| {name} | {load_name} | {r['reads/s']} | {r['p50 ms']} | {r['p95 ms']} "
                f"| {r['errors']} | {shown} |"
            )
    finally:
        for app in apps:
            app.stop()
        subprocess.run([*HA, "stop"], check=False)  # noqa: S603


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
