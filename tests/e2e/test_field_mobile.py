"""The mobile page in real headless Chromium: a phone viewport with geolocation set.

worker1 files a report with a photo while offline, goes back online and sees it synced exactly
once; a short patrol is walked by moving the emulated position.
"""

from __future__ import annotations

import io
import time
import uuid

import httpx
import pytest
from PIL import Image

from tests.api.field_helpers import points_in_community_of
from tests.e2e.conftest import eventually

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}


def _token(base: str, user: str = "worker1") -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": user, "password": "demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def filed_reports(base: str, category: str, description: str) -> list[dict]:
    """The worker's reports with this description, once the phone's outbox has sent them."""
    headers = _token(base)

    def filed() -> list[dict]:
        items = httpx.get(
            f"{base}/api/reports", params={"category": category, "limit": 1000}, headers=headers
        ).json()
        return [r for r in items if r["description"] == description]

    return eventually(filed)


def _phone(browser, lon: float, lat: float, accuracy: float = 12):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": accuracy},
        permissions=["geolocation"],
    )
    return context, context.new_page()


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/m")
    # not logged in: the page sends the worker to the login page and back (session cookie)
    page.wait_for_url("**/login?next=/m")
    page.fill("input[name=username]", "worker1")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/m")
    page.wait_for_selector("#home:not([hidden])")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["wangge_session"]["httpOnly"] and cookies["wangge_session"]["sameSite"] == "Lax"
    assert page.evaluate("Object.keys(localStorage).every((k) => !k.includes('token'))")
    page.wait_for_function("document.querySelector('#position').textContent.includes('精度')")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), (30, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def _pending(page) -> int:
    return int(page.inner_text("#pending-count"))


def test_report_filed_offline_syncs_exactly_once(
    browser, live_server, owner_engine, artifacts_dir
) -> None:
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=77)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, base)
    description = f"离线上报 {uuid.uuid4()}"
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    assert page.inner_text("#net") == "离线"
    page.click("#report-btn")
    page.fill("#category-search", "消防通道")
    page.click("#category-list li[data-code=fire_lane_blocked]")
    page.fill("#description", description)
    page.set_input_files(
        "#photos", files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.wait_for_selector("#thumbs img")
    page.click("#report-submit")
    page.wait_for_selector("#home:not([hidden])")
    # one report with its photo counts as one item waiting (two records in the outbox)
    page.wait_for_function("document.querySelector('#pending-count').textContent === '1'")
    page.screenshot(path=str(artifacts_dir / "field_mobile_offline_pending.png"))
    time.sleep(1.0)  # a sync attempt while offline must leave the records queued
    assert _pending(page) == 1
    assert page.locator("#refused").is_hidden()  # waiting is not refused
    context.set_offline(False)
    page.wait_for_function(
        "document.querySelector('#pending-count').textContent === '0'", timeout=30_000
    )
    page.screenshot(path=str(artifacts_dir / "field_mobile_synced.png"))
    routed = page.inner_text("#last-sent")
    assert routed.startswith("已上报 → ") and "小时内处置" in routed, routed
    headers = _token(base)
    found = httpx.get(
        f"{base}/api/reports",
        params={"category": "fire_lane_blocked", "limit": 1000},
        headers=headers,
    ).json()
    mine = [r for r in found if r["description"] == description]
    assert len(mine) == 1
    report = mine[0]
    assert report["crs"] == "wgs84" and report["placed_by_hand"] is False
    assert report["location"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    detail = httpx.get(f"{base}/api/reports/{report['id']}", headers=headers).json()
    outbox = page.evaluate("import('/static/m/queue.js').then((m) => m.Outbox.all())")
    assert len(detail["photos"]) == 1, [(r["label"], r.get("error")) for r in outbox]
    photo = httpx.get(f"{base}{detail['photos'][0]['url']}", headers=headers)
    assert max(Image.open(io.BytesIO(photo.content)).size) == 1600  # resized on the phone
    # the page syncing again (e.g. after a reload) creates nothing new
    page.evaluate("import('/static/m/app.js').then((m) => m.sync())")
    time.sleep(0.5)
    again = httpx.get(
        f"{base}/api/reports",
        params={"category": "fire_lane_blocked", "limit": 1000},
        headers=headers,
    ).json()
    assert [r["id"] for r in again if r["description"] == description] == [report["id"]]
    context.close()


def test_a_short_patrol_is_recorded(browser, live_server, owner_engine, artifacts_dir) -> None:
    base = live_server.url
    walk = points_in_community_of(owner_engine, "worker1", 4, seed=88)
    context, page = _phone(browser, *walk[0])
    _log_in(page, base)
    page.click("#patrol-btn")
    page.wait_for_selector("#patrol-bar:not([hidden])")
    for lon, lat in walk[1:]:
        context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
        time.sleep(2.5)
    page.wait_for_function("Number(document.querySelector('#patrol-points').textContent) >= 3")
    page.click("#checklist-toggle")
    page.select_option("select[data-theme=sanitation]", "ok")
    page.select_option("select[data-theme=safety]", "issue")
    page.fill("#patrol-note", "东门消防通道有杂物")
    page.click("#checklist-close")
    page.screenshot(path=str(artifacts_dir / "field_mobile_patrol.png"))
    page.click("#patrol-btn")
    headers = _token(base)

    def ended() -> list[dict]:
        patrols = httpx.get(f"{base}/api/patrols", headers=headers).json()["items"]
        return [p for p in patrols if p["note"] == "东门消防通道有杂物" and p["ended_at"]]

    mine = eventually(ended)
    assert len(mine) == 1
    patrol = mine[0]
    assert patrol["ended_at"] is not None
    assert len(patrol["track"]["coordinates"]) >= 3
    assert patrol["checklist"] == {"sanitation": "ok", "safety": "issue"}
    assert len(patrol["track_accuracy_m"]) == len(patrol["track"]["coordinates"])
    context.close()


def test_poor_accuracy_asks_for_a_hand_placed_point(
    browser, live_server, owner_engine, artifacts_dir
) -> None:
    base = live_server.url
    (lon, lat), (lon2, lat2) = points_in_community_of(owner_engine, "worker1", 2, seed=99)
    context, page = _phone(browser, lon, lat, accuracy=180)
    _log_in(page, base)
    page.click("#report-btn")
    warning = page.locator("#accuracy-warning")
    assert warning.is_visible() and "180" in warning.inner_text()
    page.click("#pick-on-map")
    page.wait_for_selector("#home:not([hidden])")
    # the worker pans to the spot and taps it
    # (re-centred until it holds: the page's own first zoom to the GPS fix may still be
    # animating, and Leaflet ends that animation at its own target)
    page.evaluate(
        """async ([lat, lon]) => {
            const { map } = await import("/static/m/app.js");
            for (let i = 0; i < 20; i++) {
                map.setView([lat, lon], 17, {animate: false});
                await new Promise((done) => setTimeout(done, 150));
                const c = map.getCenter();
                if (map.getZoom() === 17 && Math.abs(c.lat - lat) + Math.abs(c.lng - lon) < 1e-6) {
                    return;
                }
            }
        }""",
        [lat2, lon2],
    )
    point = page.evaluate(
        "([lat, lon]) => import('/static/m/app.js')"
        ".then((m) => m.map.latLngToContainerPoint([lat, lon]))",
        [lat2, lon2],
    )
    box = page.locator("#map").bounding_box()
    assert box and 0 <= point["x"] < box["width"] and 0 <= point["y"] < box["height"], (point, box)
    page.locator("#map").click(position={"x": point["x"], "y": point["y"]})
    page.wait_for_selector("#report:not([hidden])")
    assert "手动选点" in page.inner_text("#report-position")
    page.fill("#category-search", "违章")
    page.click("#category-list li[data-code=illegal_construction]")
    description = f"手动选点 {uuid.uuid4()}"
    page.fill("#description", description)
    page.click("#report-submit")
    mine = filed_reports(base, "illegal_construction", description)
    assert len(mine) == 1 and mine[0]["placed_by_hand"] is True
    assert mine[0]["accuracy_m"] == 180
    assert mine[0]["location"]["coordinates"] == pytest.approx([lon2, lat2], abs=2e-4)
    context.close()


def test_the_page_opens_offline_from_the_service_worker(browser, live_server, owner_engine):
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=5)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, live_server.url)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    manifest = page.evaluate("fetch('/m/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/m" and manifest["display"] == "standalone"
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#home:not([hidden])")
    assert page.inner_text("#net") == "离线"
    assert page.locator("#report-btn").is_visible()
    context.close()


def test_a_refused_report_is_unmissable_on_the_home_screen(
    browser, live_server, artifacts_dir
) -> None:
    """A report the server refuses (filed far outside the worker's district) shows in red on the
    home screen with its reason and 修改 / 重试 / 删除, without opening the queue."""
    base = live_server.url
    context, page = _phone(browser, 116.397, 39.909)  # Beijing: not worker1's district
    _log_in(page, base)
    page.click("#report-btn")
    assert "坐标系" not in page.inner_text("#report")
    assert "116.39" not in page.inner_text("#report")  # no raw coordinates
    page.fill("#category-search", "消防通道")
    page.click("#category-list li[data-code=fire_lane_blocked]")
    page.fill("#description", "北京的上报")
    page.click("#report-submit")
    page.wait_for_selector("#home:not([hidden])")
    refused = page.locator("#refused")
    refused.wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#refused-count") == "1 条未能提交"
    item = refused.locator("li.failed")
    assert "未能提交：" in item.inner_text() and len(item.inner_text()) > len("未能提交：")
    assert item.locator("button").all_inner_texts() == ["修改", "重试", "删除"]
    assert page.locator("#queue").is_hidden()
    assert _pending(page) == 0  # the counter counts waiting reports, not refused ones
    colour = refused.evaluate("(e) => getComputedStyle(e).borderTopColor")
    assert colour == "rgb(198, 40, 40)"
    page.screenshot(path=str(artifacts_dir / "field_mobile_refused.png"))
    # 修改 reopens the report as it was
    item.locator("button", has_text="修改").click()
    page.wait_for_selector("#report:not([hidden])")
    assert page.input_value("#description") == "北京的上报"
    assert "上次未能提交" in page.inner_text("#report-error")
    page.click("#report-cancel")
    # 删除 (confirmed) clears it
    page.once("dialog", lambda d: d.accept())
    refused.locator("button", has_text="删除").click()
    refused.wait_for(state="hidden")
    outbox = page.evaluate("import('/static/m/queue.js').then((m) => m.Outbox.all())")
    assert outbox == []
    context.close()


# every visible control of a sheet: its size and label (leaflet's own controls are not ours)
TAP_TARGETS = """(sheet) => [...document.querySelectorAll(
    `#${sheet} button, #${sheet} select, #${sheet} input:not([type=file]),`
    + ` #${sheet} label.photo-btn, #${sheet} .choices li`)]
  .filter((e) => e.offsetParent !== null && !e.closest('.leaflet-control-container'))
  .map((e) => { const r = e.getBoundingClientRect();
    return { what: e.id || e.textContent.trim().slice(0, 12), w: r.width, h: r.height }; })"""


def test_phone_page_is_easy_to_use(browser, live_server, owner_engine) -> None:
    """Tap targets of at least 44 px, a 拍照 button that opens the camera, category tiles with
    search, 提交 disabled while saving, my waiting report drawn on the map, no coordinates."""
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=1604)[0]
    context, page = _phone(browser, lon, lat)
    _log_in(page, base)
    small = [t for t in page.evaluate(TAP_TARGETS, "home") if min(t["w"], t["h"]) < 44]
    assert small == [], small
    page.click("#report-btn")
    page.wait_for_selector("#category-list li")
    assert page.get_attribute("#photos", "capture") == "environment"
    assert page.get_attribute("#photos", "accept") == "image/*"
    photo = page.locator("label.photo-btn").bounding_box()
    assert photo and photo["height"] >= 44 and photo["width"] >= 150
    small = [t for t in page.evaluate(TAP_TARGETS, "report") if min(t["w"], t["h"]) < 44]
    assert small == [], small
    text = page.inner_text("#report")
    assert "坐标系" not in text and f"{lon:.4f}" not in text and f"{lat:.4f}" not in text
    tiles = page.locator("#category-list li").count()
    page.fill("#category-search", "消防通道")
    assert 0 < page.locator("#category-list li:visible").count() < tiles
    page.click("#category-list li[data-code=fire_lane_blocked]")
    page.fill("#description", "易用性检查")
    context.set_offline(True)  # keep it waiting in the outbox
    page.wait_for_function("!navigator.onLine")
    # 提交 turns disabled while the report is being saved
    page.evaluate(
        """() => { const b = document.getElementById('report-submit'); window.__seen = [];
        new MutationObserver(() => window.__seen.push(b.disabled))
          .observe(b, { attributes: true, attributeFilter: ['disabled'] }); }"""
    )
    page.click("#report-submit")
    page.wait_for_selector("#home:not([hidden])")
    assert page.evaluate("window.__seen")[:1] == [True]
    page.wait_for_function("document.querySelector('#pending-count').textContent === '1'")
    # my waiting report is drawn on the map, grey (waiting, not refused), where it was filed
    drawn = page.evaluate(
        """() => import('/static/m/app.js').then(({ map }) => { const out = [];
        map.eachLayer((l) => { if (l instanceof L.CircleMarker && l.options.fillColor === '#9e9e9e')
          out.push([l.getLatLng().lng, l.getLatLng().lat]); }); return out; })"""
    )
    assert any(abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6 for x, y in drawn), drawn
    context.close()
