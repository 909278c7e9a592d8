"""Vector tiles and coverage statistics at benchmark size, side by side with their baselines.

One run: loads the demo city at benchmark scale (gis_data.demo_loader, DemoScale.benchmark():
20,000 cells, 2,000 小区, N reports) into a scratch database, starts wangge twice (as shipped,
and with its tile cache off) and tipg (PyPI, its own venv under var/, `make bench` installs it)
on loopback ports against the same tables, warms every server up, and prints:
  * tile latency p50/p95 (cold = first request of each tile) and bytes per tile at zooms 10-18,
    for wangge and tipg, and wangge's warm (cached) p95;
  * throughput with 4 connections over a second, disjoint tile set, three rounds alternating
    tipg and wangge with its cache off (every request renders), with CPU per tile from /proc;
  * /api/stats/coverage p50/p95 against the same numbers computed with a spatial join at query
    time (SQL only, no HTTP: the baseline is not charged for HTTP or authentication).

    .venv/bin/python bench/bench_tiles.py [--reports 1000000] [--reuse] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu import CpuMeter  # noqa: E402
from bench.http_load import each_once  # noqa: E402
from service.settings import LOCAL_SOCKET_DIR, local_database_url  # noqa: E402

DB = "wangge_bench"
OURS_PORT, TIPG_PORT = 8106, 8206
TIPG_VENV = ROOT / "var" / "bench-tipg-venv"
ZOOMS = range(10, 19)
# throughput set: up to this many tiles per zoom, none of them in the latency set
THROUGHPUT_PER_ZOOM = 80
LAYERS = {
    "residential_area": "id,code,name,households,build_year,property_service_mode,"
    "party_org_status,owners_committee_status,renovation_status,renovation_planned_year",
    "grid_cell": "id,code,households",
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


def prepare_database(reports: int, reuse: bool) -> None:
    from alembic import command

    from service.cli import alembic_config

    owner = local_database_url("wangge", DB)
    if reuse:
        with create_engine(owner).connect() as conn:
            loaded = conn.execute(text("SELECT count(*) FROM report")).scalar_one()
        if loaded >= reports:
            command.upgrade(alembic_config(owner), "heads")  # revisions added since the load
            print(f"reusing {DB} ({loaded:,} reports)")
            return
    admin = f"host={LOCAL_SOCKET_DIR} port=5432 user=wangge dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}" OWNER wangge TEMPLATE wangge_template')
    command.upgrade(alembic_config(owner), "heads")
    from gis_data.demo_loader import DemoScale, load_demo

    started = time.perf_counter()
    summary = load_demo(owner, scale=DemoScale.benchmark().override(reports=reports))
    print(f"loaded {summary.counts}")
    engine = create_engine(owner)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"loaded {reports:,} reports in {time.perf_counter() - started:.0f} s")


def bearer_token(username: str) -> str:
    """A token for a demo account (issued directly: the benchmark does not time logging in)."""
    from service.db.models import AppUser
    from service.db.repositories.users import issue_token

    engine = create_engine(local_database_url("wangge", DB))
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == username)).one()
        token, _ = issue_token(session, user, kind="bearer", ttl_minutes=120)
    engine.dispose()
    return token


def start(cmd: list[str], env: dict[str, str], probe: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(probe, timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"server did not start: {cmd}")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tile_sets(
    per_zoom: int, throughput_per_zoom: int
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Two disjoint sets of tiles with data (around 小区), per zoom: the latency set and the
    throughput set (a zoom with too few tiles for both gives the throughput set none, so
    every throughput request is a cold tile for wangge's cache too)."""
    engine = create_engine(local_database_url("wangge", DB))
    with engine.connect() as conn:
        points = conn.execute(
            text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM residential_area")
        ).all()
    engine.dispose()
    rng = random.Random(6)
    first: list[tuple[int, int, int]] = []
    second: list[tuple[int, int, int]] = []
    for z in ZOOMS:
        tiles = sorted({(z, *tile_of(x, y, z)) for x, y in points})
        rng.shuffle(tiles)
        half = max(1, min(per_zoom, len(tiles) // 2))
        first += tiles[:half]
        second += tiles[half : half + throughput_per_zoom]
    return first, second


def fetch(client: httpx.Client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code not in (200, 204):
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
    return elapsed, len(r.content)


PORTS = {"wangge": OURS_PORT, "wangge-nocache": OURS_PORT + 1, "tipg": TIPG_PORT}
THROUGHPUT_ROUNDS = 3


def path_for(server: str, layer: str, z: int, x: int, y: int) -> str:
    if server.startswith("wangge"):
        return f"/tiles/{layer}/{z}/{x}/{y}.pbf"
    return (
        f"/collections/public.{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={LAYERS[layer]}"
    )


def url_for(server: str, layer: str, z: int, x: int, y: int) -> str:
    return f"http://127.0.0.1:{PORTS[server]}{path_for(server, layer, z, x, y)}"


def run_latency(server: str, layer: str, tiles, headers) -> dict:  # type: ignore[no-untyped-def]
    """Each tile of the latency set once (cold), in order; for wangge again (cached)."""
    out: dict = {"by_zoom": {}}
    with httpx.Client(headers=headers, timeout=60) as client:
        for z in ZOOMS:
            samples = [fetch(client, url_for(server, layer, *t)) for t in tiles if t[0] == z]
            out["by_zoom"][z] = samples
        if server == "wangge":
            out["warm"] = [fetch(client, url_for(server, layer, *t))[0] for t in tiles]
    return out


def run_throughput(layer: str, tiles, headers, pids) -> dict[str, list[tuple[float, dict]]]:  # type: ignore[no-untyped-def]
    """Tiles per second and CPU per tile with 4 connections, each tile of the set once per
    round, rounds alternating between tipg and wangge with its tile cache off (so every
    request renders, as every tipg request does). The lean asyncio client of
    bench/http_load.py keeps the benchmark's own CPU small (httpx cost ~1-2 ms per tile)."""
    out: dict[str, list[tuple[float, dict]]] = {"tipg": [], "wangge-nocache": []}
    for _ in range(THROUGHPUT_ROUNDS):
        for server in out:
            h = headers if server.startswith("wangge") else {}
            paths = [path_for(server, layer, *t) for t in tiles]
            meter = CpuMeter(app_pid=pids[server], own=True)
            result = asyncio.run(each_once("127.0.0.1", PORTS[server], h, paths, 4))
            bad = {s: n for s, n in result.statuses.items() if s not in (200, 204)}
            if bad:
                raise RuntimeError(f"{server} {layer}: answers {bad}")
            out[server].append((len(paths) / result.elapsed_s, meter.per_item(len(paths))))
    return out


def warm_up(tiles: list[tuple[int, int, int]], headers: dict[str, str]) -> None:
    """Give every server warm connections and plans before anything is timed: empty tiles
    (the measured ones shifted 64 tiles east, outside the district) at every zoom and layer,
    8 at a time, so each pooled connection has run each statement. Nothing measured is in
    wangge's tile cache afterwards."""
    for server, port in PORTS.items():
        h = headers if server.startswith("wangge") else {}
        for layer in LAYERS:
            paths = [path_for(server, layer, z, x + 64, y) for z, x, y in tiles if x + 64 < 2**z]
            for _ in range(3):
                asyncio.run(each_once("127.0.0.1", port, h, paths, 8))


def run_stats(headers, repeats: int) -> list[tuple[str, float, float, float, float, bool]]:
    from service.db.repositories.stats import coverage_by_spatial_join

    rows = []
    engine = create_engine(local_database_url("wangge", DB))
    with Session(engine) as session:
        district = session.execute(
            text("SELECT district_id FROM app_user WHERE username = 'district'")
        ).scalar()
        with httpx.Client(headers=headers, timeout=60) as client:
            for level in ("street", "community"):
                url = f"http://127.0.0.1:{OURS_PORT}/api/stats/coverage?level={level}"
                ours = [fetch(client, url)[0] for _ in range(repeats)]
                api = {u["id"]: u for u in client.get(url).json()["units"]}
                base, result = [], []
                for _ in range(max(3, repeats // 5)):
                    started = time.perf_counter()
                    result = coverage_by_spatial_join(session, level, district)
                    base.append((time.perf_counter() - started) * 1000)
                same = all(
                    api[r.id]["areas"] == r.areas
                    and api[r.id]["indicators"]["party_org"]["covered_areas"] == r.party_org_areas
                    for r in result
                )
                rows.append(
                    (level, pct(ours, 0.5), pct(ours, 0.95), pct(base, 0.5), pct(base, 0.95), same)
                )
    engine.dispose()
    return rows


def run_report_points(headers, repeats: int) -> list[tuple[int, int, float, float]]:
    """Open-report points for the map over the whole district: (zoom, features, p50, p95)."""
    engine = create_engine(local_database_url("wangge", DB))
    with engine.connect() as conn:
        w, s, e, n = conn.execute(
            text(
                "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM district"
                " WHERE id = (SELECT district_id FROM app_user WHERE username = 'district')"
            )
        ).one()
    engine.dispose()
    cx, cy = (w + e) / 2, (s + n) / 2
    views = {12: (w, s, e, n), 16: (cx - 0.005, cy - 0.003, cx + 0.005, cy + 0.003)}
    rows = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for zoom, box in views.items():
            url = (
                f"http://127.0.0.1:{OURS_PORT}/api/map/reports?zoom={zoom}"
                f"&bbox={','.join(f'{v:.6f}' for v in box)}"
            )
            times = [fetch(client, url)[0] for _ in range(repeats)]
            count = len(client.get(url).json()["features"])
            rows.append((zoom, count, pct(times, 0.5), pct(times, 0.95)))
    return rows


def print_tables(results: dict, stats_rows, reports: int, points=()) -> None:
    print(f"\n### Vector tiles ({reports:,} reports in the database; cold = first request)\n")
    print(
        "| layer | zoom | tiles | wangge p50 ms | wangge p95 ms | wangge max KB |"
        " tipg p50 ms | tipg p95 ms | tipg max KB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for layer in LAYERS:
        ours, tipg = results[("wangge", layer)], results[("tipg", layer)]
        for z in ZOOMS:
            o, t = ours["by_zoom"][z], tipg["by_zoom"][z]
            print(
                f"| {layer} | {z} | {len(o)} | {pct([a for a, _ in o], 0.5):.1f} |"
                f" {pct([a for a, _ in o], 0.95):.1f} | {max(b for _, b in o) / 1024:.1f} |"
                f" {pct([a for a, _ in t], 0.5):.1f} | {pct([a for a, _ in t], 0.95):.1f} |"
                f" {max(b for _, b in t) / 1024:.1f} |"
            )
    print(
        "\n| layer | wangge cold p95 ms (all zooms) | wangge warm p95 ms | max KB |"
        " throughput tiles | wangge tiles/s (cache off) | tipg tiles/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for layer in LAYERS:
        ours = results[("wangge", layer)]
        rounds = results[("throughput", layer)]
        cold = [a for s in ours["by_zoom"].values() for a, _ in s]
        kb = max(b for s in ours["by_zoom"].values() for _, b in s) / 1024
        w = statistics.median(r for r, _ in rounds["wangge-nocache"])
        t = statistics.median(r for r, _ in rounds["tipg"])
        print(
            f"| {layer} | {pct(cold, 0.95):.1f} | {pct(ours['warm'], 0.95):.1f} | {kb:.1f} |"
            f" {results[('throughput_tiles', layer)]} | {w:.0f} | {t:.0f} | {w / t:.1f}× |"
        )
    print(
        f"\nThroughput rounds ({THROUGHPUT_ROUNDS} per server, alternating; tiles/s) and CPU per"
        " tile (ms, /proc counters, median of the rounds)\n"
    )
    print("| layer | server | tiles/s per round | server ms | PostgreSQL ms | load generator ms |")
    print("|---|---|---|---|---|---|")
    for layer in LAYERS:
        for server, rounds_of in results[("throughput", layer)].items():
            rates = ", ".join(f"{r:.0f}" for r, _ in rounds_of)
            cpu = {k: statistics.median(c[k] for _, c in rounds_of) for k in rounds_of[0][1]}
            print(
                f"| {layer} | {server} | {rates} | {cpu['app']:.2f} | {cpu['postgres']:.2f} |"
                f" {cpu['client']:.2f} |"
            )
    print("\n### Open-report points for /map (district user)\n")
    print("| view | zoom | features | p50 ms | p95 ms |")
    print("|---|---|---|---|---|")
    for zoom, count, p50, p95 in points:
        view = "whole district, aggregated" if zoom < 15 else "~1 km × 0.7 km, points"
        print(f"| {view} | {zoom} | {count} | {p50:.1f} | {p95:.1f} |")
    print("\n### Coverage statistics (district user, whole district)\n")
    print(
        "| level | endpoint p50 ms | endpoint p95 ms | spatial join p50 ms |"
        " spatial join p95 ms | speed-up (p95) | same numbers |"
    )
    print("|---|---|---|---|---|---|---|")
    for level, o50, o95, b50, b95, same in stats_rows:
        print(
            f"| {level} | {o50:.1f} | {o95:.1f} | {b50:.0f} | {b95:.0f} | {b95 / o95:.0f}× |"
            f" {'yes' if same else 'NO'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--quick", action="store_true", help="6 tiles per zoom, fewer repeats")
    args = parser.parse_args()
    per_zoom, repeats = (6, 10) if args.quick else (12, 40)

    prepare_database(args.reports, args.reuse)
    token = bearer_token("district")
    headers = {"Authorization": f"Bearer {token}"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _serve_and_measure(args, headers, per_zoom, repeats, procs)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


def _serve_and_measure(args, headers, per_zoom: int, repeats: int, procs: list) -> None:  # type: ignore[no-untyped-def]
    app_url = local_database_url("wangge_app", DB)
    pids = {}
    for server, cache_bytes in (("wangge", None), ("wangge-nocache", "0")):
        env = {"WANGGE_DATABASE_URL": app_url, "WANGGE_ESCALATION_INTERVAL_S": "0"}
        if cache_bytes is not None:
            env["WANGGE_TILE_CACHE_BYTES"] = cache_bytes
        cmd = [str(ROOT / ".venv/bin/python"), "-m", "service.http_server"]
        cmd += ["--host", "127.0.0.1", "--port", str(PORTS[server]), "--log-level", "warning"]
        proc = start(cmd, env, f"http://127.0.0.1:{PORTS[server]}/health")
        procs.append(proc)
        pids[server] = proc.pid
    tipg = start(
        [
            str(TIPG_VENV / "bin/uvicorn"),
            "tipg.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(TIPG_PORT),
            "--log-level",
            "warning",
        ],
        {
            # asyncpg reads a percent-encoded socket directory as the host
            "DATABASE_URL": f"postgresql://wangge@{quote(str(LOCAL_SOCKET_DIR), safe='')}/{DB}",
            "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.residential_area", "public.grid_cell"]',
        },
        f"http://127.0.0.1:{TIPG_PORT}/collections",
    )
    procs.append(tipg)
    pids["tipg"] = tipg.pid
    first, second = tile_sets(per_zoom, THROUGHPUT_PER_ZOOM)
    warm_up(first, headers)
    results: dict = {}
    for layer in LAYERS:
        for server in ("tipg", "wangge"):
            h = headers if server == "wangge" else {}
            results[(server, layer)] = run_latency(server, layer, first, h)
        results[("throughput", layer)] = run_throughput(layer, second, headers, pids)
        results[("throughput_tiles", layer)] = len(second)
    stats_rows = run_stats(headers, repeats)
    points = run_report_points(headers, max(5, repeats // 4))
    print_tables(results, stats_rows, args.reports, points)


if __name__ == "__main__":
    main()
