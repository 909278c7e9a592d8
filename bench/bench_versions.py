"""The engine's HTTP figures of this checkout beside an earlier commit's, in one run.

Run after bench_tiles.py (and bench_exports.py) have loaded their scratch databases. It checks
the base commit out into var/bench-base-<commit> (a git worktree, made once), starts both
versions' apps with the same interpreter against the same database (the base code on this
checkout's schema), and alternates rounds between them:

  * tiles: six 小区/grid-cell tiles at zooms 13, 15 and 16 (tile cache off, so every request
    renders), wrk with 4 connections, 3 s per tile;
  * filing: `POST /api/reports` by wrk with bench/wrk_filing.lua, 4 connections, 8 s;
  * the GeoJSON export of all 1,000,000 reports of wangge_bench_exports, one per round.

App CPU per request comes from /proc. With `--httptools` a third server runs this checkout
under uvicorn's httptools parser instead of the guarded h11 protocol (service/http_server.py),
to show what the bounded request head costs.

    .venv/bin/python bench/bench_versions.py [--base 4a91b90] [--rounds 3] [--httptools]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_exports, bench_reports, bench_tiles  # noqa: E402
from service.settings import local_database_url  # noqa: E402

PY = str(ROOT / ".venv/bin/python")
WRK_SCRIPT = str(ROOT / "bench/wrk_filing.lua")


def base_checkout(commit: str) -> Path:
    path = ROOT / "var" / f"bench-base-{commit}"
    if not path.exists():
        subprocess.run(  # noqa: S603
            ["git", "worktree", "add", "--detach", str(path), commit],  # noqa: S607
            cwd=ROOT,
            check=True,
        )
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(code: Path, db: str, port: int, httptools: bool = False) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": local_database_url("wangge_app", db),
        "WANGGE_MIGRATION_DATABASE_URL": local_database_url("wangge", db),
        "WANGGE_ESCALATION_INTERVAL_S": "0",
        "WANGGE_TILE_CACHE_BYTES": "0",
        "WANGGE_DB_STATEMENT_TIMEOUT_MS": "0",  # the export's COPY runs for seconds
        "PYTHONPATH": str(code),
    }
    if httptools:
        cmd = [str(ROOT / ".venv/bin/uvicorn"), "--factory", "service.main:create_app"]
        cmd += ["--http", "httptools", "--port", str(port), "--log-level", "warning"]
        cmd += ["--no-access-log"]
    else:
        cmd = [PY, "-m", "service.http_server", "--port", str(port), "--log-level", "warning"]
        cmd += ["--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, cwd=code)  # noqa: S603
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"app did not start from {code}")


def wrk(url: str, token: str, seconds: int, points: Path | None = None) -> tuple[int, int]:
    """Requests answered and requests failed (non-2xx or socket errors)."""
    cmd = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--timeout", "10s"]
    if points is not None:
        cmd += ["-s", WRK_SCRIPT, url, "--", str(points), f"Bearer {token}"]
    else:
        cmd += ["-H", f"Authorization: Bearer {token}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if points is not None:
        line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
        data = json.loads(line[len("WRKJSON ") :])
        return data["requests"], data["non_2xx"] + data["socket_errors"]
    done = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    failed += sum(int(g) for g in errors.groups()) if errors else 0
    return int(done.group(1)) if done else 0, failed


def export_seconds(port: int, token: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    began = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"}
    conn.request("GET", "/api/exports/reports.geojson", headers=headers)
    response = conn.getresponse()
    while response.read(1 << 20):
        pass
    return response.status, time.perf_counter() - began


def sample_tiles() -> list[str]:
    owner = bench_reports.libpq(local_database_url("wangge", bench_tiles.DB))
    with psycopg.connect(owner) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p"
            " FROM residential_area ORDER BY code LIMIT 1 OFFSET 500) s"
        ).fetchone()  # type: ignore[misc]
    paths = []
    for z in (13, 15, 16):
        x, y = bench_tiles.tile_of(lon, lat, z)
        paths += [f"/tiles/residential_area/{z}/{x}/{y}.pbf", f"/tiles/grid_cell/{z}/{x}/{y}.pbf"]
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="4a91b90", help="the earlier commit to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--httptools", action="store_true", help="also this code under httptools")
    args = ap.parse_args()
    base = base_checkout(args.base)
    versions = {f"base {args.base}": (base, False), "this checkout": (ROOT, False)}
    if args.httptools:
        versions["this checkout, httptools"] = (ROOT, True)
    ports = {name: 18700 + i for i, name in enumerate(versions)}
    load_start = os.getloadavg()

    owner = local_database_url("wangge", bench_tiles.DB)
    tiles = sample_tiles()
    points = ROOT / "var" / "bench-versions-points.txt"
    bench_reports.make_points(owner, 2000, points)
    district, worker = bench_tiles.bearer_token("district"), bench_reports.issue_token(owner)
    tile_rows: dict[str, list[tuple[float, float]]] = {n: [] for n in versions}
    filing_rows: dict[str, list[tuple[float, float]]] = {n: [] for n in versions}
    failed = dict.fromkeys(versions, 0)
    procs = {n: start(code, bench_tiles.DB, ports[n], ht) for n, (code, ht) in versions.items()}
    try:
        for rnd in range(args.rounds):
            for name, proc in procs.items():
                base_url = f"http://127.0.0.1:{ports[name]}"
                if rnd == 0:  # warm-up: connections, prepared statements
                    for path in tiles:
                        wrk(base_url + path, district, 1)
                    wrk(base_url + "/api/reports", worker, 2, points)
                before, began, done = cpu_seconds(proc.pid), time.perf_counter(), 0
                for path in tiles:
                    ok, bad = wrk(base_url + path, district, 3)
                    done, failed[name] = done + ok, failed[name] + bad
                took = time.perf_counter() - began
                tile_rows[name].append((done / took, (cpu_seconds(proc.pid) - before) * 1e3 / done))
                before, began = cpu_seconds(proc.pid), time.perf_counter()
                ok, bad = wrk(base_url + "/api/reports", worker, 8, points)
                took, failed[name] = time.perf_counter() - began, failed[name] + bad
                filing_rows[name].append((ok / took, (cpu_seconds(proc.pid) - before) * 1e3 / ok))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)

    exports: dict[str, list[float]] = {n: [] for n in versions}
    db = bench_exports.DB
    procs = {n: start(code, db, ports[n], ht) for n, (code, ht) in versions.items()}
    try:
        token = bench_exports.token(ports["this checkout"])
        for _ in range(2):
            for name in procs:
                status, seconds = export_seconds(ports[name], token)
                failed[name] += status != 200
                exports[name].append(seconds)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)

    def fmt(values: list[float], digits: int) -> str:
        return ", ".join(f"{v:.{digits}f}" for v in values)

    print(f"\nload average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print("| code | tiles/s | app ms/tile | filings/s | app ms/filing | 1M export s | failed |")
    print("|---|---|---|---|---|---|---:|")
    for name in versions:
        t, f = tile_rows[name], filing_rows[name]
        print(
            f"| {name} | {fmt([a for a, _ in t], 0)} | {fmt([b for _, b in t], 2)} "
            f"| {fmt([a for a, _ in f], 0)} | {fmt([b for _, b in f], 2)} "
            f"| {fmt(exports[name], 1)} | {failed[name]} |"
        )


if __name__ == "__main__":
    main()
