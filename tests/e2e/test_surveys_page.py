"""A 小区's satisfaction survey in real headless Chromium: community1 makes the link on the 小区
page by clicking, a resident opens it on a phone without login and answers, and the 小区 page
then counts the answer with the suggested assessment score."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.e2e.test_cases_loop import DESK, PHONE, _log_in

pytestmark = pytest.mark.e2e


def test_make_a_link_and_answer_it_on_a_phone(
    browser, live_server, owner_engine, artifacts_dir
) -> None:
    base = live_server.url
    with owner_engine.connect() as conn:
        code = conn.execute(
            text(
                "SELECT a.code FROM residential_area a JOIN app_user u"
                " ON u.community_id = a.community_id WHERE u.username = 'community1'"
                " AND NOT EXISTS (SELECT 1 FROM survey_link l"
                "                 WHERE l.residential_area_id = a.id)"
                " ORDER BY a.code DESC LIMIT 1"
            )
        ).scalar_one()
    desk = browser.new_context(viewport=DESK, locale="zh-CN")
    page = desk.new_page()
    _log_in(page, base, "community1", f"/residential-areas/{code}")
    page.wait_for_selector("#survey:not([hidden])")
    assert "尚无答卷" in page.inner_text("#survey-tally")
    page.click("#survey-make")
    page.wait_for_function("document.querySelector('#survey-link').getAttribute('href')")
    path = page.get_attribute("#survey-link", "href")
    assert path and path.startswith("/survey/")

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    resident = phone.new_page()
    resident.goto(f"{base}{path}")
    assert "满意度调查" in resident.inner_text("h1")
    for question, answer in (("overall", "satisfied"), ("property_service", "basically"),
                             ("environment", "satisfied"), ("safety", "dissatisfied")):  # fmt: skip
        resident.check(f"input[name={question}][value={answer}]")
    resident.fill("textarea[name=comment]", "<b>楼道灯</b>坏了")
    resident.click("button[type=submit]")
    resident.wait_for_selector(".done")
    assert "提交成功" in resident.inner_text(".done")
    resident.screenshot(path=str(artifacts_dir / "survey-phone.png"), full_page=True)
    phone.close()

    page.reload()
    page.wait_for_selector("#survey:not([hidden])")
    page.wait_for_function("document.querySelector('#survey-tally').textContent.includes('份')")
    tally = page.inner_text("#survey-tally")
    assert "共 1 份" in tally and "满意率 100.0%" in tally and "建议得分 100" in tally
    page.screenshot(path=str(artifacts_dir / "survey-area.png"), full_page=True)
    desk.close()
