"""The 小区 page in headless Chromium: street1 edits a record; street2 and a worker cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

pytestmark = pytest.mark.e2e


def _log_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def _area(owner_engine: Engine) -> dict:
    with owner_engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT r.id, r.code, r.owners_committee_members FROM residential_area r"
                    " JOIN community c ON c.id = r.community_id"
                    " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                    " ORDER BY r.code DESC LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


def test_street_office_edits_on_the_page(browser, live_server, owner_engine, artifacts_dir):
    area = _area(owner_engine)
    base, path = live_server.url, f"/residential-areas/{area['code']}"
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "street1", path)
    page.wait_for_selector("#record-form[data-loaded]")
    members = 7 if area["owners_committee_members"] != 7 else 9
    page.fill("input[name=owners_committee_members]", str(members))
    page.fill("input[name=property_officer_name]", "<b>李物管</b>")
    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#msg.ok")
    assert "已保存 2 项" in page.inner_text("#msg")
    # the history is reloaded after the save (rows from earlier edits may already be there)
    page.wait_for_function("document.querySelector('#history').textContent.includes('李物管')")
    first_rows = page.inner_text("#history")
    assert "业委会人数" in first_rows and "物管员" in first_rows
    # user text is shown as text, never as markup
    assert page.locator("#history b").count() == 0
    page.screenshot(path=str(artifacts_dir / "records_page.png"), full_page=True)
    with owner_engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT owners_committee_members, property_officer_name FROM residential_area"
                " WHERE id = :i"
            ),
            {"i": area["id"]},
        ).one()
    assert tuple(stored) == (members, "<b>李物管</b>")

    # a second tab edits from the old version: the page says so and writes nothing
    stale = context.new_page()
    stale.goto(f"{base}{path}")
    stale.wait_for_selector("#record-form[data-loaded]")
    page.fill("input[name=owners_committee_members]", str(members + 1))
    page.click("#record-form button[type=submit]")
    page.wait_for_function("document.querySelector('#msg').textContent.includes('已保存 1')")
    stale.fill("input[name=owners_committee_members]", "3")
    stale.click("#record-form button[type=submit]")
    stale.wait_for_selector("#msg.error")
    assert "已被他人修改" in stale.inner_text("#msg")
    assert errors == []
    context.close()


def test_worker_sees_a_read_only_page_and_other_street_nothing(browser, live_server, owner_engine):
    area = _area(owner_engine)
    base, path = live_server.url, f"/residential-areas/{area['code']}"
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, base, "street2", "/map")
    response = page.goto(f"{base}{path}")
    assert response is not None and response.status == 404
    context.close()

    with owner_engine.connect() as conn:
        worker_area = conn.execute(
            text(
                "SELECT r.code FROM residential_area r JOIN app_user u"
                " ON u.community_id = r.community_id AND u.username = 'worker1' LIMIT 1"
            )
        ).scalar_one()
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, base, "worker1", f"/residential-areas/{worker_area}")
    page.wait_for_selector("#record-form[data-loaded]")
    assert page.locator("#record-form button[type=submit]").count() == 0
    assert page.locator("select[name=party_org_status]").is_disabled()
    context.close()


def test_map_popup_leads_to_the_record_page(browser, live_server, demo_db, owner_engine) -> None:
    from tests.e2e.test_maps_page import click_area, open_map

    with owner_engine.connect() as conn:
        area = conn.execute(
            text(
                "SELECT r.code, r.name, ST_Y(ST_PointOnSurface(r.geom)) AS lat,"
                " ST_X(ST_PointOnSurface(r.geom)) AS lon FROM residential_area r"
                " JOIN community c ON c.id = r.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                " ORDER BY r.code LIMIT 1"
            )
        ).one()
    context, page = open_map(browser, live_server.url, demo_db.owner_url, "street1", via_form=True)
    popup = click_area(page, area.lat, area.lon)
    link = popup.locator("a.wg-record-link")
    assert link.get_attribute("href") == f"/residential-areas/{area.code}"
    link.click()
    page.wait_for_url(f"{live_server.url}/residential-areas/{area.code}")
    assert page.locator("h1").inner_text() == area.name
    page.wait_for_selector("button[type=submit]")
    context.close()


def test_public_page_on_a_phone_without_login(browser, live_server, owner_engine, artifacts_dir):
    with owner_engine.connect() as conn:
        street, company = conn.execute(
            text(
                "SELECT s.code, co.name FROM residential_area r"
                " JOIN property_company co ON co.id = r.property_company_id"
                " JOIN community c ON c.id = r.community_id JOIN street s ON s.id = c.street_id"
                " ORDER BY s.code LIMIT 1"
            )
        ).one()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    response = page.goto(f"{live_server.url}/public")
    assert response is not None and response.status == 200
    page.click(f"a[href='/public?street={street}']")
    page.wait_for_selector("table.areas")
    text_shown = page.inner_text("main")
    assert company in text_shown and "物业监督电话" in text_shown and "红黑榜" in text_shown
    # no login was asked for, nothing is fetched from elsewhere, and it fits the phone's width
    assert "/login" not in page.url
    assert [u for u in requested if not u.startswith(live_server.url)] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "public_phone.png"), full_page=False)
    context.close()


def test_sheet_round_trip_in_the_browser(browser, live_server, owner_engine, tmp_path) -> None:
    import io

    from openpyxl import load_workbook

    base = live_server.url
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "community1", "/residential-areas")
    page.wait_for_selector("#areas tbody tr")
    with page.expect_download() as download:
        page.click("#download")
    wb = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    ws = wb["小区"]
    header = [c.value for c in ws[1]]
    note, party = header.index("备注") + 1, header.index("党组织") + 1
    ws.cell(row=2, column=note, value="浏览器批量维护")
    original_party = ws.cell(row=3, column=party).value
    ws.cell(row=3, column=party, value="不存在的组织")
    path = tmp_path / "sheet.xlsx"
    wb.save(path)

    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#refusals:not([hidden]) tbody tr")
    assert page.locator("#changes tbody tr").count() == 1
    assert "不存在的组织" in page.inner_text("#refusals")
    assert page.locator("#apply").is_disabled()

    ws.cell(row=3, column=party, value=original_party)
    wb.save(path)
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_function("!document.querySelector('#apply').disabled")
    page.click("#apply")
    page.wait_for_selector("#bulk-msg.ok")
    assert "已写入 1 项" in page.inner_text("#bulk-msg")
    code = ws.cell(row=2, column=1).value
    with owner_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT note FROM residential_area WHERE code = :c"), {"c": code}
        ).scalar_one()
    assert stored == "浏览器批量维护"
    # the flag filter narrows the list to flagged 小区
    total = page.locator("#areas tbody tr").count()
    page.select_option("#flag", "renovation_unplanned")
    page.wait_for_selector("#areas[data-flag=renovation_unplanned]:not([aria-busy])")
    assert page.locator("#areas tbody tr").count() < total
    assert all("未列入计划" in t for t in page.locator("#areas .flag-cell").all_inner_texts())
    assert errors == []
    context.close()


def test_companies_page_scoring_grading_and_grade_map(
    browser, live_server, owner_engine, artifacts_dir
) -> None:
    base, quarter = live_server.url, "2032Q2"
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "community1", "/companies")
    page.wait_for_selector("#score-form[data-ready]")
    assert page.locator("#decide").count() == 0  # a community scores, the district grades
    page.fill("#quarter", quarter)
    page.dispatch_event("#quarter", "change")
    # no survey answers in that quarter: the page says so and the item is scored by hand
    page.wait_for_function(
        "document.querySelector('#survey-basis').textContent.includes('没有满意度问卷')"
    )
    for box in page.locator("#items input").all():
        box.fill("91")
    page.fill("#score-form textarea", "季度检查：保洁到位")
    page.click("#score-form button[type=submit]")
    page.wait_for_selector("#score-msg.ok")
    assert "得分 91" in page.inner_text("#score-msg")
    area = page.eval_on_selector("#score-form select", "s => s.value")
    context.close()

    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "district", "/companies")
    features = page.evaluate(
        "import('/static/records/companies.js').then((m) => m.ready)"
        ".then((w) => w.layer.getLayers().length)"
    )
    with owner_engine.connect() as conn:
        areas = conn.execute(
            text(
                "SELECT count(*) FROM residential_area r JOIN community c ON c.id = r.community_id"
                " JOIN street s ON s.id = c.street_id"
                " JOIN app_user u ON u.district_id = s.district_id AND u.username = 'district'"
            )
        ).scalar_one()
        company = conn.execute(
            text(
                "SELECT co.name FROM residential_area r JOIN property_company co"
                " ON co.id = r.property_company_id WHERE r.code = :c"
            ),
            {"c": area},
        ).scalar_one()
    assert features == areas  # the district sees every 小区 coloured by grade
    page.wait_for_function("document.querySelectorAll('#grade-stats tbody tr').length >= 4")
    page.fill("#quarter", quarter)
    page.click("#decide")
    page.wait_for_selector("#decide-msg.ok")
    page.wait_for_function(
        "name => document.querySelector('#ranking').textContent.includes(name)", arg=company
    )
    assert "A级" in page.inner_text("#ranking")
    assert "红榜" in page.inner_text("#lists")
    page.screenshot(path=str(artifacts_dir / "companies_page.png"), full_page=False)
    assert errors == []
    context.close()


GRADE_FILLS = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}


def test_map_grade_and_party_coverage_layers(browser, live_server, owner_engine, artifacts_dir):
    """On /map, street1 colours its 小区 by company grade (one theme at a time, with legend)
    and by party coverage over owners' committees, with this year's target in the legend."""
    from tests.e2e.conftest import eventually
    from tests.e2e.test_maps_page import area_fills

    with owner_engine.connect() as conn:
        area = (
            conn.execute(
                text(
                    "SELECT r.code, co.credit_grade AS grade,"
                    " ST_Y(ST_PointOnSurface(r.geom)) AS lat,"
                    " ST_X(ST_PointOnSurface(r.geom)) AS lon FROM residential_area r"
                    " JOIN property_company co ON co.id = r.property_company_id"
                    " JOIN community c ON c.id = r.community_id"
                    " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                    " ORDER BY r.code LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, base, "street1", "/map")
    page.evaluate("import('/static/map.js').then((m) => m.ready).then(() => true)")
    page.locator("#layer-grade").check()
    legend = page.locator(".wg-legend[data-layer=grade]")
    assert legend.is_visible()
    assert page.locator(".wg-legend[data-layer=property]").is_hidden()  # one theme at a time
    for label in ("A级", "D级（重点监管）", "无物业企业（自管、准物业等）", "无物业", "无数据"):
        assert label in legend.inner_text()
    page.evaluate(
        "import('/static/map.js').then((m) => m.ready)"
        f".then((r) => r.map.setView([{area['lat']}, {area['lon']}], 16))"
    )
    # the grade layer is the only one drawn in the 小区 pane, and its colours are the grades'
    grade = GRADE_FILLS[area["grade"]]
    fills = eventually(lambda: grade in area_fills(page)) and area_fills(page)
    assert fills and grade in fills, area_fills(page)
    assert fills <= {*GRADE_FILLS.values(), "#9ecae1", "#525252", "#bdbdbd"}
    page.screenshot(path=str(artifacts_dir / "map-company-grades.png"))

    page.locator("#layer-partyCoverage").check()
    assert legend.is_hidden()
    note = page.locator("#party-coverage-note")
    page.wait_for_function(
        "() => document.querySelector('#party-coverage-note').textContent.includes('目标')"
    )
    party = page.evaluate(
        "fetch('/api/stats/party-coverage', {credentials: 'same-origin'}).then((r) => r.json())"
    )
    t = party["totals"]
    text_shown = note.inner_text()
    assert f"{t['rate'] * 100:.1f}%" in text_shown
    assert f"{t['with_party_org']} / {t['committees']} 个业委会" in text_shown
    assert f"{party['year']} 年目标 {party['target'] * 100:.0f}" in text_shown
    coverage = {"#b2182b", "#f4a582", "#f0f0f0", "#bdbdbd"}
    drawn = eventually(lambda: bool(area_fills(page)) and area_fills(page) <= coverage)
    fills = area_fills(page)
    assert drawn and fills and fills <= coverage, fills
    assert errors == []
    context.close()


def test_stats_page_party_coverage_and_grades(browser, live_server, artifacts_dir) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, base, "street1", "/stats")
    heading = page.locator("#party-coverage")
    assert "年目标" in heading.inner_text()
    card = page.locator(".card[data-indicator=party_committee]")
    assert "业委会党组织覆盖率" in card.inner_text()
    assert page.locator("svg[data-indicator=party_committee] line").count() == 1  # the target
    assert page.locator("#party-coverage-table tbody tr").count() >= 1
    rows = page.locator("#grade-stats tbody tr")
    assert rows.count() == 6
    assert page.locator("#grade-chart rect").count() >= 1
    page.locator("#company-grades").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "stats-party-grades.png"), full_page=True)
    context.close()


def test_an_edit_on_the_page_moves_the_statistics(browser, live_server, owner_engine) -> None:
    """street1 gives a committee's 小区 a party branch on its page: /stats counts it at once."""
    import re

    with owner_engine.connect() as conn:
        area = (
            conn.execute(
                text(
                    "SELECT r.code, r.party_org_status FROM residential_area r"
                    " JOIN community c ON c.id = r.community_id"
                    " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                    " WHERE r.owners_committee_status = 'established'"
                    " ORDER BY (r.party_org_status = 'none') DESC, r.code LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    new = "own_branch" if area["party_org_status"] in ("none", "instructor_only") else "none"
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()

    def covered() -> int:
        page.goto(f"{base}/stats")
        card = page.inner_text(".card[data-indicator=party_committee]")
        return int(re.search(r"(\d+) / \d+ 个业委会", card).group(1))  # type: ignore[union-attr]

    try:
        _log_in(page, base, "street1", "/stats")
        before = covered()
        page.goto(f"{base}/residential-areas/{area['code']}")
        page.wait_for_selector("#record-form[data-loaded]")
        page.select_option("select[name=party_org_status]", new)
        page.click("#record-form button[type=submit]")
        page.wait_for_selector("#msg.ok")
        assert covered() == before + (1 if new == "own_branch" else -1)
    finally:
        context.close()
        with owner_engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE residential_area SET party_org_status = :s, version = version + 1"
                    " WHERE code = :c"
                ),
                {"s": area["party_org_status"], "c": area["code"]},
            )


def test_form_waits_for_the_record_and_item_order_is_no_change(browser, live_server, owner_engine):
    """Typing before the record arrives would be overwritten: the form cannot be sent until it
    has loaded. Once loaded, 改造内容 stored in another order than the boxes is not a change."""
    with owner_engine.begin() as conn:
        code, kept = conn.execute(
            text(
                "SELECT r.code, r.renovation_items FROM residential_area r"
                " JOIN community c ON c.id = r.community_id"
                " JOIN app_user u ON u.street_id = c.street_id AND u.username = 'street1'"
                " ORDER BY r.code LIMIT 1 OFFSET 1"
            )
        ).one()
        # the boxes list 供水 (water) before 供电 (power)
        conn.execute(
            text("UPDATE residential_area SET renovation_items = '{power,water}' WHERE code = :c"),
            {"c": code},
        )
    base, path = live_server.url, f"/residential-areas/{code}"
    context = browser.new_context()
    page = context.new_page()
    try:
        _log_in(page, base, "street1", "/map")
        held = []
        page.route(f"{base}/api/residential-areas/{code}", lambda route: held.append(route))
        patches: list[str] = []
        page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)
        page.goto(f"{base}{path}")
        page.wait_for_function("document.querySelector('#record-form').ariaBusy === 'true'")
        assert page.locator("#record-form button[type=submit]").is_disabled()
        for _ in range(50):  # the route handler runs while Playwright waits
            if held:
                break
            page.wait_for_timeout(100)
        assert len(held) == 1
        held[0].continue_()
        page.wait_for_selector("#record-form[data-loaded]")
        assert page.locator("#record-form button[type=submit]").is_enabled()
        ticked = page.locator("input[name=renovation_items]:checked")
        assert sorted(ticked.evaluate_all("boxes => boxes.map(b => b.value)")) == ["power", "water"]
        page.click("#record-form button[type=submit]")
        page.wait_for_function("document.querySelector('#msg').textContent === '没有修改'")
        assert patches == []
    finally:
        context.close()
        with owner_engine.begin() as conn:
            conn.execute(
                text("UPDATE residential_area SET renovation_items = :k WHERE code = :c"),
                {"c": code, "k": list(kept)},
            )
