"""Growth: filing throughput, tile and case-queue latency at 1,000,000 and at
10,000,000 reports on the monthly-partitioned schema (migration 027), side by side in one run.
Goal: the 10M figures within 15 % of the 1M ones.

    .venv/bin/python bench/bench_scale.py                      # build 1M and 10M, 3 rounds
    .venv/bin/python bench/bench_scale.py --reuse              # keep the built databases
    .venv/bin/python bench/bench_scale.py --levels 50000,200000 --seconds 5 --rounds 1  # a look

Each level has its own scratch database, `wangge_bench_scale_<reports>`: the demo city, 20,000
open reports in street1's street (the case queues: the same at every level, as an office's open
work does not grow with the archive), the past 24 months' partitions, then closed reports copied
from the demo's, spread over those months, added in chunks of 500,000 (each committed: an
interrupted build resumes with --reuse), then VACUUM ANALYZE. The levels are then measured in
alternating rounds (1M, 10M, then 10M, 1M, ...), each after closing the earlier rounds' filings
and folding the roll-up tallies (settle()), with a fresh uvicorn (one worker, no scheduler) and
over HTTP: filing (a fixed number of concurrent clients for --seconds), a grid-cell vector
tile and the open-report map points, and the case queue counts and first pages
(bench_cases.py's reads). The table gives each figure's median over the rounds and its spread;
every round is kept in var/bench_scale.json.
"""

# ruff: noqa: S608  (SQL here is built from constants and integers of this file)
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_cases  # noqa: E402
from bench.bench_reports import body_maker, make_points  # noqa: E402
from bench.bench_tiles import tile_of  # noqa: E402
from bench.reports_setup import libpq  # noqa: E402
from service.settings import local_database_url  # noqa: E402

RESULTS = ROOT / "var" / "bench_scale.json"
CHUNK = 500_000
OPEN_IN_QUEUE = 20_000


def database(level: int) -> str:
    return f"wangge_bench_scale_{level}"


def owner(level: int) -> str:
    return libpq(local_database_url("wangge", database(level)))


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


def psql(level: int, sql: str) -> None:
    with psycopg.connect(owner(level), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def count_reports(level: int) -> int:
    with psycopg.connect(owner(level)) as conn:
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


def build(level: int, reuse: bool) -> None:
    """The level's database: the demo city and the open queue, the past 24 months' partitions
    (made right after the migration, before any row is loaded), then the closed archive."""
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    db = database(level)
    if reuse:
        try:
            have = count_reports(level)
            print(f"{db}: reusing, {have:,} reports; migrating to the latest revision", flush=True)
            command.upgrade(alembic_config(local_database_url("wangge", db)), "heads")
        except psycopg.Error:
            reuse = False
    if not reuse:
        began = time.perf_counter()
        with psycopg.connect(libpq(local_database_url("wangge", "postgres")), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{db}" OWNER wangge TEMPLATE wangge_template')
        command.upgrade(alembic_config(local_database_url("wangge", db)), "heads")
        psql(level, PAST_MONTHS)
        load_demo(local_database_url("wangge", db), scale=DemoScale.demo())
        with psycopg.connect(owner(level), autocommit=True) as conn:
            conn.execute(bench_cases.GENERATE.replace("%(open)s", str(OPEN_IN_QUEUE)))  # type: ignore[arg-type]
            conn.execute(bench_cases.EVENTS.replace("%%", "%"))  # type: ignore[arg-type]
        took = time.perf_counter() - began
        print(f"{db}: base city + {OPEN_IN_QUEUE} open reports in {took:.0f} s", flush=True)
    grow(level)


def grow(level: int) -> None:
    have = count_reports(level)
    if have >= level:
        return
    began = time.perf_counter()
    while have < level:
        step = min(CHUNK, level - have)
        t0 = time.perf_counter()
        psql(level, GROW % {"first": have + 1, "last": have + step})
        have += step
        took = time.perf_counter() - t0
        print(f"  {have:,} reports (+{step:,} in {took:.0f} s, {step / took:,.0f}/s)", flush=True)
    psql(level, "VACUUM ANALYZE")
    print(f"  grown in {time.perf_counter() - began:.0f} s (with VACUUM ANALYZE)", flush=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1)))]


def filing(level: int, base_url: str, token: str, seconds: float, clients: int) -> float:
    """Acknowledged filings per second over `seconds` from `clients` threads."""
    points_file = ROOT / "var" / "bench_scale_points.txt"
    if not points_file.exists():  # the demo city is the same in every level's database
        make_points(owner(level), 2000, points_file)
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


def maps(level: int, base_url: str, token: str, repeats: int) -> dict[str, tuple[float, float]]:
    with psycopg.connect(owner(level)) as conn:
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


def settle(level: int) -> None:
    """The same open work at every level and round: the earlier rounds' filings (open reports
    in every street, otherwise more at the level measured more often) are closed; the roll-up
    tallies' appended rows are folded, as the app's scheduler does every escalation interval
    (the app runs without it here); then VACUUM ANALYZE of what that changed."""
    psql(
        level,
        "UPDATE report SET status = 'closed', closed_at = now(), updated_at = now()"
        " WHERE description = 'bench' AND status = 'reported'",
    )
    psql(level, "SELECT wangge_case_tally_compact(), wangge_assessment_tally_compact()")
    psql(level, "VACUUM ANALYZE report, report_case_tally, report_assessment_tally")


PARTS = ("maps", "queues", "filing")


def measure(
    level: int, seconds: float, clients: int, repeats: int, parts: tuple[str, ...] = PARTS
) -> dict[str, float]:
    settle(level)
    proc, base_url = bench_cases.start_app(database(level))
    try:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            r = c.post("/api/auth/token", data={"username": "worker1", "password": "demo"})
            worker = r.json()["access_token"]
            r = c.post("/api/auth/token", data={"username": "district", "password": "demo"})
            district = r.json()["access_token"]
        row: dict[str, float] = {"reports": float(count_reports(level))}
        if "maps" in parts:
            for name, (p50, p95) in maps(level, base_url, district, repeats).items():
                row[f"{name} p50 ms"], row[f"{name} p95 ms"] = p50, p95
        if "queues" in parts:
            for name, (p50, p95) in bench_cases.http_cases(base_url, "street1", repeats).items():
                row[f"queue {name} p50 ms"], row[f"queue {name} p95 ms"] = p50, p95
        if "filing" in parts:
            row["filing /s"] = filing(level, base_url, worker, seconds, clients)
        row["load average (1 min)"] = os.getloadavg()[0]
        row["measured at"] = time.time()
        return row
    finally:
        proc.terminate()
        proc.wait(30)


def table(rounds: dict[str, list[dict[str, float]]], levels: list[int]) -> str:
    """Median over the rounds per level, the change from the first level to the last, and
    each level's spread (lowest-highest round)."""
    got = [(lv, rounds[str(lv)]) for lv in levels if rounds.get(str(lv))]
    if not got:
        return "(no level measured yet)"
    keys = [k for k in got[0][1][0] if k.endswith(("ms", "/s"))]
    names = [f"{lv:,} reports" for lv, _ in got]
    head = "| figure | " + " | ".join(names)
    if len(got) > 1:
        head += f" | {got[-1][0]:,} vs {got[0][0]:,}"
    head += " | " + " | ".join(f"spread {n}" for n in names) + " |"
    lines = [head, "|---" * (1 + 2 * len(got) + (len(got) > 1)) + "|"]
    for k in keys:
        medians = [statistics.median(r[k] for r in rs) for _, rs in got]
        line = f"| {k} | " + " | ".join(f"{v:.1f}" for v in medians)
        if len(got) > 1:
            line += f" | {100 * (medians[-1] - medians[0]) / medians[0]:+.0f} %"
        spreads = [f"{min(r[k] for r in rs):.1f}-{max(r[k] for r in rs):.1f}" for _, rs in got]
        lines.append(line + " | " + " | ".join(spreads) + " |")
    n = ", ".join(f"{len(rs)}" for _, rs in got)
    la = "; ".join(
        f"{lv:,}: " + ", ".join(f"{r['load average (1 min)']:.1f}" for r in rs) for lv, rs in got
    )
    reports = "; ".join(f"{lv:,}: {int(rs[-1]['reports']):,}" for lv, rs in got)
    lines.append(f"\nrounds per level: {n}; reports at the last round: {reports}")
    lines.append(f"load average (1 min) after each round: {la}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--levels", default="1000000,10000000")
    ap.add_argument("--reuse", action="store_true", help="keep the levels' databases")
    ap.add_argument("--rounds", type=int, default=3, help="measurements per level, alternating")
    ap.add_argument("--seconds", type=float, default=20.0, help="filing run length")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=60, help="timed reads per figure")
    ap.add_argument("--only", default=",".join(PARTS), help="which of maps,queues,filing")
    args = ap.parse_args()
    levels = [int(v) for v in args.levels.split(",")]
    parts = tuple(p for p in args.only.split(",") if p)
    if not set(parts) <= set(PARTS):
        ap.error(f"--only takes some of {','.join(PARTS)}")
    RESULTS.parent.mkdir(exist_ok=True)
    for level in levels:
        build(level, args.reuse)
    rounds: dict[str, list[dict[str, float]]] = {str(lv): [] for lv in levels}
    for r in range(args.rounds):
        for level in levels if r % 2 == 0 else reversed(levels):
            print(f"round {r + 1}: measuring {level:,}", flush=True)
            row = measure(level, args.seconds, args.clients, args.requests, parts)
            rounds[str(level)].append(row)
            RESULTS.write_text(json.dumps(rounds, indent=1))
    print(table(rounds, levels))


if __name__ == "__main__":
    main()
