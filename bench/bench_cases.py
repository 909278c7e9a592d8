"""The case-handling workbench: queue counts, first pages and a case's page data, over HTTP as a
street office (street1) and a department (dept-fire), beside the naive queries (a count(*) per
queue, OFFSET paging) run on the same data under the same role and row-level security.

    .venv/bin/python bench/bench_cases.py --reports 1000000 --open 100000   # docs/benchmarks.md
    .venv/bin/python bench/bench_cases.py --quick                           # 50,000 / 10,000

The scratch database `wangge_bench_cases` gets the demo city, then `--reports` reports made in
SQL from the demo's own (`--open` of them open in street1's street, about a fifth overdue, the
rest closed across the district), one history row per open report, VACUUM ANALYZE.
"""

# ruff: noqa: S608  (SQL here is built from constants of this file; values are bound)
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reports_setup import libpq  # noqa: E402
from service.settings import local_database_url  # noqa: E402

DB = os.environ.get("WANGGE_BENCH_CASES_DB", "wangge_bench_cases")
OWNER, APP = local_database_url("wangge", DB), local_database_url("wangge_app", DB)
OPEN = "('reported','accepted','dispatched','in_progress','handled','verified')"

GENERATE = """
WITH street AS (SELECT street_id FROM app_user WHERE username = 'street1'),
tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, r.* FROM report r, street s
        WHERE r.street_id = s.street_id),
n AS (SELECT count(*) AS c FROM tpl)
INSERT INTO report (id, geom, accuracy_m, category_code, description, status, reporter_id,
  grid_cell_id, residential_area_id, community_id, street_id, district_id, department_id,
  deadline_at, escalation_level, created_at, updated_at)
SELECT gen_random_uuid(), t.geom, t.accuracy_m, t.category_code, '批量事件 ' || g, s.status,
  t.reporter_id, t.grid_cell_id, t.residential_area_id, t.community_id, t.street_id,
  t.district_id, t.department_id,
  now() + ((g % 240) - 48) * interval '1 hour',
  CASE WHEN g % 240 < 24 THEN 'street' ELSE 'community' END,
  now() - (g % 72) * interval '1 hour', now() - (g % 72) * interval '1 hour'
FROM generate_series(1, %(open)s) g CROSS JOIN n
JOIN tpl t ON t.k = g % n.c
CROSS JOIN LATERAL (SELECT (ARRAY['reported','accepted','dispatched','in_progress','handled',
  'verified'])[1 + (g % 6)] AS status) s
"""
GENERATE_CLOSED = """
WITH tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, r.* FROM report r),
n AS (SELECT count(*) AS c FROM tpl)
INSERT INTO report (id, geom, accuracy_m, category_code, description, status, reporter_id,
  grid_cell_id, residential_area_id, community_id, street_id, district_id, department_id,
  deadline_at, created_at, updated_at, closed_at)
SELECT gen_random_uuid(), t.geom, t.accuracy_m, t.category_code, '已办结 ' || g, 'closed',
  t.reporter_id, t.grid_cell_id, t.residential_area_id, t.community_id, t.street_id,
  t.district_id, t.department_id, now() - (g % 365) * interval '1 day',
  now() - (g % 365) * interval '1 day' - interval '3 days',
  now() - (g % 365) * interval '1 day', now() - (g % 365) * interval '1 day'
FROM generate_series(1, %(closed)s) g CROSS JOIN n JOIN tpl t ON t.k = g % n.c
"""
EVENTS = f"""
INSERT INTO report_event (report_id, from_status, to_status, note, street_id, district_id,
                          created_at)
SELECT id, NULL, status, '', street_id, district_id, updated_at FROM report
WHERE status IN {OPEN} AND description LIKE '批量事件 %%'
"""


def prepare(reports: int, open_n: int) -> float:
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    began = time.perf_counter()
    with psycopg.connect(libpq(local_database_url("wangge", "postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{DB}" OWNER wangge TEMPLATE wangge_template')
    command.upgrade(alembic_config(OWNER), "heads")
    load_demo(OWNER, scale=DemoScale.demo())
    with psycopg.connect(libpq(OWNER), autocommit=True) as conn:
        conn.execute(GENERATE.replace("%(open)s", str(int(open_n))))  # type: ignore[arg-type]
        closed = max(0, reports - open_n)
        conn.execute(GENERATE_CLOSED.replace("%(closed)s", str(int(closed))))  # type: ignore[arg-type]
        conn.execute(EVENTS.replace("%%", "%"))  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - began


def start_app(db: str = DB) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn (one worker, no escalation task) on a free port, serving database `db`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WANGGE_DATABASE_URL": local_database_url("wangge_app", db),
           "WANGGE_MIGRATION_DATABASE_URL": local_database_url("wangge", db),
           "WANGGE_ESCALATION_INTERVAL_S": "0"}  # fmt: skip
    cmd = [str(ROOT / ".venv/bin/uvicorn"), "service.main:create_app", "--factory", "--port",
           str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("uvicorn did not start")


def timed(call: Callable[[], object], n: int) -> tuple[float, float]:
    """p50 and p95 in ms over n calls (after 3 warm-up calls)."""
    for _ in range(3):
        call()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def http_cases(base: str, user: str, n: int) -> dict[str, tuple[float, float]]:
    client = httpx.Client(base_url=base, timeout=30)
    token = client.post("/api/auth/token", data={"username": user, "password": "demo"})
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    queues = ["accept", "handling", "overdue"] if user == "street1" else ["handling", "overdue"]
    out: dict[str, tuple[float, float]] = {}

    def ok(path: str, **params: object) -> Callable[[], object]:
        def call() -> object:
            r = client.get(path, params=params)  # type: ignore[arg-type]
            assert r.status_code == 200, r.text
            return r

        return call

    out["counts (all queues)"] = timed(ok("/api/cases/counts"), n)
    for q in queues:
        out[f"first page: {q}"] = timed(ok("/api/cases", queue=q), n)
    page = client.get("/api/cases", params={"queue": queues[0]}).json()
    cursor = None
    for _ in range(100):  # to page 101 (5,000 rows in), by keyset
        cursor = client.get("/api/cases", params={"queue": queues[0], "cursor": cursor}
                            if cursor else {"queue": queues[0]}).json()["next_cursor"]  # fmt: skip
    out[f"page 101: {queues[0]} (keyset)"] = timed(
        ok("/api/cases", queue=queues[0], cursor=cursor), n
    )
    rid = page["items"][0]["id"]
    out["case page data"] = timed(ok(f"/api/cases/{rid}"), n)
    client.close()
    return out


def naive_sql(user: str, n: int) -> dict[str, tuple[float, float]]:
    """The same reads the obvious way, as the app role under RLS: count(*) per queue with the
    statuses as a bound array, pages by OFFSET."""
    with psycopg.connect(libpq(APP)) as conn:
        u = conn.execute(
            "SELECT id, role, district_id, street_id, department_id FROM app_user"
            " WHERE username = %s",
            (user,),
        ).fetchone()
        assert u is not None
        conn.execute(
            "SELECT set_config('wangge.user_id', %s, false), set_config('wangge.role', %s, false),"
            " set_config('wangge.district_id', %s, false), set_config('wangge.street_id', %s,"
            " false), set_config('wangge.department_id', %s, false)",
            [str(u[0]), u[1], str(u[2] or ""), str(u[3] or ""), str(u[4] or "")],
        )
        where = "street_id = %(j)s" if u[1] == "street_office" else "department_id = %(j)s"
        j = u[3] if u[1] == "street_office" else u[4]
        queues = {"accept": ["reported"], "dispatch": ["accepted"],
                  "handling": ["dispatched", "in_progress"], "verify": ["handled"],
                  "close": ["verified"]}  # fmt: skip

        def counts() -> None:
            for statuses in queues.values():
                conn.execute(f"SELECT count(*) FROM report WHERE {where} AND status = ANY(%(s)s)",
                             {"j": j, "s": statuses})  # fmt: skip
            conn.execute(f"SELECT count(*) FROM report WHERE {where} AND status = ANY(%(s)s)"
                         " AND deadline_at < now()", {"j": j, "s": ["reported", "accepted",
                         "dispatched", "in_progress"]})  # fmt: skip
            conn.execute(f"SELECT count(*) FROM report WHERE {where} AND status = 'closed'"
                         " AND closed_at > now() - interval '7 days'", {"j": j})  # fmt: skip

        first = "accept" if u[1] == "street_office" else "handling"

        def page(offset: int) -> Callable[[], object]:
            return lambda: conn.execute(
                f"SELECT * FROM report WHERE {where} AND status = ANY(%(s)s)"
                " ORDER BY deadline_at, id LIMIT 50 OFFSET %(o)s",
                {"j": j, "s": queues[first], "o": offset},
            ).fetchall()

        return {
            "counts (all queues)": timed(counts, n),
            f"first page: {first}": timed(page(0), n),
            f"page 101: {first} (keyset)": timed(page(5000), n),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=100_000, help="open reports in street1's street")
    ap.add_argument("--quick", action="store_true", help="50,000 reports, 10,000 open")
    ap.add_argument("--requests", type=int, default=200, help="timed requests per row")
    ap.add_argument("--reuse", action="store_true", help="keep the loaded database (migrated)")
    args = ap.parse_args()
    if args.quick:
        args.reports, args.open, args.requests = 50_000, 10_000, 50
    if args.reuse:  # the loaded database, brought to the latest migration
        from alembic import command

        from service.cli import alembic_config

        command.upgrade(alembic_config(OWNER), "heads")
    else:
        print(f"loaded in {prepare(args.reports, args.open):.0f} s", flush=True)
    proc, base = start_app()
    try:
        for user in ("street1", "dept-fire"):
            web = http_cases(base, user, args.requests)
            naive = naive_sql(user, args.requests)
            print(f"\n{user}: p50 / p95 ms")
            print("| read | wangge over HTTP | naive SQL (no HTTP) |\n|---|---|---|")
            for name, (p50, p95) in web.items():
                other = naive.get(name)
                cell = f"{other[0]:.1f} / {other[1]:.1f}" if other else "—"
                print(f"| {name} | {p50:.1f} / {p95:.1f} | {cell} |")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
