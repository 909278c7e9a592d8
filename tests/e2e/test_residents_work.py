"""Residents' cases on /work in real headless Chromium: community1 registers a complaint from
the form (address search → 小区), sees the caller in full on the case; after 销号 the case is in
待回访 and a 不满意 return visit reopens it, by clicking. Hostile text stays text."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image

from tests.e2e.test_cases_loop import _desk

pytestmark = pytest.mark.e2e


def _api(base: str, user: str) -> httpx.Client:
    r = httpx.post(f"{base}/api/auth/token", data={"username": user, "password": "demo"})
    token = r.json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


def _close_by_api(base: str, rid: str) -> None:
    """受理 … 销号 through the API (the loop by clicking is tests/e2e/test_cases_loop.py)."""
    staff, dept = _api(base, "community1"), _api(base, "dept-fire")

    def move(client: httpx.Client, to: str, note: str = "") -> None:
        r = client.post(f"/api/reports/{rid}/transitions", json={"to": to, "note": note})
        assert r.status_code == 200, r.text

    move(staff, "accepted")
    move(staff, "dispatched")
    move(dept, "in_progress")
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 0)).save(out, "JPEG")
    r = dept.post(f"/api/reports/{rid}/photos", files={"file": ("e.jpg", out.getvalue(),
                  "image/jpeg")}, data={"evidence": "true"})  # fmt: skip
    assert r.status_code == 201, r.text
    move(dept, "handled", "已处置")
    move(staff, "verified")
    move(staff, "closed")


def test_register_a_complaint_and_reopen_it_by_clicking(
    browser, live_server, artifacts_dir
) -> None:
    base = live_server.url
    marker = f"投诉{uuid.uuid4().hex[:6]}"
    hostile = f'<img src=x onerror="window.__pwned=1">{marker}'
    ctx, page = _desk(browser, base, "community1")
    page.click("#open-complaint")
    page.wait_for_selector("#complaint[open]")
    page.select_option("#c-channel", "hotline")
    page.select_option("#c-category", "fire_lane_blocked")
    page.fill("#c-description", hostile)
    page.fill("#c-name", "王小明")
    page.fill("#c-phone", "13912345678")
    page.fill("#c-ref", f"E2E-{marker}")
    page.fill("#c-q", "区")
    page.click("#c-search")
    page.locator("#c-places button.place").first.click()
    assert page.text_content("#c-where").startswith("小区：")
    page.screenshot(path=str(artifacts_dir / "residents_complaint_form.png"))
    page.click("#c-submit")
    page.wait_for_selector("#case:not([hidden]):not([data-loading])")
    page.wait_for_selector("#case-status[data-status=reported]")
    resident = page.text_content("#case-resident")
    assert "12345 热线" in resident and "王小明 13912345678" in resident
    assert hostile in page.text_content("#case-facts")  # shown as text, never as markup
    assert page.evaluate("window.__pwned") is None
    rid = page.get_attribute("#case", "data-id")
    assert rid

    _close_by_api(base, rid)
    page.click("#open-visits")
    page.locator("#visits-list button.place", has_text=marker).click()
    page.wait_for_selector("#case-status[data-status=closed]")
    page.wait_for_selector("#visit-save")
    page.select_option("#visit-result", "dissatisfied")
    page.fill("#visit-note", "通道仍被占用")
    page.check("#visit-reopen")
    page.click("#visit-save")
    page.wait_for_selector("#case-status[data-status=dispatched]")
    assert "不满意（已重新办理） · 通道仍被占用" in page.text_content("#case-resident")
    assert "回访不满意，重新办理：通道仍被占用" in page.text_content("#case-history")
    page.screenshot(path=str(artifacts_dir / "residents_reopened.png"))
    ctx.close()
