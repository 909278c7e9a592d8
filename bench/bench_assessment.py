"""The performance assessment of a quarter for the whole district at benchmark size: over HTTP
as the district bureau (by street, community and department) and as a street office, beside
the naive grouped query (the figures grouped under row-level security with a sub-select for
each report's last return visit) run on the same data under the same role.

    .venv/bin/python bench/bench_assessment.py                  # 1,000,000 reports
    .venv/bin/python bench/bench_assessment.py --quick          # 50,000
    .venv/bin/python bench/bench_assessment.py --reuse          # keep the loaded database
                                                                # (migrated to the head)

The scratch database (`wangge_bench_assessment`) is built as bench/bench_cases.py builds
its own: the demo city, then reports made in SQL from the demo's (100,000 open in street1's
street in the last three days, the rest closed across the district over a year), plus return
visits on a tenth of the closed ones; VACUUM ANALYZE.
"""

# ruff: noqa: S608  (SQL here is built from constants of this file; values are bound)
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WANGGE_BENCH_CASES_DB", "wangge_bench_assessment")

from bench import bench_cases  # noqa: E402
from bench.reports_setup import libpq  # noqa: E402

VISITS = """
INSERT INTO return_visit (report_id, result, note, actor_id, district_id, created_at)
SELECT r.id, (ARRAY['satisfied', 'basically', 'dissatisfied'])[1 + (abs(hashtext(r.id::text)) % 3)],
  '', (SELECT id FROM app_user WHERE username = 'community1'), r.district_id,
  r.closed_at + interval '1 day'
FROM report r WHERE r.status = 'closed' AND abs(hashtext(r.id::text)) % 10 = 0
"""
NAIVE = """
SELECT {unit}, count(*),
  count(*) FILTER (WHERE status = 'rejected'), count(*) FILTER (WHERE status = 'closed'),
  count(*) FILTER (WHERE status = 'closed' AND closed_at <= deadline_at),
  avg(extract(epoch FROM closed_at - created_at) / 3600.0)
    FILTER (WHERE status = 'closed')::double precision,
  count(*) FILTER (WHERE status <> 'rejected' AND reopened_count > 0), count(visit),
  count(*) FILTER (WHERE visit IN ('satisfied', 'basically')),
  count(*) FILTER (WHERE (status = 'closed' AND closed_at > deadline_at)
    OR (status NOT IN ('closed', 'rejected') AND deadline_at < now())),
  count(*) FILTER (WHERE status <> 'rejected' AND escalation_level <> 'community')
FROM (SELECT r.*, (SELECT v.result FROM return_visit v WHERE v.report_id = r.id
                   ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS visit
      FROM report r WHERE r.district_id = %(d)s AND r.created_at >= %(start)s
        AND r.created_at < %(end)s) x
GROUP BY 1
"""
FAST = """
SELECT * FROM wangge_assessment_counts(%(by)s, %(d)s, %(start)s, %(end)s, now())
"""
UNIT = {"street": "street_id", "community": "community_id", "department": "department_id"}


def quarter_bounds(conn: psycopg.Connection) -> tuple[str, object, object, int]:
    row = conn.execute(
        "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY\"Q\"Q'),"
        " date_trunc('quarter', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai',"
        " (date_trunc('quarter', now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months')"
        "   AT TIME ZONE 'Asia/Shanghai'"
    ).fetchone()
    assert row is not None
    size = conn.execute(
        "SELECT count(*) FROM report WHERE created_at >= %s AND created_at < %s", (row[1], row[2])
    ).fetchone()
    return row[0], row[1], row[2], int(size[0]) if size else 0


def http_rows(base: str, period: str, n: int) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for user, kinds in (("district", ("street", "community", "department")),
                        ("street1", ("community",))):  # fmt: skip
        client = httpx.Client(base_url=base, timeout=60)
        token = client.post("/api/auth/token", data={"username": user, "password": "demo"})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        for by in kinds:

            def call(by: str = by, client: httpx.Client = client) -> None:
                r = client.get("/api/performance", params={"period": period, "by": by})
                assert r.status_code == 200, r.text

            out[f"{user}: by {by}"] = bench_cases.timed(call, n)
        client.close()
    return out


def naive_rows(start: object, end: object, n: int) -> dict[str, tuple[float, float]]:
    """The naive query's timings; it also checks, in one transaction (one now()), that
    `wangge_assessment_counts` gives the naive query's figures to the last digit."""
    out: dict[str, tuple[float, float]] = {}
    with psycopg.connect(libpq(bench_cases.APP)) as conn:
        u = conn.execute(
            "SELECT id, role, district_id FROM app_user WHERE username = 'district'"
        ).fetchone()
        assert u is not None
        conn.execute(
            "SELECT set_config('wangge.user_id', %s, false), set_config('wangge.role', %s, false),"
            " set_config('wangge.district_id', %s, false)",
            [str(u[0]), u[1], str(u[2])],
        )
        for by in ("street", "community", "department"):
            sql = NAIVE.format(unit=UNIT[by])
            params = {"d": u[2], "start": start, "end": end}
            out[f"district: by {by}"] = bench_cases.timed(
                lambda sql=sql, params=params: conn.execute(sql, params).fetchall(), n
            )
            naive = sorted(conn.execute(sql, params).fetchall(), key=repr)
            fast = sorted(conn.execute(FAST, {**params, "by": by}).fetchall(), key=repr)
            print(f"by {by}: the same figures as the naive query: {fast == naive}", flush=True)
            assert fast == naive, by
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="50,000 reports")
    ap.add_argument("--requests", type=int, default=30, help="timed requests per row")
    ap.add_argument("--reuse", action="store_true", help="keep the loaded scratch database")
    args = ap.parse_args()
    if args.quick:
        args.reports, args.requests = 50_000, 10
    if args.reuse:  # the loaded database, brought to the latest migration (025's roll-up)
        from alembic import command

        from service.cli import alembic_config

        command.upgrade(alembic_config(bench_cases.OWNER), "heads")
    else:
        took = bench_cases.prepare(args.reports, min(100_000, args.reports // 10))
        with psycopg.connect(libpq(bench_cases.OWNER), autocommit=True) as conn:
            conn.execute(VISITS)
            conn.execute("VACUUM ANALYZE report, return_visit")
        print(f"loaded in {took:.0f} s", flush=True)
    with psycopg.connect(libpq(bench_cases.OWNER)) as conn:
        period, start, end, size = quarter_bounds(conn)
        total = conn.execute("SELECT count(*) FROM report").fetchone()
    print(f"{total[0] if total else 0:,} reports; the quarter {period} holds {size:,}")
    proc, base = bench_cases.start_app()
    try:
        web = http_rows(base, period, args.requests)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    naive = naive_rows(start, end, max(3, args.requests // 10))
    print(f"\nassessment of {period}, p50 / p95 ms")
    print("| read | wangge over HTTP | naive grouped query (SQL, no HTTP) |\n|---|---|---|")
    for name, (p50, p95) in web.items():
        other = naive.get(name)
        cell = f"{other[0]:.1f} / {other[1]:.1f}" if other else "—"
        print(f"| {name} | {p50:.1f} / {p95:.1f} | {cell} |")


if __name__ == "__main__":
    main()
