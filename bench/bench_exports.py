"""Benchmark: reports as GeoJSON over HTTP — streaming export vs ogr2ogr vs a naive export.

    .venv/bin/python bench/bench_exports.py             # 1,000,000 reports (DemoScale.benchmark)
    .venv/bin/python bench/bench_exports.py --quick     # 100,000 reports
    .venv/bin/python bench/bench_exports.py --reuse     # keep the scratch database if loaded

Runs against a scratch database `wangge_bench_exports` in the worktree's local cluster (make db).
The app runs under uvicorn in its own process; its RSS is sampled from /proc every 10 ms.
ogr2ogr (Debian gdal-bin) reads the same table and writes GeoJSON to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.settings import LOCAL_SOCKET_DIR, local_database_url  # noqa: E402

DB = "wangge_bench_exports"
CHUNK = 1 << 16


@dataclass
class Result:
    name: str
    features: int
    seconds: float
    first_byte_ms: float
    bytes: int
    peak_rss_mb: float | None
    base_rss_mb: float | None

    def row(self) -> str:
        rate = self.features / self.seconds if self.seconds else 0
        peak = f"{self.peak_rss_mb:.0f}" if self.peak_rss_mb is not None else "—"
        base = f"{self.base_rss_mb:.0f}" if self.base_rss_mb is not None else "—"
        return (
            f"| {self.name} | {self.features:,} | {self.seconds:.1f} | {rate:,.0f} |"
            f" {self.first_byte_ms:.0f} | {self.bytes / 1e6:.0f} | {base} | {peak} |"
        )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


BULK_REPORTS_SQL = """
INSERT INTO report (id, geom, accuracy_m, coordinate_system, category_code, description, status,
  reporter_id, grid_cell_id, residential_area_id, community_id, street_id, district_id,
  department_id, deadline_at, created_at, updated_at)
SELECT gen_random_uuid(),
  ST_SetSRID(ST_MakePoint(ST_X(r.geom) + (random() - 0.5) * 1e-4,
                          ST_Y(r.geom) + (random() - 0.5) * 1e-4), 4326),
  r.accuracy_m, r.coordinate_system, r.category_code, r.description, r.status, r.reporter_id,
  r.grid_cell_id, r.residential_area_id, r.community_id, r.street_id, r.district_id,
  r.department_id, r.deadline_at, r.created_at - (g %% 1000) * interval '1 hour', r.updated_at
FROM generate_series(1, %(n)s) AS g
JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS k FROM report) r
  ON r.k = g %% (SELECT count(*) FROM report)
"""


def prepare_bulk_sql(reports: int) -> None:
    """Fallback: the demo city, then reports cloned in bulk SQL (generate_series) to `reports`."""
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    admin = _libpq(local_database_url("wangge", "postgres"))
    owner = local_database_url("wangge", DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}" OWNER wangge TEMPLATE wangge_template')
    command.upgrade(alembic_config(owner), "heads")
    load_demo(owner, scale=DemoScale.demo(), progress=False)
    with psycopg.connect(_libpq(owner), autocommit=True) as conn:
        (have,) = conn.execute("SELECT count(*) FROM report").fetchone()  # type: ignore[misc]
        print(f"cloning {reports - have:,} reports in SQL …", flush=True)
        conn.execute(BULK_REPORTS_SQL, {"n": reports - have})
        conn.execute("VACUUM ANALYZE")


def prepare_database(reports: int, reuse: bool) -> None:
    """Create, migrate and load the scratch database (skipped with --reuse when loaded)."""
    admin = _libpq(local_database_url("wangge", "postgres"))
    owner = local_database_url("wangge", DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone()
    if reuse and exists:
        with psycopg.connect(_libpq(owner)) as conn:
            (n,) = conn.execute("SELECT count(*) FROM report").fetchone()  # type: ignore[misc]
        if n >= reports:
            from alembic import command

            from service.cli import alembic_config

            command.upgrade(alembic_config(owner), "heads")  # revisions added since the load
            print(f"reusing {DB} with {n:,} reports")
            return
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}" OWNER wangge TEMPLATE wangge_template')
    command.upgrade(alembic_config(owner), "heads")
    print(f"loading DemoScale.benchmark() with {reports:,} reports …", flush=True)
    load_demo(owner, scale=DemoScale.benchmark().override(reports=reports), progress=True)
    with psycopg.connect(_libpq(owner), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RssSampler(threading.Thread):
    """Peak resident set size of one process, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def now_kb(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except FileNotFoundError:
            pass
        return 0

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.now_kb())
            time.sleep(0.01)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak / 1024


def start_app(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": local_database_url("wangge_app", DB),
        "WANGGE_MIGRATION_DATABASE_URL": local_database_url("wangge", DB),
        "WANGGE_DB_STATEMENT_TIMEOUT_MS": "0",  # the naive export's one SELECT is long
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        str(ROOT / ".venv/bin/python"),
        "-m",
        "service.http_server",  # uvicorn with the production HTTP limits
        "--app=bench.naive_export_app:create_bench_app",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("app did not start")


def token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = "username=planner&password=demo"
    conn.request(
        "POST", "/api/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    import json

    return str(json.loads(conn.getresponse().read())["access_token"])


def http_run(name: str, port: int, path: str, auth: str, pid: int, features: int) -> Result:
    sampler = RssSampler(pid)
    base = sampler.now_kb() / 1024
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    began = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {auth}"})
    resp = conn.getresponse()
    first = resp.read1(CHUNK) if hasattr(resp, "read1") else resp.read(1)
    first_ms = (time.perf_counter() - began) * 1000
    total = len(first)
    while chunk := resp.read1(CHUNK):
        total += len(chunk)
    seconds = time.perf_counter() - began
    assert resp.status == 200, resp.status
    return Result(name, features, seconds, first_ms, total, sampler.stop(), base)


def ogr2ogr_run(features: int) -> Result:
    pg = f"PG:dbname={DB} host={LOCAL_SOCKET_DIR} user=wangge"
    cmd = ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", pg, "report", "-lco", "RFC7946=YES"]
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    sampler = RssSampler(proc.pid)
    sampler.start()
    assert proc.stdout is not None
    first = proc.stdout.read1(CHUNK)
    first_ms = (time.perf_counter() - began) * 1000
    total = len(first)
    while chunk := proc.stdout.read1(CHUNK):
        total += len(chunk)
    proc.wait()
    seconds = time.perf_counter() - began
    return Result(
        "ogr2ogr (gdal-bin) → GeoJSON", features, seconds, first_ms, total, sampler.stop(), None
    )


def count_reports() -> tuple[int, int]:
    with psycopg.connect(_libpq(local_database_url("wangge", DB))) as conn:
        (total,) = conn.execute("SELECT count(*) FROM report").fetchone()  # type: ignore[misc]
        (small,) = conn.execute(  # type: ignore[misc]
            "SELECT count(*) FROM report r JOIN community c ON c.id = r.community_id"
            " WHERE c.code = (SELECT min(code) FROM community)"
        ).fetchone()
        (code,) = conn.execute("SELECT min(code) FROM community").fetchone()  # type: ignore[misc]
    return int(total), int(small), code  # type: ignore[return-value]


def main() -> None:
    global DB
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 reports instead of 1,000,000")
    ap.add_argument("--reuse", action="store_true", help="reuse the loaded scratch database")
    ap.add_argument(
        "--bulk-sql",
        action="store_true",
        help="demo city + reports cloned with generate_series (fast) instead of the loader",
    )
    ap.add_argument("--db", default=DB, help="scratch database name")
    ap.add_argument(
        "--naive-limit",
        type=int,
        default=250_000,
        help="reports the naive export builds in memory (0 = all; ~6.5 GB RSS at 1,000,000)",
    )
    args = ap.parse_args()
    reports = 100_000 if args.quick else 1_000_000
    DB = args.db
    if args.bulk_sql and not args.reuse:
        prepare_bulk_sql(reports)
    else:
        prepare_database(reports, args.reuse)
    total, small, community = count_reports()
    port = _free_port()
    app = start_app(port)
    try:
        auth = token(port)
        results = [
            http_run(
                f"wangge streaming, 1 community ({community})",
                port,
                f"/api/exports/reports.geojson?area={community}",
                auth,
                app.pid,
                small,
            ),
            http_run(
                "wangge streaming",
                port,
                "/api/exports/reports.geojson",
                auth,
                app.pid,
                total,
            ),
            ogr2ogr_run(total),
        ]
        n = min(args.naive_limit or total, total)
        results.append(
            http_run(
                f"naive in-memory export (same app), first {n:,}",
                port,
                f"/bench/naive/reports.geojson?limit={n}",
                auth,
                app.pid,
                n,
            )
        )
    finally:
        app.terminate()
        app.wait(timeout=30)
    print()
    print(
        "| export | features | seconds | features/s | first byte ms | MB out |"
        " RSS before MB | peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    ours, ogr = results[1], results[2]
    ratio = (ours.features / ours.seconds) / (ogr.features / ogr.seconds)
    print(f"\nstreaming / ogr2ogr throughput: {ratio:.2f}×")


if __name__ == "__main__":
    main()
