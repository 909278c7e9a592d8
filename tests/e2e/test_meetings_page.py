"""/meetings in real headless Chromium, by clicking: street1 records a joint meeting with fire
and rescue, takes up a case with an overdue decision owned by the department; the decision is on
the board as overdue; dept-fire opens the page, marks it done; the board empties of it. The
case link opens the case on /work. Hostile text stays text; no English in the visible text."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.e2e.test_cases_loop import DESK, _log_in

pytestmark = pytest.mark.e2e


def _api(base: str, user: str) -> httpx.Client:
    r = httpx.post(f"{base}/api/auth/token", data={"username": user, "password": "demo"})
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )


def _page(browser, base: str, user: str):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    _log_in(page, base, user, "/meetings")
    page.wait_for_selector("body[data-ready='1']")
    return context, page


def test_record_a_meeting_and_follow_its_decision_by_clicking(
    browser, live_server, artifacts_dir
) -> None:
    base = live_server.url
    marker = uuid.uuid4().hex[:6]
    title = f"联席会议{marker}"
    hostile = f'<img src=x onerror="window.__pwned=1">占道{marker}'
    # a case in street1 to take up (filed by community staff through the API)
    staff = _api(base, "community1")
    places = staff.get("/api/complaints/places", params={"q": "区"}).json()
    case_id = str(uuid.uuid4())
    r = staff.post(
        "/api/complaints",
        json={
            "id": case_id,
            "category": "fire_lane_blocked",
            "description": f"案件{marker}",
            "residential_area": places[0]["code"],
        },  # fmt: skip
    )
    assert r.status_code == 201, r.text

    ctx, page = _page(browser, base, "street1")
    page.click("#open-new")
    page.wait_for_selector("#new-meeting[open]")
    page.select_option("#n-kind", "street_joint")
    today = page.input_value("#n-date")
    page.fill("#n-title", title)
    page.locator("#n-depts label", has_text="消防").locator("input").check()
    page.click("#n-save")
    page.wait_for_selector("#detail:not([hidden])")
    assert title in page.inner_text("#d-title")
    assert "消防" in page.inner_text("#d-facts")

    # an agenda item about the case, owned by fire and rescue, due today (not yet overdue)
    page.fill("#i-topic", hostile)
    page.fill("#i-report", case_id)
    page.fill("#i-decision", "消防救援牵头清理")
    page.select_option("#i-dept", "fire_rescue")
    page.fill("#i-due", today)
    page.click("#i-save")
    item = page.locator("#d-items li", has_text=f"占道{marker}")
    item.wait_for()
    assert "办理中" in item.inner_text() and f"案件{marker}" in item.inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#d-items img").count() == 0  # the topic is text, not markup
    # the list shows the meeting; the export link carries the filters
    row = page.locator("#meeting-rows tr", has_text=title)
    assert row.count() == 1
    page.screenshot(path=str(artifacts_dir / "meetings-street.png"), full_page=True)
    # the page's own words speak Chinese: headings, column heads, labels, buttons, hints,
    # statuses and the cadence table (what people typed — titles, topics, from other tests
    # too — and account names are theirs, not the page's)
    own = page.locator(
        "main h1, main h2, main h3, main th, main label, main button, main legend, main .hint,"
        " #cadence-rows td, #d-items .overdue, #d-items .ok, #overdue .overdue"
    ).all_inner_texts()
    visible = "\n".join(own).replace(marker, "").replace("street1", "")  # hex; the recorder
    words = set(re.findall(r"[A-Za-z]{3,}", visible)) - {"CSV"}
    assert not words, words
    assert "会议提醒" in visible and "办理期限" in visible
    ctx.close()

    # a decision due before today is overdue: one more item through the API, due yesterday
    street = _api(base, "street1")
    mine = [m for m in street.get("/api/meetings").json() if m["title"] == title]
    assert [m["held_on"] for m in mine] == [today]
    # (the meeting was held today, so an overdue decision needs an earlier meeting)
    earlier = street.post(
        "/api/meetings",
        json={
            "kind": "street_joint",
            "held_on": "2026-11-01",
            "title": f"上月会议{marker}",
            "participants": ["fire_rescue"],
        },  # fmt: skip
    ).json()
    r = street.post(
        f"/api/meetings/{earlier['id']}/items",
        json={
            "topic": f"超期事项{marker}",
            "owner_department": "fire_rescue",
            "due_on": "2026-11-10",
        },  # fmt: skip
    )
    assert r.status_code == 201, r.text

    ctx, page = _page(browser, base, "dept-fire")
    late = page.locator("#overdue li", has_text=f"超期事项{marker}")
    late.wait_for()
    assert "已超期" in late.inner_text()
    assert page.locator("#open-new").is_hidden()  # a department records no meetings
    page.on("dialog", lambda d: d.accept("已清理完毕"))
    late.get_by_role("button", name="标记办结").click()
    page.locator("#overdue li", has_text=f"超期事项{marker}").wait_for(state="detached")
    page.screenshot(path=str(artifacts_dir / "meetings-department.png"), full_page=True)
    # the meeting it took part in opens; the case link goes to the workbench with the case
    page.locator("#meeting-rows tr", has_text=title).click()
    page.wait_for_selector("#detail:not([hidden])")
    page.locator("#d-items li", has_text=f"占道{marker}").get_by_role(
        "link", name="查看事件"
    ).click()
    page.wait_for_url("**/work?case=*")
    page.wait_for_selector("#case:not([hidden]):not([data-loading])")
    ctx.close()
