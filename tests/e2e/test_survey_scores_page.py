"""The score sheet on /companies in real headless Chromium, as community staff click it: the
业主评价与满意度 item is filled from the 小区's survey answers of the quarter with their count
beside it and cannot be typed over without ticking 调整 and giving a reason; a 小区 without
answers is scored by hand; the quarter's sheets show where each score came from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.e2e.test_cases_loop import DESK, _log_in

pytestmark = pytest.mark.e2e
QUARTER = "2033Q1"  # no demo answers or sheets
FED = "owner_satisfaction"


@pytest.fixture
def two_areas(owner_engine: Engine) -> Iterator[tuple[dict, dict]]:
    """Two of community1's 小区 with a company: the first gets three answers in QUARTER."""
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.code, a.name, s.district_id, c.street_id, a.community_id"
                " FROM residential_area a JOIN community c ON c.id = a.community_id"
                " JOIN street s ON s.id = c.street_id"
                " JOIN app_user u ON u.community_id = a.community_id"
                " WHERE u.username = 'community1' AND a.property_company_id IS NOT NULL"
                " ORDER BY a.code LIMIT 2"
            )
        ).mappings().all()  # fmt: skip
    if len(rows) < 2:
        pytest.skip("community1 has fewer than two 小区 with a company")
    first, second = dict(rows[0]), dict(rows[1])
    ids = {"ids": [first["id"], second["id"]], "q": QUARTER}
    with owner_engine.begin() as conn:
        for answer in ("satisfied", "basically", "dissatisfied"):
            conn.execute(
                text(
                    "INSERT INTO satisfaction_survey (residential_area_id, district_id,"
                    " street_id, community_id, quarter, source, overall, property_service,"
                    " environment, safety) VALUES (:id, :d, :s, :c, :q, 'resident', :o,"
                    " 'satisfied', 'satisfied', 'satisfied')"
                ),
                {"id": first["id"], "d": first["district_id"], "s": first["street_id"],
                 "c": first["community_id"], "q": QUARTER, "o": answer},
            )  # fmt: skip
    yield first, second
    with owner_engine.begin() as conn:
        conn.execute(text("ALTER TABLE satisfaction_survey DISABLE TRIGGER USER"))
        conn.execute(
            text(
                "DELETE FROM satisfaction_survey WHERE residential_area_id = ANY(:ids)"
                " AND quarter = :q"
            ),
            ids,
        )
        conn.execute(text("ALTER TABLE satisfaction_survey ENABLE TRIGGER USER"))
        conn.execute(
            text(
                "DELETE FROM property_assessment WHERE residential_area_id = ANY(:ids)"
                " AND quarter = :q"
            ),
            ids,
        )


def _basis(page, words: str) -> None:
    page.wait_for_function(
        "w => document.querySelector('#survey-basis').textContent.includes(w)", arg=words
    )


def _sheet_row(page, code: str, words: str) -> str:
    page.wait_for_function(
        "([c, w]) => { const r = document.querySelector(`#sheets tr[data-area='${c}']`);"
        " return r && r.textContent.includes(w); }",
        arg=[code, words],
    )
    return page.inner_text(f"#sheets tr[data-area='{code}']")


def test_the_surveys_fill_the_item_and_an_override_needs_a_reason(
    browser, live_server, two_areas, artifacts_dir
) -> None:
    first, second = two_areas
    base = live_server.url
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "community1", "/companies")
    page.wait_for_selector("#score-form[data-ready]")
    page.fill("#quarter", QUARTER)
    page.dispatch_event("#quarter", "change")
    page.select_option("#score-form select", first["code"])

    # 满意 1 + 基本满意 1 of 3 answers → 66.7, filled in and not typed over
    _basis(page, "依据 3 份问卷")
    assert "66.7 分" in page.inner_text("#survey-basis")
    item = page.locator(f"#items input[name={FED}]")
    assert item.input_value() == "66.7" and item.evaluate("e => e.readOnly")
    assert page.locator("#reason-box").is_hidden()
    for box in page.locator("#items input").all():
        if box.get_attribute("name") != FED:
            box.fill("80")
    page.click("#score-form button[type=submit]")
    page.wait_for_selector("#score-msg.ok")
    assert "业主评价与满意度 66.7 分，依据 3 份问卷" in page.inner_text("#score-msg")
    assert "66.7" in _sheet_row(page, first["code"], "依据 3 份问卷")

    # adjusting: tick, the reason becomes required; the browser will not send it without one
    page.check("#override")
    assert not item.evaluate("e => e.readOnly")
    assert page.locator("#reason-box").is_visible()
    item.fill("90")
    page.click("#score-form button[type=submit]")
    reason = page.locator("#score-form input[name=satisfaction_reason]")
    assert reason.evaluate("e => !e.validity.valid")  # required and empty: not submitted
    reason.fill("问卷集中在一栋楼，入户复核")
    page.click("#score-form button[type=submit]")
    page.wait_for_function("document.querySelector('#score-msg').textContent.includes('人工调整')")
    row = _sheet_row(page, first["code"], "人工调整（问卷 66.7 分，依据 3 份问卷）")
    assert "问卷集中在一栋楼，入户复核" in row and "90" in row
    page.screenshot(path=str(artifacts_dir / "companies-survey-score.png"), full_page=True)

    # a 小区 with no answers this quarter: said so, scored by hand
    page.select_option("#score-form select", second["code"])
    _basis(page, "没有满意度问卷")
    assert item.input_value() == "" and not item.evaluate("e => e.readOnly")
    assert page.locator("#override-box").is_hidden()
    item.fill("75")
    page.fill("#score-form input[name=satisfaction_reason]", "入户走访 20 户")
    page.click("#score-form button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#score-msg').textContent.includes('本季度无问卷')"
    )
    assert "入户走访 20 户" in _sheet_row(page, second["code"], "本季度无问卷，人工评分")
    assert errors == []
    context.close()
