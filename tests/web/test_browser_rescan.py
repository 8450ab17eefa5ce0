"""Browser test (Chromium via Playwright): a steward sees the flagged page of a record, names its type
from the Vietnamese list, asks for a re-scan, and finds it on the "Chờ quét lại" list."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from core.settings import Settings
from review import service
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Page
from testing.browser import ARTIFACTS, launch_chromium, serve_app

from .conftest import GOOD_HKD, PASSWORD


@pytest.fixture
def server(sohoa_env: Settings, users: None) -> Iterator[str]:
    with serve_app(sohoa_env) as base:
        yield base


def test_flagged_page_type_change_and_rescan_in_the_browser(sohoa_env, server, seed) -> None:  # type: ignore[no-untyped-def]
    general = {k: v for k, v in GOOD_HKD.items() if k not in ("registration_number", "business_name")}
    _, (doc_id,) = seed([{"fields": general, "type": "van_ban_hanh_chinh"}])
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.page_count = 2
        s.add(Page(document_id=doc_id, number=1, width=1400, height=1980, dpi=300, quality={"dpi": 300, "flags": []}))
        s.add(Page(document_id=doc_id, number=2, width=1400, height=1980, dpi=200, quality={"dpi": 200, "flags": ["blank"]}))
        s.flush()
        service.revalidate_document(s, doc)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
    buf = io.BytesIO()
    Image.new("RGB", (1400, 1980), (250, 248, 240)).save(buf, "PNG")
    image = buf.getvalue()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/pages/*.png", lambda route: route.fulfill(status=200, content_type="image/png", body=image))
        page.goto(f"{server}/login?next=/review/documents/{doc_id}")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/review/documents/{doc_id}*")
        problems = page.locator(".page-problems li")
        assert problems.count() == 1 and "trang trắng" in problems.inner_text()
        assert page.locator(".page-tab.flagged").get_attribute("data-page") == "2"
        page.screenshot(path=str(ARTIFACTS / "record-page-quality.png"), full_page=True)

        page.select_option("#document-type", label="Quyết định")
        page.click("#btn-change-type")
        page.wait_for_selector("text=Đã đổi loại giấy tờ")
        assert "Quyết định" in page.locator("h1").inner_text()

        assert "trang 2/2" in page.input_value("#rescan-reason")  # filled in from the flagged page
        page.fill("#rescan-reason", "trang 2 trắng: quét lại cả mặt sau")
        page.click("#btn-rescan")
        page.wait_for_selector("text=Đã yêu cầu quét lại hồ sơ")
        page.click("nav >> text=Chờ quét lại")
        page.wait_for_url(f"{server}/review/rescans*")
        row = page.locator("#rescans tr", has_text=f"#{doc_id}")
        assert row.count() == 1 and "trang 2 trắng: quét lại cả mặt sau" in row.inner_text()
        page.screenshot(path=str(ARTIFACTS / "rescans.png"), full_page=True)
        browser.close()
    assert errors == []
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.status, doc.document_type) == (DocumentStatus.RESCAN, "quyet_dinh")
