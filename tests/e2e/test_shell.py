"""The app shell in Chromium: `/` sends each demo role home, one header with the jurisdiction's
name on every desktop page, and the API docs rendered from npm with no request off-host."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from service.db.models import AppUser
from service.db.repositories.users import issue_token

pytestmark = pytest.mark.e2e

DESKTOP_PAGES = [
    "/work",
    "/map",
    "/stats",
    "/residential-areas",
    "/companies",
    "/grids",
    "/exports",
    "/account",
]
# the workbench is for the offices (planners have no cases to handle)
NO_WORKBENCH = {"planner"}


def _context(browser, server_url: str, owner_url: str, username: str):
    """A browser signed in as `username`, as /login leaves it (session and CSRF cookies)."""
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        user = session.scalars(select(AppUser).where(AppUser.username == username)).one()
        token, csrf = issue_token(session, user, kind="session", ttl_minutes=30)
    engine.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies(
        [
            {"name": "wangge_session", "value": token, "url": server_url},
            {"name": "wangge_csrf", "value": csrf or "", "url": server_url},
        ]
    )
    return context


def _jurisdiction(owner_url: str, username: str) -> tuple[str, str | None]:
    """(street or district name, community name) of a demo user, straight from the database."""
    who = _who(owner_url, username)
    return who[0], who[1]


def _who(owner_url: str, username: str) -> tuple[str, str | None, str | None, str | None]:
    """(street or district name, community name, department name, display name) of a user."""
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT coalesce(s.name, d.name), c.name, dep.name_zh, u.display_name"
                " FROM app_user u"
                " LEFT JOIN district d ON d.id = u.district_id"
                " LEFT JOIN community c ON c.id = u.community_id"
                " LEFT JOIN street s ON s.id = coalesce(u.street_id, c.street_id)"
                " LEFT JOIN department dep ON dep.id = u.department_id"
                " WHERE u.username = :u"
            ),
            {"u": username},
        ).one()
    engine.dispose()
    return row[0], row[1], row[2], row[3]


def _an_area_code(owner_url: str, username: str) -> str:
    """A 小区 inside the user's jurisdiction (its record page is a desktop page too)."""
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        code = conn.execute(
            text(
                "SELECT r.code FROM residential_area r JOIN community c ON c.id = r.community_id"
                " JOIN street s ON s.id = c.street_id JOIN app_user u ON u.username = :u"
                " WHERE u.community_id = c.id OR (u.community_id IS NULL AND"
                " (u.street_id = s.id OR (u.street_id IS NULL AND u.district_id = s.district_id)))"
                " ORDER BY r.code LIMIT 1"
            ),
            {"u": username},
        ).scalar_one()
    engine.dispose()
    return str(code)


def test_root_sends_each_role_home(browser, live_server, demo_db) -> None:
    base = live_server.url
    office_home = "/work" if httpx.get(f"{base}/work").status_code != 404 else "/map"
    expected = {
        "worker1": "/m",
        "planner": "/map",
        "admin": "/map",
        "street1": office_home,
        "community1": office_home,
        "district": office_home,
        "dept-fire": office_home,
    }
    for username, home in expected.items():
        context = _context(browser, base, demo_db.owner_url, username)
        page = context.new_page()
        page.goto(f"{base}/")
        assert page.url.split("?")[0] == f"{base}{home}", username
        context.close()
    anonymous = browser.new_context()
    page = anonymous.new_page()
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
    anonymous.close()


@pytest.mark.parametrize("username", ["street1", "community1", "planner", "district"])
def test_every_desktop_page_has_the_header(browser, live_server, demo_db, username) -> None:
    base = live_server.url
    street_or_district, community, _, display = _who(demo_db.owner_url, username)
    context = _context(browser, base, demo_db.owner_url, username)
    page = context.new_page()
    off_host: list[str] = []
    page.on("request", lambda r: off_host.append(r.url) if not r.url.startswith(base) else None)
    area_page = f"/residential-areas/{_an_area_code(demo_db.owner_url, username)}"
    for path in [*DESKTOP_PAGES, area_page]:
        if path == "/work" and username in NO_WORKBENCH:
            continue
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, (username, path)
        header = page.locator("#wg-shell")
        assert header.count() == 1, path
        where = page.locator("#wg-jurisdiction").inner_text()
        assert street_or_district in where, (path, where)
        if community:
            assert community in where, (path, where)
        # the person's name, not the account's username
        assert page.locator("#wg-user-name").inner_text() == (display or username), path
        labels = header.locator("nav a").all_inner_texts()
        assert {"地图", "统计", "小区", "物业企业", "导出"} <= set(labels), labels
        assert ("工作台" in labels) == (username not in NO_WORKBENCH), labels
        assert header.locator("button", has_text="退出").count() == 1
        assert "网格" in page.title()
        assert page.locator("link[rel=icon]").count() >= 1
    context.close()
    assert off_host == []


def test_a_department_has_the_header_on_its_pages(browser, live_server, demo_db) -> None:
    """dept-fire: its department and district in the header on every page its links open."""
    base = live_server.url
    district, _, department, display = _who(demo_db.owner_url, "dept-fire")
    assert department
    context = _context(browser, base, demo_db.owner_url, "dept-fire")
    page = context.new_page()
    page.goto(f"{base}/work")
    links = page.locator("#wg-shell nav a").evaluate_all("(as) => as.map((a) => a.pathname)")
    assert "/work" in links
    for path in [*links, "/account"]:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        where = page.locator("#wg-jurisdiction").inner_text()
        assert department in where and district in where, (path, where)
        assert page.locator("#wg-user-name").inner_text() == (display or "dept-fire"), path
    context.close()


def test_header_logout_signs_out(browser, live_server, demo_db) -> None:
    base = live_server.url
    context = _context(browser, base, demo_db.owner_url, "street1")
    page = context.new_page()
    page.goto(f"{base}/stats")
    page.click("#wg-shell button:has-text('退出')")
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/stats")
    assert page.url.startswith(f"{base}/login")
    context.close()


@pytest.mark.parametrize("path, ready", [("/docs", ".opblock"), ("/redoc", "[role=search]")])
def test_api_docs_render_with_no_external_request(browser, live_server, path, ready) -> None:
    """Swagger UI and Redoc come from npm via /vendor; nothing is fetched from another host.

    Redoc's sidebar asks for its maker's logo on a CDN: the page's Content-Security-Policy stops
    that in the browser, so no such request ever leaves the machine (it fails, blocked)."""
    base = live_server.url
    page = browser.new_page()
    answered: list[str] = []
    blocked: list[str] = []
    page.on("response", lambda r: answered.append(r.url))
    page.on("requestfailed", lambda r: blocked.append(r.url))
    response = page.goto(f"{base}{path}")
    assert (
        response is not None and "default-src 'self'" in response.headers["content-security-policy"]
    )
    page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert [u for u in answered if not u.startswith((base, "data:", "blob:"))] == []
    assert all(u == "https://cdn.redoc.ly/redoc/logo-mini.svg" for u in blocked), blocked
    assert any("/vendor/" in u for u in answered)
    if path == "/docs":
        assert page.locator("button.authorize").count() == 1  # security schemes are declared
    page.close()


def test_stats_for_a_street_office(browser, live_server, demo_db, artifacts_dir) -> None:
    """No district row offered to a street office; the trend legend does not run into the
    month labels; the 小区 that miss a target are listed and open the map where they are."""
    base = live_server.url
    context = _context(browser, base, demo_db.owner_url, "street1")
    page = context.new_page()
    page.goto(f"{base}/stats")
    links = page.locator("main p a").all_inner_texts()
    assert "按区县" not in links and "按街道" in links
    page.goto(f"{base}/stats?level=district")  # asked for anyway: it says whose share it is
    assert "仅本街道的小区" in page.inner_text("main h2:has-text('区县排名')")
    svg = page.locator("#trend").bounding_box()
    legend = page.locator("#trend-legend").bounding_box()
    assert svg and legend and legend["y"] >= svg["y"] + svg["height"] - 1
    group = page.locator(".shortfall[data-indicator=property_service]")
    total = int(group.locator("summary b").inner_text())
    page.screenshot(path=str(artifacts_dir / "stats-street1.png"), full_page=True)
    if total:
        group.locator("summary").click()
        link = group.locator("a").first
        href = link.get_attribute("href")
        lat, lon = (float(v) for v in href.split("at=")[1].split(","))
        link.click()
        page.wait_for_url("**/map?at=*")
        page.wait_for_load_state("networkidle")
        centre = page.evaluate(
            "import('/static/map.js').then((m) => m.ready).then((w) =>"
            " [w.map.getCenter().lat, w.map.getCenter().lng, w.map.getZoom()])"
        )
        assert centre[2] == 17 and abs(centre[0] - lat) < 1e-4 and abs(centre[1] - lon) < 1e-4
    context.close()
