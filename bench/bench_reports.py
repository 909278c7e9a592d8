"""Filing a report over HTTP (lookup + insert + history) against (a) the same statement run
directly by pgbench (the ceiling) and (b) a naive filing with four separate lookup queries.

    .venv/bin/python bench/bench_reports.py            # benchmark size (1,000,000 reports)
    .venv/bin/python bench/bench_reports.py --quick    # small city, short runs

Closed loops (4 and 32 connections) are driven by wrk (Debian's package, a C load generator,
so the client takes little of the two cores); the fixed 200 requests/s run by the asyncio
open-loop client in bench/http_load.py, whose latency counts from each request's due time.
The CPU every party spends per filing (app, PostgreSQL, load generator) is read from /proc.
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
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu import CpuMeter  # noqa: E402
from bench.http_load import fixed_rate  # noqa: E402
from bench.reports_setup import (  # noqa: E402
    BENCH_DB,
    bench_urls,
    database_ready,
    libpq,
    prepare_database,
)
from service.db.repositories.filing import FILE_REPORT_SQL, FilingCall  # noqa: E402
from service.domain.policy import POLICY  # noqa: E402
from service.settings import LOCAL_SOCKET_DIR, Settings  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
WRK_SCRIPT = ROOT / "bench" / "wrk_filing.lua"
CONCURRENCY = (4, 32)
WORKER = "worker1"
PATHS = {
    "wangge (one statement)": "/api/reports",
    "naive (four lookups)": "/bench/naive-reports",
    "naive, lean path (four lookups)": "/bench/naive-lean-reports",
}
CEILING = "pgbench (same statement, no HTTP)"


@dataclass
class Run:
    """One measured run: successful filings per second, latency and CPU per filing."""

    ok: int
    seconds: float
    p50_ms: float
    p95_ms: float
    failed: int = 0
    cpu_ms: dict[str, float] | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def make_points(owner_url: str, n: int, path: Path) -> int:
    """Random points inside active grid cells: table bench_point (for pgbench) and a file."""
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
        conn.execute("GRANT SELECT ON bench_point TO wangge_app")
        rows = conn.execute("SELECT lon, lat FROM bench_point ORDER BY id").fetchall()
    path.write_text("".join(f"{x!r} {y!r}\n" for x, y in rows))
    return len(rows)


def issue_token(owner_url: str) -> str:
    """A bearer token for the benchmark's grid worker (issued directly, not timed)."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from service.db.models import AppUser
    from service.db.repositories.users import issue_token as issue

    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == WORKER)).one()
        token, _ = issue(session, user, kind="bearer", ttl_minutes=240)
    engine.dispose()
    return token


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
    proc = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "service.http_server",  # uvicorn with the production HTTP limits
            "--app",
            "bench.naive_filing:create_bench_app",
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


def wrk(port: int, path: str, token: str, points: Path, clients: int, seconds: float) -> Run:
    """A closed loop: `clients` keep-alive connections, each sending as soon as answered."""
    cmd = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}{path}",
        "--",
        str(points),
        f"Bearer {token}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)  # noqa: S603
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKJSON "))
    out = json.loads(line[len("WRKJSON ") :])
    failed = out["non_2xx"] + out["socket_errors"]
    return Run(
        ok=out["requests"] - failed,
        seconds=out["duration_us"] / 1e6,
        p50_ms=out["p50_us"] / 1000,
        p95_ms=out["p95_us"] / 1000,
        failed=failed,
    )


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


def at_fixed_rate(port: int, path: str, token: str, points, rate: float, seconds: float) -> Run:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    res = asyncio.run(
        fixed_rate("127.0.0.1", port, headers, path, body_maker(points), rate, seconds)
    )
    return Run(
        ok=res.ok,
        seconds=res.elapsed_s,
        p50_ms=res.percentile(0.5),
        p95_ms=res.percentile(0.95),
        failed=len(res.latencies_ms) - res.ok,
    )


def http_runs(app_pid: int, port: int, token: str, points_file: Path, seconds: float, rate: float):  # type: ignore[no-untyped-def]
    points = [tuple(map(float, line.split())) for line in points_file.read_text().splitlines()]
    out: dict[str, dict[str, Run]] = {}
    for name, path in PATHS.items():
        wrk(port, path, token, points_file, 4, 3.0)  # warm-up: connections, prepared statements
        row: dict[str, Run] = {}
        for c in CONCURRENCY:
            meter = CpuMeter(app_pid=app_pid)
            run = wrk(port, path, token, points_file, c, seconds)
            run.cpu_ms = meter.per_item(run.ok)
            row[f"c{c}"] = run
        row["rate"] = at_fixed_rate(port, path, token, points, rate, seconds)
        out[name] = row
        for key, res in row.items():
            if res.failed:
                print(f"  warning: {name} {key}: {res.failed} failed requests", flush=True)
    return out


def pgbench_script(token: str, npoints: int) -> str:
    """The app's filing statement, word for word, with pgbench variables for the values."""
    from service.db.repositories.users import token_digest

    roles = "{" + ",".join(sorted(POLICY["report:create"])) + "}"
    literals = {
        "digest": f"'{token_digest(token)}'",
        "csrf": "NULL",
        "roles": f"'{roles}'",
        "action": ":action",  # pgbench -D: a ':' inside a literal would be read as a variable
        "path": "'/api/reports'",
        "client_addr": "'127.0.0.1'",
        "id": "gen_random_uuid()",
        "lon": "(SELECT lon FROM bench_point WHERE id = CAST(:k AS bigint))",
        "lat": "(SELECT lat FROM bench_point WHERE id = CAST(:k AS bigint))",
        "crs": "'wgs84'",
        "accuracy_m": "6.0",
        "placed_by_hand": "false",
        "category": "'improper_waste'",
        "description": "'bench'",
        "patrol_id": "NULL",
        "content_hash": "md5(random()::text)",
    }
    values = iter(literals[name] for name in FilingCall._fields)
    sql = re.sub(r"%s", lambda _: next(values), FILE_REPORT_SQL)
    return f"\\set k random(1, {npoints})\n{' '.join(sql.split())};\n"


def pgbench(script: str, args: list[str], logdir: str | None = None) -> tuple[float, list[float]]:
    """tps and, with a log directory, every transaction's latency in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    cmd = [PGBENCH, "-n", "-M", "prepared", "-f", fh.name, "-h", str(LOCAL_SOCKET_DIR)]
    cmd += ["-p", "5432", "-U", "wangge_app", "-D", "action=report:create", *args]
    if logdir:
        cmd += ["-l", "--log-prefix", f"{logdir}/pgb"]
    cmd.append(BENCH_DB)
    # the app's durability: its commits wait for the WAL (settings.database.synchronous_commit)
    env = {
        **os.environ,
        "PGOPTIONS": f"-c synchronous_commit={Settings().database.synchronous_commit}",
    }
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)  # noqa: S603
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    lat: list[float] = []
    if logdir:
        for f in Path(logdir).glob("pgb*"):
            lat += [int(line.split()[2]) / 1000 for line in f.read_text().splitlines()]
    return tps, lat


def pgbench_runs(token: str, npoints: int, seconds: float, rate: float) -> dict[str, Run]:
    script = pgbench_script(token, npoints)
    out: dict[str, Run] = {}
    for c in CONCURRENCY:
        meter = CpuMeter(app_pid=None)
        tps, _ = pgbench(script, ["-c", str(c), "-j", "1", "-T", str(int(seconds))])
        ok = int(tps * seconds)
        out[f"c{c}"] = Run(ok=ok, seconds=seconds, p50_ms=0, p95_ms=0, cpu_ms=meter.per_item(ok))
    with tempfile.TemporaryDirectory() as logdir:
        _, lat = pgbench(
            script, ["-c", "8", "-j", "1", "-R", str(rate), "-T", str(int(seconds))], logdir
        )
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    out["rate"] = Run(ok=len(lat), seconds=seconds, p50_ms=pick(0.5), p95_ms=pick(0.95))
    return out


def table(rows: dict[str, dict[str, Run]], rate: float) -> str:
    ours = rows[next(iter(PATHS))]
    lines = [
        "| filing path | reports/s, 4 clients | reports/s, 32 clients "
        f"| p50 / p95 ms at {rate:.0f}/s |",
        "|---|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['c4'].rate:,.0f} | {r['c32'].rate:,.0f} | "
            f"{r['rate'].p50_ms:.1f} / {r['rate'].p95_ms:.1f} |"
        )
    for other in (CEILING, "naive (four lookups)", "naive, lean path (four lookups)"):
        ratios = [ours[f"c{c}"].rate / rows[other][f"c{c}"].rate for c in CONCURRENCY]
        label = other.split(" (")[0]
        lines.append(f"| wangge ÷ {label} | {ratios[0]:.2f}× | {ratios[1]:.2f}× | |")
    return "\n".join(lines)


def cpu_table(rows: dict[str, dict[str, Run]]) -> str:
    lines = [
        "| filing path | clients | app ms | PostgreSQL ms | load generator ms | total ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        for c in CONCURRENCY:
            cpu = r[f"c{c}"].cpu_ms or {}
            app = f"{cpu['app']:.2f}" if "app" in cpu else "—"
            lines.append(
                f"| {name} | {c} | {app} | {cpu.get('postgres', 0):.2f} |"
                f" {cpu.get('client', 0):.2f} | {sum(cpu.values()):.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small city (20,000 reports), 5 s runs")
    ap.add_argument("--reload", action="store_true", help="recreate the scratch database")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
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
    points_file = ROOT / "var" / "bench-points.txt"
    points_file.parent.mkdir(exist_ok=True)
    npoints = make_points(owner, 20_000, points_file)
    token = issue_token(owner)
    proc, port = start_server(args.workers)
    try:
        rows = http_runs(proc.pid, port, token, points_file, seconds, args.rate)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rows[CEILING] = pgbench_runs(token, npoints, seconds, args.rate)
    print()
    print(f"{args.workers} uvicorn workers, {seconds:.0f} s per run, {os.cpu_count()} CPU cores")
    print(table(rows, args.rate))
    print()
    print("CPU per filing (ms; /proc counters over each closed-loop run)")
    print(cpu_table(rows))


if __name__ == "__main__":
    main()
