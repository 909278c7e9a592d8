"""The export form's download: the same checked /api/exports answer, dates in Beijing time;
`/` for an anonymous caller; the header escapes a hostile display name."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.api.pages.shell import Shell, header_html


def _bearer(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": user, "password": "demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_export_form_downloads_through_the_api(client: TestClient) -> None:
    headers = _bearer(client, "planner")
    page = client.get("/exports", headers=headers)
    assert page.status_code == 200 and 'action="/exports/download"' in page.text
    # the form offers every layer, format and CRS (EPSG:4490 and GCJ-02 named) and the labels
    for field in ("layer", "format", "area", "since", "until", "crs", "labels"):
        assert f'name="{field}"' in page.text, field
    for crs in ('value="wgs84"', 'value="cgcs2000"', "EPSG:4490", 'value="gcj02"'):
        assert crs in page.text
    r = client.get(
        "/exports/download",
        params={
            "layer": "reports",
            "format": "csv",
            "since": "2026-01-01",
            "crs": "cgcs2000",
            "labels": "zh",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = urlsplit(r.headers["location"])
    assert url.path == "/api/exports/reports.csv"
    query = parse_qs(url.query)
    assert query["since"] == ["2026-01-01T00:00:00+08:00"] and query["crs"] == ["cgcs2000"]
    assert query["labels"] == ["zh"]
    body = client.get(r.headers["location"], headers=headers)
    assert body.status_code == 200 and body.text.lstrip("\ufeff").startswith("id,")
    assert body.headers["x-wangge-crs"] == "cgcs2000"
    bad = client.get(
        "/exports/download", params={"layer": "nope"}, headers=headers, follow_redirects=False
    )
    assert bad.status_code == 422 and bad.json()["detail"]["message_zh"] == "请选择图层和格式"
    # a grid worker has no export right: no page
    assert client.get("/exports", headers=_bearer(client, "worker1")).status_code == 403


def test_root_and_favicon(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg")


def test_header_escapes_names() -> None:
    html = header_html(
        Shell(
            name="<script>x</script>",
            jurisdiction="a&b",
            links=(("map", "地图", "/map"),),
            csrf='"',
        ),
        "map",
    )
    assert "<script>x" not in html and "&lt;script&gt;" in html and "a&amp;b" in html
    assert 'aria-current="page"' in html and 'value="&quot;"' in html


def test_jurisdiction_names_of_demo_users(client: TestClient, settings) -> None:
    headers = _bearer(client, "community1")
    page = client.get("/account", headers=headers).text
    engine = create_engine(settings.database.owner_url)
    with engine.connect() as conn:
        street, community = conn.execute(
            text(
                "SELECT s.name, c.name FROM app_user u JOIN community c ON c.id = u.community_id"
                " JOIN street s ON s.id = c.street_id WHERE u.username = 'community1'"
            )
        ).one()
    engine.dispose()
    assert f"{street} · {community}" in page
