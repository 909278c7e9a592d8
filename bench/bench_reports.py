"""Filing a report over HTTP (lookup + insert + history) against (a) the same statement run
directly by pgbench (the ceiling) and (b) a naive filing with four separate lookup queries.

    .venv/bin/python bench/bench_reports.py            # benchmark size (1,000,000 reports)
    .venv/bin/python bench/bench_reports.py --quick    # small city, short runs

The scratch database `wangge_bench` is created and loaded once (`--reload` to redo it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_load import Result, closed_loop, fixed_rate  # noqa: E402
from bench.reports_setup import (  # noqa: E402
    BENCH_DB,
    bench_urls,
    database_ready,
    libpq,
    prepare_database,
)
from service.db.repositories.reports import FILE_REPORT_SQL  # noqa: E402
from service.settings import LOCAL_SOCKET_DIR, Settings  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
CONCURRENCY = (4, 32)
WORKER = "worker1"


def make_points(owner_url: str, n: int) -> list[tuple[float, float]]:
    """Random points inside active grid cells, also stored in bench_point for pgbench."""
    with psycopg.connect(libpq(owner_url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_point")
        conn.execute(
            "CREATE TABLE bench_point AS SELECT row_number() OVER () AS id,"
            " ST_X(p) AS lon, ST_Y(p) AS lat FROM ("
            "  SELECT ST_GeometryN(ST_GeneratePoints(geom, 1, 7), 1) AS p FROM grid_cell"
            "  WHERE is_active ORDER BY md5(code) LIMIT %s) s",
            (n,),
        )
        conn.execute("ALTER TABLE bench_point ADD PRIMARY KEY (id)")
        return [(x, y) for x, y in conn.execute("SELECT lon, lat FROM bench_point ORDER BY id")]


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    owner, app = bench_urls()
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": app,
        "WANGGE_MIGRATION_DATABASE_URL": owner,
        "WANGGE_ESCALATION_INTERVAL_S": "0",
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "bench.naive_filing:create_bench_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("uvicorn did not start")


def body_maker(points: list[tuple[float, float]]):  # type: ignore[no-untyped-def]
    categories = ["improper_waste", "fire_lane_blocked", "illegal_construction", "cooking_fumes"]

    def make() -> bytes:
        lon, lat = random.choice(points)
        return json.dumps(
            {
                "id": str(uuid.uuid4()),
                "category": random.choice(categories),
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "crs": "wgs84",
                "accuracy_m": 6.0,
                "placed_by_hand": False,
                "description": "bench",
            }
        ).encode()

    return make


def http_runs(port: int, token: str, points, seconds: float, rate: float) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    make = body_maker(points)
    out: dict[str, dict] = {}
    for name, path in (
        ("wangge (one statement)", "/api/reports"),
        ("naive (four lookups)", "/bench/naive-reports"),
    ):
        asyncio.run(closed_loop("127.0.0.1", port, headers, path, make, 4, 2.0))  # warm-up
        row: dict[str, Result] = {}
        for c in CONCURRENCY:
            row[f"c{c}"] = asyncio.run(
                closed_loop("127.0.0.1", port, headers, path, make, c, seconds)
            )
        row["rate"] = asyncio.run(fixed_rate("127.0.0.1", port, headers, path, make, rate, seconds))
        out[name] = row
        for key, res in row.items():
            bad = {s: n for s, n in res.statuses.items() if not 200 <= s < 300}
            if bad:
                print(f"  warning: {name} {key}: non-2xx answers {bad}", flush=True)
    return out


def pgbench_script(owner_url: str, npoints: int) -> str:
    with psycopg.connect(libpq(owner_url)) as conn:
        actor, district = conn.execute(
            "SELECT id, district_id FROM app_user WHERE username = %s", (WORKER,)
        ).fetchone()  # type: ignore[misc]
    literals = {
        "category": "'improper_waste'",
        "district_id": str(district),
        "patrol_id": "NULL",
        "actor": str(actor),
        "accuracy": "6.0",
        "crs": "'wgs84'",
        "by_hand": "false",
        "description": "'bench'",
        "hash": "md5(random()::text)",
        "id": "gen_random_uuid()",
    }
    sql = FILE_REPORT_SQL.text.replace(
        "SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g",
        "SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g FROM bench_point WHERE id = :k",
    )
    # The same lookups, INSERT, stored report and history row; as the owner (no row-level
    # security) the history row can ride in the same statement, so this ceiling saves the app's
    # second round trip.
    sql = sql.replace(
        "RETURNING *)",
        "RETURNING *), ev AS (INSERT INTO report_event (report_id, from_status, to_status,"
        " actor_id, note, street_id, district_id)"
        " SELECT id, NULL, 'reported', :actor, '', street_id, district_id FROM ins)",
    )
    sql = re.sub(r"(?<!:):(\w+)", lambda m: literals.get(m.group(1), m.group(0)), sql)
    sql = " ".join(re.sub(r"--[^\n]*", "", sql).split())
    return f"\\set k random(1, {npoints})\n\\set actor {actor}\n{sql};\n"


def pgbench(script: str, args: list[str], logdir: str | None = None) -> tuple[float, list[float]]:
    """tps and, with a log directory, every transaction's latency in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    cmd = [
        PGBENCH,
        "-n",
        "-M",
        "prepared",
        "-f",
        fh.name,
        "-h",
        str(LOCAL_SOCKET_DIR),
        "-p",
        "5432",
        "-U",
        "wangge",
        *args,
    ]
    if logdir:
        cmd += ["-l", "--log-prefix", f"{logdir}/pgb"]
    cmd.append(BENCH_DB)
    # the app's durability: its commits wait for the WAL (settings.db_synchronous_commit)
    env = {**os.environ, "PGOPTIONS": f"-c synchronous_commit={Settings().db_synchronous_commit}"}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    lat: list[float] = []
    if logdir:
        for f in Path(logdir).glob("pgb*"):
            lat += [int(line.split()[2]) / 1000 for line in f.read_text().splitlines()]
    return tps, lat


def pgbench_runs(owner_url: str, npoints: int, seconds: float, rate: float) -> dict[str, Result]:
    script = pgbench_script(owner_url, npoints)
    out: dict[str, Result] = {}
    for c in CONCURRENCY:
        tps, _ = pgbench(script, ["-c", str(c), "-j", "2", "-T", str(int(seconds))])
        out[f"c{c}"] = Result(elapsed_s=1.0, statuses={200: int(tps)})
    with tempfile.TemporaryDirectory() as logdir:
        _, lat = pgbench(
            script, ["-c", "8", "-j", "2", "-R", str(rate), "-T", str(int(seconds))], logdir
        )
    out["rate"] = Result(latencies_ms=lat, elapsed_s=seconds, statuses={200: len(lat)})
    return out


def table(rows: dict[str, dict[str, Result]], rate: float) -> str:
    ours = rows["wangge (one statement)"]
    head = (
        "| filing path | reports/s, 4 clients | reports/s, 32 clients "
        f"| p50 / p95 ms at {rate:.0f}/s |"
    )
    lines = [head, "|---|---:|---:|---:|"]
    for name, r in rows.items():
        c4, c32 = (r[f"c{c}"].ok / r[f"c{c}"].elapsed_s for c in CONCURRENCY)
        lines.append(
            f"| {name} | {c4:,.0f} | {c32:,.0f} | "
            f"{r['rate'].percentile(0.5):.1f} / {r['rate'].percentile(0.95):.1f} |"
        )
    for other in ("pgbench (same SQL, no HTTP)", "naive (four lookups)"):
        r = rows[other]
        ratios = [
            (ours[f"c{c}"].ok / ours[f"c{c}"].elapsed_s) / (r[f"c{c}"].ok / r[f"c{c}"].elapsed_s)
            for c in CONCURRENCY
        ]
        lines.append(f"| wangge ÷ {other.split(' ')[0]} | {ratios[0]:.2f}× | {ratios[1]:.2f}× | |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small city (20,000 reports), 5 s runs")
    ap.add_argument("--reload", action="store_true", help="recreate the scratch database")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--workers", type=int, default=4, help="uvicorn worker processes")
    args = ap.parse_args()
    seconds = 5.0 if args.quick else args.seconds
    owner, _ = bench_urls()
    if args.reload or not database_ready(owner):
        took = prepare_database(20_000 if args.quick else None, 2_000 if args.quick else None)
        print(f"scratch database loaded in {took:.0f} s", flush=True)
    with psycopg.connect(libpq(owner)) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM report), (SELECT count(*) FROM grid_cell),"
            " (SELECT count(*) FROM residential_area)"
        ).fetchone()
    print(f"city: {counts[0]:,} reports, {counts[1]:,} grid cells, {counts[2]:,} 小区", flush=True)  # type: ignore[index]
    points = make_points(owner, 20_000)
    proc, port = start_server(args.workers)
    try:
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/token", data={"username": WORKER, "password": "demo"}
        ).json()["access_token"]
        rows = http_runs(port, token, points, seconds, args.rate)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rows = {
        **rows,
        "pgbench (same SQL, no HTTP)": pgbench_runs(owner, len(points), seconds, args.rate),
    }
    print()
    print(
        f"{args.workers} uvicorn workers, {seconds:.0f} s per run,"
        f" {os.cpu_count()} CPU cores (shared)"
    )
    print(table(rows, args.rate))


if __name__ == "__main__":
    main()
