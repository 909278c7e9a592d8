"""The case-handling loop in real headless Chromium, by clicking the pages only.

worker1 files on /m; street1 受理 and 派遣 on /work; dept-fire 开始处置 and 处置完成 with a note
and an evidence photo; worker1 核查通过 on /m; street1 销号. Then: a department 退回 and the
street re-dispatches; an overdue report reaches the street's 已升级 queue after escalation.
"""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from service.services.escalation import run_escalation
from tests.api.field_helpers import points_in_community_of, report_body

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1366, "height": 900}


def _jpeg(color=(30, 140, 60)) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _token(base: str, user: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": user, "password": "demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _log_in(page, base: str, user: str, target: str) -> None:
    page.goto(f"{base}{target}")
    page.wait_for_url("**/login?next=**")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")


def _phone(browser, base: str, lon: float, lat: float):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    _log_in(page, base, "worker1", "/m")
    page.wait_for_selector("#home:not([hidden])")
    page.wait_for_function("document.querySelector('#position').textContent.includes('精度')")
    return context, page


def _desk(browser, base: str, user: str):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    _log_in(page, base, user, "/work")
    page.wait_for_selector("#queues button")
    return context, page


def _open(page, queue: str, marker: str) -> None:
    """Show a queue, search it for `marker` and open that case (the demo city has many)."""
    page.click(f"#queues button[data-queue={queue}]")
    page.wait_for_selector(f"#queues button[data-queue={queue}][aria-current=true]")
    page.fill("#f-q", marker)
    page.click("#filters button[type=submit]")
    row = page.locator("#case-rows tr", has_text=marker)
    row.wait_for()
    row.click()
    page.wait_for_selector("#case:not([hidden]):not([data-loading])")


def _press(page, label: str, status_after: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_selector(f"#case-status[data-status={status_after}]")


def test_the_whole_loop_by_clicking(browser, live_server, owner_engine, artifacts_dir) -> None:
    base = live_server.url
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=1401)[0]
    marker = f"消防通道被占 {uuid.uuid4().hex[:8]}"
    phone_ctx, phone = _phone(browser, base, lon, lat)
    phone.click("#report-btn")
    phone.fill("#category-search", "消防通道")
    phone.click("#category-list li[data-code=fire_lane_blocked]")
    phone.fill("#description", marker)
    phone.click("#report-submit")
    phone.wait_for_selector("#home:not([hidden])")
    phone.wait_for_function(
        "import('/static/m/queue.js').then((m) => m.Outbox.all()).then((all) => !all.length)",
        timeout=30_000,
    )

    street_ctx, street = _desk(browser, base, "street1")
    _open(street, "accept", marker)
    street.screenshot(path=str(artifacts_dir / "cases_work_street.png"))
    _press(street, "受理", "accepted")
    assert street.input_value("#dispatch-department") == "fire_rescue"  # from the category
    street.fill("#action-note", "请消防救援处置")
    _press(street, "派遣", "dispatched")

    dept_ctx, dept = _desk(browser, base, "dept-fire")
    _open(dept, "handling", marker)
    assert dept.get_by_role("button", name="销号", exact=True).count() == 0
    _press(dept, "开始处置", "in_progress")
    dept.fill("#action-note", "已清理消防通道堆放物")
    dept.set_input_files("#evidence", files=[_jpeg((200, 200, 40))])
    _press(dept, "处置完成", "handled")

    phone.click("#verify-btn")
    phone.locator("#verify-list li", has_text=marker).click()
    phone.set_input_files("#verify-photo", files=[_jpeg((40, 40, 200))])
    phone.wait_for_selector("#verify-thumb img")
    phone.fill("#verify-note", "现场已畅通")
    phone.click("#verify-pass")
    phone.wait_for_selector("#verify:not([hidden])")  # queued in the outbox
    phone.wait_for_function(
        "import('/static/m/queue.js').then((m) => m.Outbox.all()).then((all) => !all.length)",
        timeout=30_000,
    )

    _open(street, "close", marker)
    _press(street, "销号", "closed")
    street.screenshot(path=str(artifacts_dir / "cases_work_closed.png"))

    # 我的上报 on the phone shows the new status after sync
    phone.click("[data-back=verify]") if phone.is_visible("#verify-one") else None
    phone.evaluate("import('/static/m/app.js').then((m) => m.show('home'))")
    phone.click("#mine-btn")
    phone.evaluate("import('/static/m/app.js').then((m) => m.sync())")
    mine = phone.locator("#mine-list li", has_text=marker)
    mine.wait_for()
    phone.wait_for_function(
        "(m) => [...document.querySelectorAll('#mine-list li')].some("
        "(li) => li.textContent.includes(m) && li.dataset.status === 'closed')",
        arg=marker,
    )
    phone.screenshot(path=str(artifacts_dir / "cases_m_mine.png"))

    found = httpx.get(f"{base}/api/cases", params={"queue": "mine", "limit": 200},
                      headers=_token(base, "worker1")).json()["items"]  # fmt: skip
    rid = next(i["id"] for i in found if i["description"] == marker)
    detail = httpx.get(f"{base}/api/reports/{rid}", headers=_token(base, "street1")).json()
    steps = [(h["to_status"], h["actor"]) for h in detail["history"]]
    assert steps == [
        ("reported", "worker1"),
        ("accepted", "street1"),
        ("dispatched", "street1"),
        ("in_progress", "dept-fire"),
        ("handled", "dept-fire"),
        ("verified", "worker1"),
        ("closed", "street1"),
    ]
    assert all(h["created_at"] for h in detail["history"])
    assert sum(p["is_evidence"] for p in detail["photos"]) == 1 and len(detail["photos"]) == 2
    for ctx in (phone_ctx, street_ctx, dept_ctx):
        ctx.close()


def _file_by_api(base: str, owner_engine, seed: int, marker: str) -> str:
    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=seed)[0]
    body = report_body(lon, lat, category="fire_lane_blocked", description=marker)
    r = httpx.post(f"{base}/api/reports", json=body, headers=_token(base, "worker1"))
    assert r.status_code == 201, r.text
    return body["id"]


def test_a_department_returns_and_the_street_redispatches(
    browser, live_server, owner_engine
) -> None:
    base = live_server.url
    marker = f"误派事件 {uuid.uuid4().hex[:8]}"
    rid = _file_by_api(base, owner_engine, 1402, marker)
    street_ctx, street = _desk(browser, base, "street1")
    _open(street, "accept", marker)
    _press(street, "受理", "accepted")
    _press(street, "派遣", "dispatched")
    dept_ctx, dept = _desk(browser, base, "dept-fire")
    _open(dept, "handling", marker)
    dept.get_by_role("button", name="退回", exact=True).click()
    dept.wait_for_function(  # a note is required
        "document.querySelector('#case-error').textContent.includes('退回须说明原因')"
    )
    dept.fill("#action-note", "非消防事项，请改派城管")
    _press(dept, "退回", "accepted")
    street.click("#queues button[data-queue=accept]")  # refresh, then the 待派遣 queue
    _open(street, "dispatch", marker)
    assert "非消防事项" in street.inner_text("#case-history")
    street.select_option("#dispatch-department", "urban_management")
    _press(street, "派遣", "dispatched")
    detail = httpx.get(f"{base}/api/reports/{rid}", headers=_token(base, "street1")).json()
    assert detail["department"] == "urban_management"
    moves = [(h["from_status"], h["to_status"], h["actor"]) for h in detail["history"]]
    assert ("dispatched", "accepted", "dept-fire") in moves
    assert moves[-1] == ("accepted", "dispatched", "street1")
    street_ctx.close()
    dept_ctx.close()


def test_an_overdue_report_shows_in_the_street_escalated_queue(
    browser, live_server, owner_engine, settings
) -> None:
    base = live_server.url
    marker = f"超期事件 {uuid.uuid4().hex[:8]}"
    rid = _file_by_api(base, owner_engine, 1403, marker)
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE report SET deadline_at = now() - interval '2 hours' WHERE id = :id"),
            {"id": rid},
        )
    street_ctx, street = _desk(browser, base, "street1")
    street.click("#queues button[data-queue=escalated]")
    street.wait_for_selector("#queues button[data-queue=escalated][aria-current=true]")
    assert street.locator("#case-rows tr", has_text=marker).count() == 0
    run_escalation(settings)
    street.reload()
    street.wait_for_selector("#queues button")
    _open(street, "escalated", marker)
    assert "街道" in street.inner_text("#case-facts")
    row = street.locator("#case-rows tr", has_text=marker)
    assert "超期" in row.inner_text()
    street_ctx.close()


def test_community_and_grid_filters_are_pick_lists_of_my_jurisdiction(
    browser, live_server, owner_engine
) -> None:
    """street1 picks a community by name and one of its cells (第NNN网格), never typing a code;
    the queue then shows only that cell's reports."""
    base = live_server.url
    with owner_engine.begin() as conn:
        mine = conn.execute(
            text(
                "SELECT c.code, c.name FROM community c"
                " JOIN app_user u ON u.street_id = c.street_id"
                " WHERE u.username = 'street1' ORDER BY c.code"
            )
        ).all()
        others = (
            conn.execute(
                text(
                    "SELECT c.name FROM community c WHERE c.street_id <> (SELECT street_id FROM"
                    " app_user WHERE username = 'street1')"
                )
            )
            .scalars()
            .all()
        )
        # a report in a cell of the first community, so that the filtered queue is not empty
        worker_spot = conn.execute(
            text(
                "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))"
                " FROM grid_cell g JOIN community c ON c.id = g.community_id"
                " JOIN grid_assignment a ON a.cell_id = g.id AND a.valid_to IS NULL"
                " JOIN app_user u ON u.id = a.worker_id AND u.username = 'worker1'"
                " WHERE g.is_active ORDER BY g.code LIMIT 1"
            )
        ).one()
    cell_code, lon, lat = worker_spot
    marker = f"筛选{uuid.uuid4().hex[:6]}"
    body = report_body(lon, lat, category="fire_lane_blocked", description=marker)
    r = httpx.post(f"{base}/api/reports", json=body, headers=_token(base, "worker1"))
    assert r.status_code == 201, r.text
    context, page = _desk(browser, base, "street1")
    try:
        page.click("#queues button[data-queue=accept]")
        page.wait_for_selector("#queues button[data-queue=accept][aria-current=true]")
        labels = page.locator("#f-community option").all_inner_texts()
        assert labels[0] == "全部社区"
        assert sorted(labels[1:]) == sorted(name for _, name in mine)
        assert not set(labels) & set(others)
        assert not any(label.isdigit() for label in labels)
        assert page.locator("#f-grid").is_disabled()
        community = next(name for code, name in mine if cell_code.startswith(code))
        page.select_option("#f-community", label=community)
        page.wait_for_selector("#f-grid:not([disabled]) option:nth-child(2)", state="attached")
        cells = page.locator("#f-grid option").all_inner_texts()
        assert all(c.startswith("第") and c.endswith("网格") for c in cells[1:])
        page.select_option("#f-grid", value=cell_code)
        page.click("#filters button[type=submit]")
        page.locator("#case-rows tr", has_text=marker).wait_for()
        places = page.locator("#case-rows tr td:nth-child(4)").all_inner_texts()
        assert places and all(p == f"{community} / {cell_code}" for p in places)
    finally:
        context.close()
