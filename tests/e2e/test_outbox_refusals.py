"""The phone's outbox never retries what cannot succeed: a 4xx is set aside at once for the user
(sent once, however often the outbox syncs), a record the server keeps failing on is set aside
after a few tries instead of blocking everything behind it, and a worker who never moved ends
the patrol without a track (a one-point track is a 422)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.field_helpers import points_in_community_of
from tests.e2e.conftest import eventually
from tests.e2e.test_field_mobile import _log_in, _phone, _token

pytestmark = pytest.mark.e2e


def _start_patrol(base: str, started: datetime) -> str:
    pid = str(uuid.uuid4())
    r = httpx.post(
        f"{base}/api/patrols",
        json={"id": pid, "started_at": started.isoformat()},
        headers=_token(base),
    )
    assert r.status_code == 201, r.text
    return pid


# the page is ES modules: tests reach its objects by importing them (docs/navigation.md)
APP = "import('/static/m/app.js')"
OUTBOX_ALL = "import('/static/m/queue.js').then((q) => q.Outbox.all())"
SYNC = f"{APP}.then((m) => m.sync())"


def _queue(page, record: dict) -> None:
    page.evaluate(
        "(r) => import('/static/m/queue.js').then((q) => q.Outbox.addAll([r]))"
        f".then(() => {APP}).then((m) => m.refreshPending())",
        record,
    )


def _sends(page, url_part: str) -> list[int]:
    sent: list[int] = []
    page.on("response", lambda r: sent.append(r.status) if url_part in r.url else None)
    return sent


def test_a_4xx_is_set_aside_and_sent_once(browser, live_server, owner_engine) -> None:
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=5)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, base)
    t0 = datetime.now(UTC) - timedelta(minutes=20)
    pid = _start_patrol(base, t0)
    times = [(t0 + timedelta(minutes=m)).isoformat() for m in (2, 1)]  # out of order: 422
    finish = {
        "ended_at": (t0 + timedelta(minutes=5)).isoformat(),
        "track": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.0005, lat]]},
        "recorded_at": times,
    }
    sent = _sends(page, f"/api/patrols/{pid}/finish")
    _queue(page, {"kind": "patrol", "label": "巡查结束", "method": "POST",
                  "url": f"/api/patrols/{pid}/finish", "json": finish})  # fmt: skip
    for _ in range(3):
        page.evaluate(SYNC)
        time.sleep(0.5)
    assert sent == [422]
    outbox = page.evaluate(OUTBOX_ALL)
    mine = [r for r in outbox if r["url"].endswith(f"{pid}/finish")]
    assert mine and mine[0]["state"] == "failed" and "顺序" in mine[0]["error"]
    assert page.inner_text("#pending-count") == "0"
    context.close()


def test_a_record_the_server_keeps_failing_on_is_set_aside(
    browser, live_server, owner_engine
) -> None:
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=6)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, base)
    # A server fault on this one URL (the service itself answers everything else).
    page.route("**/api/patrols/*/finish", lambda route: route.fulfill(status=500, body="{}"))
    pid = str(uuid.uuid4())
    _queue(page, {"kind": "patrol", "label": "巡查结束", "method": "POST",
                  "url": f"/api/patrols/{pid}/finish", "json": {"ended_at": "x"}})  # fmt: skip
    for _ in range(8):
        page.evaluate(SYNC)
        time.sleep(0.3)
    outbox = page.evaluate(OUTBOX_ALL)
    mine = [r for r in outbox if r["url"].endswith(f"{pid}/finish")]
    assert mine[0]["state"] == "failed" and mine[0]["attempts"] == 5
    context.close()


def test_a_worker_who_never_moved_ends_the_patrol_without_a_track(
    browser, live_server, owner_engine
) -> None:
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=7)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, base)
    page.click("#patrol-btn")
    page.wait_for_selector("#patrol-bar:not([hidden])")
    pid = page.evaluate(f"{APP}.then((m) => m.state.patrol.id)")
    # the same position recorded three times (the phone re-records after 30 s standing still)
    page.evaluate(
        f"([x, y]) => {APP}.then((m) => {{ const t = m.state.patrol;"
        " t.points = [[x, y], [x, y], [x, y]];"
        " t.acc = [5, 5, 5]; t.times = [0, 1, 2].map(() => new Date().toISOString()); })",
        [lon, lat],
    )
    page.click("#patrol-btn")
    headers = _token(base)

    def ended() -> dict | None:
        got = httpx.get(f"{base}/api/patrols/{pid}", headers=headers).json()
        return got if got.get("ended_at") else None

    got = eventually(ended)
    assert got is not None and got["ended_at"] is not None and got["track"] is None
    page.wait_for_function("document.querySelector('#pending-count').textContent === '0'")
    outbox = page.evaluate(OUTBOX_ALL)
    assert [r for r in outbox if r["state"] == "failed"] == []
    context.close()
