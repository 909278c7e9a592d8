"""Benchmark: generate the grid cells of a 400-小区 street (target: under 10 s).

Builds a synthetic street (communities of blocks and 小区, see tests/fixtures/grid_layouts.py)
in a scratch database of the local cluster, then times, side by side:
  generate (domain only)   the pure shapely generator over every community of the street
  generate + write         the same through the repository, written to PostGIS in one transaction
  integrity check          `check_grids` for the street (PostGIS)
"wall s" is elapsed time; "py cpu s" is this process's CPU time (the generator itself; the
database server's work is not in it), the figure that survives a busy shared machine.
Run: .venv/bin/python bench/bench_grids.py [--areas 400] [--seed 1]   (after `make db`)

With `--baseline REV` it also times the integrity check of commit REV (its grid_checks.py read
from git and run on this checkout's schema) beside this checkout's, rounds alternating, kind by
kind, and says whether both found the same things. `--baseline ef5a54a` is the version before
the 小区 checks stopped using ST_Intersects (see docs/grids.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from service.db.repositories import grid_checks  # noqa: E402
from service.db.repositories import grids as repo  # noqa: E402
from service.db.repositories.grid_checks import check_grids  # noqa: E402
from service.domain.grid_generate import generate_cells  # noqa: E402
from service.services.grid_edits import generate  # noqa: E402
from service.settings import local_database_url  # noqa: E402
from tests.conftest import drop_database, migrate, recreate_database  # noqa: E402
from tests.fixtures.grid_territory import create_territory  # noqa: E402

TARGET_S = 10.0
SCRATCH = "wangge_bench_grids"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=400, help="小区 in the street (about)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", help="also time this commit's integrity check, side by side")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the side-by-side check")
    args = parser.parse_args()
    recreate_database(SCRATCH)
    url = local_database_url("wangge", SCRATCH)
    try:
        migrate(url)
        ids = run(url, args.areas, args.seed)
        if args.baseline:
            compare_checks(url, ids, args.baseline, args.rounds)
    finally:
        _drop_when_idle()


def _drop_when_idle() -> None:
    for _ in range(10):  # an autovacuum worker may still hold the database for a moment
        try:
            drop_database(SCRATCH)
            return
        except Exception:  # noqa: BLE001
            time.sleep(1)
    print(f"note: scratch database {SCRATCH} left behind", file=sys.stderr)


def run(url: str, areas: int, seed: int) -> list[int]:
    """The timings table; the ids of the street's communities."""
    load = os.getloadavg()[0]
    engine = create_engine(url)
    communities = max(1, round(areas / 40))  # 5 × 4 blocks of 1-3 小区 ≈ 40 小区 each
    with engine.begin() as conn:
        territory = create_territory(
            conn, random.Random(seed), communities=communities, blocks=(5, 4)
        )
    n_areas = sum(len(lay.areas) for lay in territory.layouts)
    rows = []
    t0, c0 = time.perf_counter(), time.process_time()
    cells = 0
    for code, lay in zip(territory.communities, territory.layouts, strict=True):
        cells += len(generate_cells(code, lay.community_geom, lay.areas))
    rows.append(
        ("generate (domain only)", time.perf_counter() - t0, time.process_time() - c0, cells)
    )
    with Session(engine) as session, session.begin():
        t0, c0 = time.perf_counter(), time.process_time()
        ids, written = [], 0
        for code in territory.communities:
            community = repo.load_community(session, None, "all", code, lock=True)
            result = generate(session, community, hmin=150, hmax=500, actor_id=None, dry_run=False)
            ids.append(community.id)
            written += len(result.created)
        rows.append(
            (
                "generate + write (PostGIS)",
                time.perf_counter() - t0,
                time.process_time() - c0,
                written,
            )
        )
    with Session(engine) as session, session.begin():
        t0, c0 = time.perf_counter(), time.process_time()
        findings = check_grids(session, ids, households_min=150, households_max=500)
        rows.append(
            (
                "integrity check (PostGIS)",
                time.perf_counter() - t0,
                time.process_time() - c0,
                len(findings),
            )
        )
        geometric = [
            f
            for f in findings
            if f.kind not in ("no_primary_worker", "households_below_min", "households_above_max")
        ]
        flagged = session.execute(
            text(
                "SELECT count(*) FROM grid_cell WHERE community_id = ANY(:ids)"
                " AND households NOT BETWEEN 150 AND 500"
            ),
            {"ids": ids},
        ).scalar_one()
    engine.dispose()  # before the scratch database is dropped
    print(f"street {territory.street_code}: {communities} communities, {n_areas} 小区")
    print(f"load average at start: {load:.1f} (2-core machine shared with other work)")
    print(f"{'stage':<28} {'wall s':>7} {'py cpu s':>9} {'count':>6} {'target':>7} {'verdict':>8}")
    for name, seconds, cpu, count in rows:
        target = f"{TARGET_S:.0f} s" if name.startswith("generate") else "-"
        verdict = ("ok" if seconds < TARGET_S else "SLOW") if target != "-" else ""
        print(f"{name:<28} {seconds:7.2f} {cpu:9.2f} {count:6d} {target:>7} {verdict:>8}")
    print(
        f"gaps/overlaps/outside/unrecorded splits: {len(geometric)};"
        f" cells outside 150-500 households (flagged): {flagged}"
    )
    return ids


def _checks_of(rev: str) -> ModuleType:
    """grid_checks.py as it was at commit `rev`, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{rev}:service/db/repositories/grid_checks.py"],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / f"grid_checks_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"grid_checks_{rev}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare_checks(url: str, ids: list[int], rev: str, rounds: int) -> None:
    """Each check kind, this checkout's SQL and `rev`'s, rounds alternating; median ms."""
    base = _checks_of(rev)
    versions = {rev: base, "this": grid_checks}
    engine = create_engine(url)
    times: dict[tuple[str, str], list[float]] = {}
    same = True
    with Session(engine) as session:
        for kind in grid_checks.CHECK_KINDS:
            found = {}
            for _ in range(rounds):
                for name, module in versions.items():
                    t0 = time.perf_counter()
                    got = module.check_grids(
                        session, ids, households_min=150, households_max=500, kinds=(kind,)
                    )
                    times.setdefault((kind, name), []).append(time.perf_counter() - t0)
                    found[name] = sorted((f.kind, tuple(f.codes), f.community) for f in got)
                    session.rollback()
            same = same and found[rev] == found["this"]
    engine.dispose()
    print(f"\nintegrity check by kind, {rev} vs this checkout ({rounds} rounds, median ms)")
    print(f"{'kind':<36} {rev:>10} {'this':>10} {'change':>8}")
    totals = {rev: 0.0, "this": 0.0}
    for kind in grid_checks.CHECK_KINDS:
        a = statistics.median(times[(kind, rev)]) * 1000
        b = statistics.median(times[(kind, "this")]) * 1000
        totals[rev] += a
        totals["this"] += b
        print(f"{kind:<36} {a:10.1f} {b:10.1f} {(b - a) / a * 100:+7.0f}%")
    a, b = totals[rev], totals["this"]
    print(f"{'all kinds':<36} {a:10.1f} {b:10.1f} {(b - a) / a * 100:+7.0f}%")
    print(f"same findings in both: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
