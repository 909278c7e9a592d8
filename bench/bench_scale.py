"""Growth: filing throughput, tile and case-queue latency at 1,000,000 and at
10,000,000 reports on the monthly-partitioned schema (migration 027), one table with the %
difference. Goal: the 10M figures within 15 % of the 1M ones.

    .venv/bin/python bench/bench_scale.py                      # 1M, then 10M
    .venv/bin/python bench/bench_scale.py --reuse              # continue: keep rows and results
    .venv/bin/python bench/bench_scale.py --levels 50000,200000 --seconds 5   # a quick look

The scratch database `wangge_bench_scale` gets the demo city, 20,000 open reports in street1's
street (the case queues: the same at every level, as an office's open work does not grow with
the archive), then closed reports copied from the demo's, spread over the last 24 months, added
in chunks of 500,000 (each committed: an interrupted run resumes with --reuse). At each level:
VACUUM ANALYZE, then uvicorn (one worker) and, over HTTP, filing (a fixed number of concurrent
clients for --seconds), a grid-cell vector tile and the open-report map points, and the case
queue counts and first pages (bench_cases.py's reads). Results per level are kept in
var/bench_scale.json so a level measured once is not measured again with --reuse.
"""

# ruff: noqa: S608  (SQL here is built from constants and integers of this file)
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WANGGE_BENCH_CASES_DB", "wangge_bench_scale")

from bench import bench_cases  # noqa: E402
from bench.bench_reports import body_maker, make_points  # noqa: E402
from bench.bench_tiles import tile_of  # noqa: E402
from bench.reports_setup import libpq  # noqa: E402
from service.settings import local_database_url  # noqa: E402

DB = bench_cases.DB
OWNER = bench_cases.OWNER
RESULTS = ROOT / "var" / "bench_scale.json"
CHUNK = 500_000
OPEN_IN_QUEUE = 20_000

GROW = """
WITH tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, r.* FROM report r
             WHERE r.description NOT LIKE '批量%%' AND r.description NOT LIKE '规模%%'),
n AS (SELECT count(*) AS c FROM tpl)
INSERT INTO report (id, geom, accuracy_m, category_code, description, status, reporter_id,
  grid_cell_id, residential_area_id, community_id, street_id, district_id, department_id,
  deadline_at, created_at, updated_at, closed_at)
SELECT gen_random_uuid(), t.geom, t.accuracy_m, t.category_code, '规模 ' || g, 'closed',
  t.reporter_id, t.grid_cell_id, t.residential_area_id, t.community_id, t.street_id,
  t.district_id, t.department_id, at + interval '3 days', at, at + interval '2 days',
  at + interval '2 days'
FROM generate_series(%(first)s, %(last)s) g CROSS JOIN n JOIN tpl t ON t.k = g %% n.c
CROSS JOIN LATERAL (SELECT date_trunc('month', now()) - interval '23 months'
  + ((g::bigint * 7919) %% 729) * interval '1 day' + (g %% 86400) * interval '1 second' AS at) a
"""


def psql(sql: str) -> None:
    with psycopg.connect(libpq(OWNER), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def count_reports() -> int:
    with psycopg.connect(libpq(OWNER)) as conn:
        return int(conn.execute("SELECT count(*) FROM report").fetchone()[0])  # type: ignore[index]


# the past months the generated reports fall in (the migration makes only this month and the
# ones ahead: without these every generated row would land in DEFAULT)
PAST_MONTHS = """
DO $$ BEGIN
  FOR i IN 1..24 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.report'
                   ' FOR VALUES FROM (%L) TO (%L)',
                   'report_y' || to_char(date_trunc('month', now()) - make_interval(months => i),
                                         'YYYY"m"MM'),
                   date_trunc('month', now()) - make_interval(months => i),
                   date_trunc('month', now()) - make_interval(months => i - 1));
  END LOOP;
END $$
"""


def base(reuse: bool) -> None:
    """The demo city and the open queue, once (bench_cases.prepare's steps, with the past 24
    months' partitions made right after the migration, before any row is loaded)."""
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    if reuse:
        try:
            count_reports()
            print(f"reusing {DB}", flush=True)
            return
        except psycopg.Error:
            pass
    began = time.perf_counter()
    with psycopg.connect(libpq(local_database_url("wangge", "postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{DB}" OWNER wangge TEMPLATE wangge_template')
    command.upgrade(alembic_config(OWNER), "heads")
    psql(PAST_MONTHS)
    load_demo(OWNER, scale=DemoScale.demo())
    with psycopg.connect(libpq(OWNER), autocommit=True) as conn:
        conn.execute(bench_cases.GENERATE.replace("%(open)s", str(OPEN_IN_QUEUE)))  # type: ignore[arg-type]
        conn.execute(bench_cases.EVENTS.replace("%%", "%"))  # type: ignore[arg-type]
    print(f"base city + {OPEN_IN_QUEUE} open reports in {time.perf_counter() - began:.0f} s")


def grow(target: int) -> None:
    have = count_reports()
    while have < target:
        step = min(CHUNK, target - have)
        began = time.perf_counter()
        psql(GROW % {"first": have + 1, "last": have + step})
        have += step
        took = time.perf_counter() - began
        print(f"  {have:,} reports (+{step:,} in {took:.0f} s, {step / took:,.0f}/s)", flush=True)
    psql("VACUUM ANALYZE")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1)))]


def filing(base_url: str, token: str, seconds: float, clients: int) -> float:
    """Acknowledged filings per second over `seconds` from `clients` threads."""
    points_file = ROOT / "var" / "bench_scale_points.txt"
    if not points_file.exists():
        make_points(OWNER, 2000, points_file)
    pts = [tuple(map(float, line.split())) for line in points_file.read_text().splitlines()]
    make = body_maker(pts)
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            while time.perf_counter() < stop:
                r = c.post("/api/reports", content=make(), headers=headers)
                if r.status_code != 201:
                    raise RuntimeError(f"filing: {r.status_code} {r.text[:200]}")
                done[i] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - began)


def maps(base_url: str, token: str, repeats: int) -> dict[str, tuple[float, float]]:
    with psycopg.connect(libpq(OWNER)) as conn:
        w, s, e, n = conn.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM district"
            " WHERE id = (SELECT district_id FROM app_user WHERE username = 'district')"
        ).fetchone()  # type: ignore[misc]
        centres = conn.execute(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM residential_area"
            " ORDER BY md5(code) LIMIT 200"
        ).fetchall()
    out: dict[str, tuple[float, float]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as c:

        def timed(path: str) -> float:
            t0 = time.perf_counter()
            r = c.get(path)
            if r.status_code not in (200, 204):
                raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
            return (time.perf_counter() - t0) * 1000

        rng = random.Random(17)
        tiles = [(15, *tile_of(x, y, 15)) for x, y in centres]
        rng.shuffle(tiles)
        times = [timed(f"/tiles/grid_cell/{z}/{x}/{y}.pbf") for z, x, y in tiles[:repeats]]
        out["vector tile grid_cell z15 (cold)"] = (pct(times, 0.5), pct(times, 0.95))
        cx, cy = (w + e) / 2, (s + n) / 2
        for zoom, box in {
            12: (w, s, e, n),
            16: (cx - 0.005, cy - 0.003, cx + 0.005, cy + 0.003),
        }.items():
            bbox = ",".join(f"{v:.6f}" for v in box)
            times = [timed(f"/api/map/reports?zoom={zoom}&bbox={bbox}") for _ in range(repeats)]
            out[f"open-report map z{zoom}"] = (pct(times, 0.5), pct(times, 0.95))
    return out


def measure(level: int, seconds: float, clients: int, repeats: int) -> dict[str, float]:
    proc, base_url = bench_cases.start_app()
    try:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            r = c.post("/api/auth/token", data={"username": "worker1", "password": "demo"})
            worker = r.json()["access_token"]
            r = c.post("/api/auth/token", data={"username": "district", "password": "demo"})
            district = r.json()["access_token"]
        row: dict[str, float] = {"reports": float(count_reports())}
        for name, (p50, p95) in maps(base_url, district, repeats).items():
            row[f"{name} p50 ms"], row[f"{name} p95 ms"] = p50, p95
        for name, (p50, p95) in bench_cases.http_cases(base_url, "street1", repeats).items():
            row[f"queue {name} p50 ms"], row[f"queue {name} p95 ms"] = p50, p95
        row["filing /s"] = filing(base_url, worker, seconds, clients)
        row["load average (1 min)"] = os.getloadavg()[0]
        row["measured at"] = time.time()
        return row
    finally:
        proc.terminate()
        proc.wait(30)


def table(results: dict[str, dict[str, float]], levels: list[int]) -> str:
    got = [results[str(lv)] for lv in levels if str(lv) in results]
    if not got:
        return "(no level measured yet)"
    keys = [k for k in got[0] if k.endswith(("ms", "/s"))]
    head = "| figure | " + " | ".join(f"{int(r['reports']):,} reports" for r in got)
    span = f"{int(got[-1]['reports']):,} vs {int(got[0]['reports']):,}"
    lines = [head + (f" | {span} |" if len(got) > 1 else " |")]
    lines.append("|---" * (len(got) + 1 + (len(got) > 1)) + "|")
    for k in keys:
        vals = [r.get(k, float("nan")) for r in got]
        line = f"| {k} | " + " | ".join(f"{v:.1f}" for v in vals)
        if len(got) > 1:
            line += f" | {100 * (vals[-1] - vals[0]) / vals[0]:+.0f} %"
        lines.append(line + " |")
    la = ", ".join(f"{r['load average (1 min)']:.1f}" for r in got)
    lines.append(f"\nload average (1 min) at the end of each level: {la}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--levels", default="1000000,10000000")
    ap.add_argument("--reuse", action="store_true", help="keep the database and measured levels")
    ap.add_argument("--seconds", type=float, default=20.0, help="filing run length")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=60, help="timed reads per figure")
    args = ap.parse_args()
    levels = [int(v) for v in args.levels.split(",")]
    RESULTS.parent.mkdir(exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    if args.reuse and RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    base(args.reuse)
    for level in levels:
        if str(level) in results:
            print(f"level {level:,}: measured before (--reuse)")
            continue
        began = time.perf_counter()
        print(f"growing to {level:,} reports", flush=True)
        grow(level)
        print(f"  grown in {time.perf_counter() - began:.0f} s; measuring", flush=True)
        results[str(level)] = measure(level, args.seconds, args.clients, args.requests)
        RESULTS.write_text(json.dumps(results, indent=1))
        print(table(results, levels), flush=True)
    print(table(results, levels))


if __name__ == "__main__":
    main()
