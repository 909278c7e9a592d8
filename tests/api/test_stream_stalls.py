"""Downloads whose clients stop reading cannot starve the service (live uvicorn, real sockets).

The shared pool is made tiny (2 connections, no overflow) so that, if exports still took their
connection from it, the stalled downloads alone would exhaust it and the login below would be
answered 503. Exports run on the stream pool under the budget instead; a stalled client is cut
off after stream_send_timeout_s and its database session goes back to idle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from service.settings import Settings
from tests.conftest import TestDatabase
from tests.stream_world import (
    ThreadServer,
    big_export_database,
    busy_sessions,
    open_stalled,
    token,
    wait_until,
)

SEND_TIMEOUT_S = 3.0
EXPORT = "/api/exports/reports.geojson"


@pytest.fixture(scope="module")
def stream_db() -> Iterator[TestDatabase]:
    with big_export_database("wangge_test_streams", reports=8000) as db:
        yield db


@pytest.fixture(scope="module")
def server(
    stream_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadServer]:
    settings = Settings(
        database_url=stream_db.app_url,
        migration_database_url=stream_db.owner_url,
        data_dir=tmp_path_factory.mktemp("streams"),
        db_pool_size=2,
        db_pool_max_overflow=0,
        db_pool_timeout_s=1.0,
        export_max_concurrent=3,
        export_max_per_user=2,
        stream_send_timeout_s=SEND_TIMEOUT_S,
        escalation_interval_s=0,
    )
    with ThreadServer(settings) as s:
        yield s


def test_stalled_downloads_leave_others_served_and_no_session_sending(
    server: ThreadServer, stream_db: TestDatabase
) -> None:
    admin, district, planner = (token(server.url, u) for u in ("admin", "district", "planner"))
    stalled = [open_stalled(server.port, EXPORT, t) for t in (admin, admin, district)]
    try:
        assert [c.status for c in stalled] == [200, 200, 200]
        # they really are stuck in the middle of the export, holding stream-pool sessions
        time.sleep(0.5)
        assert busy_sessions(stream_db), "the downloads finished: the export is too small"

        # over the caps: a third for the same account, a fourth on the server → 429 at once
        with httpx.Client(base_url=server.url, timeout=10) as http:
            per_user = http.get(EXPORT, headers={"Authorization": f"Bearer {admin}"})
            assert per_user.status_code == 429, per_user.text
            assert per_user.json()["detail"]["where"]["limit"] == "export_max_per_user"
            assert int(per_user.headers["retry-after"]) > 0
            overall = http.get(EXPORT, headers={"Authorization": f"Bearer {planner}"})
            assert overall.status_code == 429
            assert overall.json()["detail"]["where"]["limit"] == "export_max_concurrent"

            # everyone else is answered normally meanwhile, login included
            for _ in range(3):
                started = time.monotonic()
                login = http.post(
                    "/api/auth/token", data={"username": "street1", "password": "demo"}
                )
                assert login.status_code == 200, login.text
                me = http.get(
                    "/api/me",
                    headers={"Authorization": f"Bearer {login.json()['access_token']}"},
                )
                assert me.status_code == 200
                assert time.monotonic() - started < 5
            assert http.get("/health").status_code == 200

        # the stalled clients are cut off and no database session is left sending
        waited = wait_until(lambda: not busy_sessions(stream_db), SEND_TIMEOUT_S + 10)
        assert waited <= SEND_TIMEOUT_S + 10
        assert not any(c.complete(wait_s=10) for c in stalled)
    finally:
        for c in stalled:
            c.close()

    # the budget is whole again: the same account downloads the complete export
    with httpx.Client(base_url=server.url, timeout=60) as http:
        full = http.get(EXPORT, headers={"Authorization": f"Bearer {admin}"})
    assert full.status_code == 200
    assert len(json.loads(full.content)["features"]) > 1000


def test_a_client_that_goes_away_frees_its_session_before_the_timeout(
    server: ThreadServer, stream_db: TestDatabase
) -> None:
    client = open_stalled(server.port, EXPORT, token(server.url, "district"))
    assert client.status == 200
    time.sleep(0.5)
    assert busy_sessions(stream_db)
    client.close()  # closed with unread data: the kernel resets the connection
    waited = wait_until(lambda: not busy_sessions(stream_db), SEND_TIMEOUT_S)
    assert waited < SEND_TIMEOUT_S


@pytest.mark.parametrize("name", ["reports.csv", "reports.gpkg"])
def test_every_format_is_cut_off_when_stalled(
    server: ThreadServer, stream_db: TestDatabase, name: str
) -> None:
    client = open_stalled(server.port, f"/api/exports/{name}", token(server.url, "admin"))
    try:
        assert client.status == 200
        time.sleep(SEND_TIMEOUT_S + 2)
        assert not client.complete(wait_s=10)
        assert not busy_sessions(stream_db)
    finally:
        client.close()
