"""The assessment (绩效考核) on /stats in Chromium: the table with scores and ranks for a
quarter, switching to communities with the form, the Excel download, and none for a grid
worker."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e.test_shell import _context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _this_quarter() -> str:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


def test_stats_shows_the_assessment(browser, live_server, demo_db, artifacts_dir) -> None:
    base = live_server.url
    quarter = _this_quarter()
    context = _context(browser, base, demo_db.owner_url, "district")
    page = context.new_page()
    page.goto(f"{base}/stats?period={quarter}")
    assert page.inner_text("#performance-title") == f"绩效考核（{quarter}，按街道）"
    rows = page.locator("#performance tbody tr")
    streets = rows.count()
    assert streets >= 2
    ranks = [rows.nth(i).locator("td").first.inner_text() for i in range(streets)]
    assert ranks[0] == "1", ranks
    scores = page.locator("#performance td.score").all_inner_texts()
    assert scores and all(0 <= float(s) <= 100 for s in scores)
    page.locator("#performance").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "stats-performance-district.png"), full_page=True)
    page.select_option("#perf-form select[name=by]", "community")
    page.click("#perf-form button")
    page.wait_for_url("**by=community**")
    assert "按社区" in page.inner_text("#performance-title")
    assert page.locator("#performance tbody tr").count() > streets
    href = page.get_attribute("#perf-xlsx", "href")
    assert href == f"/api/performance/assessment.xlsx?period={quarter}&by=community"
    got = context.request.get(f"{base}{href}")
    assert got.status == 200 and got.headers["content-type"].startswith(XLSX)
    page.goto(f"{base}/stats?period=%3Cscript%3Ealert(1)%3C/script%3E")
    assert page.inner_text("#perf-error")  # a refusal in words, the text shown as text
    assert page.locator("#performance-title script").count() == 0
    context.close()
    worker = _context(browser, base, demo_db.owner_url, "worker1")
    page = worker.new_page()
    page.goto(f"{base}/stats")
    assert page.locator("#performance").count() == 0  # a grid worker is not assessed here
    worker.close()


def _quarters_back(quarter: str, n: int) -> list[str]:
    year, q = int(quarter[:4]), int(quarter[-1])
    index = year * 4 + q - 1
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index - n + 1, index + 1)]


def test_stats_shows_each_units_score_and_rank_over_time(
    browser, live_server, demo_db, artifacts_dir
) -> None:
    base = live_server.url
    quarter = _this_quarter()
    context = _context(browser, base, demo_db.owner_url, "district")
    page = context.new_page()
    page.goto(f"{base}/stats?period={quarter}")
    assert page.inner_text("#perf-trend-title") == "得分与排名趋势（近 4 期）"
    heads = page.locator("#perf-trend thead th").all_inner_texts()
    assert heads == ["名称", *_quarters_back(quarter, 4), "走势"]
    # this quarter's column is the assessment table's score and rank, unit by unit
    table = {
        row.get_attribute("data-code"): row.locator("td").all_inner_texts()
        for row in page.locator("#performance tbody tr").all()
    }
    trend_rows = page.locator("#perf-trend tbody tr").all()
    assert len(trend_rows) == len(table) >= 2
    shown = 0
    for row in trend_rows:
        cells = row.locator("td").all_inner_texts()
        rank, score = (
            table[row.get_attribute("data-code")][0],
            table[row.get_attribute("data-code")][-1],
        )
        assert cells[0] == table[row.get_attribute("data-code")][1]  # the unit's name
        if score == "—":
            assert cells[4] == "—"
        else:
            assert cells[4] == f"{score}（第{rank}名）"
            shown += 1
    assert shown >= 1
    assert page.locator("#perf-trend svg.spark").count() == len(trend_rows)
    page.locator("#perf-trend").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "stats-performance-trend.png"), full_page=True)
    # months: the last six
    page.goto(f"{base}/stats?period=2026-03&by=community")
    assert page.inner_text("#perf-trend-title") == "得分与排名趋势（近 6 期）"
    heads = page.locator("#perf-trend thead th").all_inner_texts()
    assert heads[1:-1] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    context.close()
    # a street office: its own street only, in the trend as in the table
    context = _context(browser, base, demo_db.owner_url, "street1")
    page = context.new_page()
    page.goto(f"{base}/stats?period={quarter}")
    assert page.locator("#perf-trend tbody tr").count() == 1
    assert page.locator("#performance tbody tr").count() == 1
    context.close()
