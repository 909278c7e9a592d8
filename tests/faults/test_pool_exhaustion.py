"""Exhaust the connection pool: excess requests get 503 quickly, none hangs, then it recovers.

The app runs with pools of POOL connections and no overflow. A test transaction holds an
ACCESS EXCLUSIVE lock on auth_token, so every authenticated request blocks in the database
while holding its connection; the rest wait for the pool and must be refused after
db_pool_timeout_s with 503 + Retry-After. The blocked ones end at statement_timeout (503).
Both pools are exhausted in turn: the SQLAlchemy engine's (GET /api/me) and the asynchronous
pool that files reports (POST /api/reports, service.db.async_pool).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.faults.conftest import ARTIFACTS, AppProcess, Cluster
from tests.faults.workloads import Item, ReportFilings

pytestmark = pytest.mark.slow

POOL, REQUESTS = 3, 30
POOL_TIMEOUT_S, STATEMENT_TIMEOUT_MS = 1.0, 3000
HANG_LIMIT_S = POOL_TIMEOUT_S + STATEMENT_TIMEOUT_MS / 1000 + 5


def _one(http: httpx.Client, item: Item) -> tuple[int, float, str | None]:
    started = time.monotonic()
    try:
        r = http.request(item.method, item.path, **item.request)
    except httpx.TransportError as exc:
        return -1, time.monotonic() - started, type(exc).__name__
    return r.status_code, time.monotonic() - started, r.headers.get("retry-after")


def _requests(kind: str, demo_db, headers: dict[str, str]) -> list[Item]:  # type: ignore[no-untyped-def]
    """REQUESTS + 1 requests of one kind (the last one is sent after the lock is released)."""
    if kind == "filing":
        return ReportFilings(demo_db, headers, REQUESTS + 1, REQUESTS).items()
    return [Item(str(n), "GET", "/api/me", {"headers": headers}) for n in range(REQUESTS + 1)]


@pytest.mark.parametrize("kind", ["engine", "filing"])
def test_pool_exhaustion_answers_503_quickly(
    kind: str,
    cluster: Cluster,
    demo_db,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    app = AppProcess(
        demo_db,
        tmp_path,
        db_pool_size=POOL,
        db_pool_max_overflow=0,
        db_async_pool_size=POOL,
        db_pool_timeout_s=POOL_TIMEOUT_S,
        db_statement_timeout_ms=STATEMENT_TIMEOUT_MS,
    )
    app.start()
    try:
        r = httpx.post(
            f"{app.url}/api/auth/token", data={"username": "worker1", "password": "demo"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        items = _requests(kind, demo_db, headers)
        with psycopg.connect(demo_db.libpq()) as blocker:
            blocker.execute("LOCK TABLE auth_token IN ACCESS EXCLUSIVE MODE")
            # One client, built before the clock starts (building one per request costs more
            # CPU than the requests themselves on a busy machine).
            limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
            with (
                httpx.Client(base_url=app.url, timeout=HANG_LIMIT_S * 3, limits=limits) as http,
                ThreadPoolExecutor(max_workers=REQUESTS) as pool,
            ):
                results = list(pool.map(lambda item: _one(http, item), items[:REQUESTS]))
                blocker.rollback()
                after = _one(http, items[-1])
    finally:
        app.stop()
    refused = [r for r in results if r[0] == 503]
    summary = {
        "requests": f"{items[0].method} {items[0].path}",
        "pool_size": POOL,
        "concurrent_requests": REQUESTS,
        "pool_timeout_s": POOL_TIMEOUT_S,
        "statement_timeout_ms": STATEMENT_TIMEOUT_MS,
        "answered_503": len(refused),
        "other_answers": sorted({r[0] for r in results} - {503}),
        "without_retry_after": sum(1 for r in refused if not r[2]),
        "slowest_s": round(max(r[1] for r in results), 3),
        "hung": sum(1 for r in results if r[1] >= HANG_LIMIT_S or r[0] == -1),
        "fastest_503_s": round(min((r[1] for r in refused), default=0), 3),
        "status_after_release": after[0],
    }
    _write(kind, summary)
    assert summary["hung"] == 0
    assert len(refused) == REQUESTS, summary
    assert summary["without_retry_after"] == 0
    assert summary["slowest_s"] < HANG_LIMIT_S
    # The ones that only waited for the pool were refused at about the pool timeout.
    waiting = sorted(r[1] for r in refused)[: REQUESTS - POOL]
    assert max(waiting) < POOL_TIMEOUT_S + 2.5, waiting
    assert summary["status_after_release"] == (201 if kind == "filing" else 200)


def _write(kind: str, summary: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "faults_summary.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing["pool_exhaustion" if kind == "engine" else "pool_exhaustion_filing"] = summary
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=1), encoding="utf-8")
