"""Browser test (Chromium via Playwright): a steward types the real mã hồ sơ of a provisional record and
presses «Gắn mã hồ sơ thật»; a malformed code is refused with its banner first. Keyboard shortcuts of the
desk must not fire while the code is typed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from core.settings import Settings
from storage.db import session_scope
from storage.models import Document
from testing.browser import ARTIFACTS, launch_chromium, serve_app

from .conftest import GOOD_HKD, PASSWORD

TAM, REAL = "TAM.000.00.15.H34-261126-0021", "000.00.15.H34-200512-0121"


@pytest.fixture
def server(sohoa_env: Settings, users: None) -> Iterator[str]:
    with serve_app(sohoa_env) as base:
        yield base


def test_rekey_from_the_record_page_in_the_browser(sohoa_env, server, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD}], key="browser-rekey")
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.dossier_code, doc.dossier_provisional = TAM, True
        before = doc.status
    buf = io.BytesIO()
    Image.new("RGB", (1400, 1980), (250, 248, 240)).save(buf, "PNG")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/pages/*.png", lambda route: route.fulfill(status=200, content_type="image/png", body=buf.getvalue()))
        page.goto(f"{server}/login?next=/review/documents/{doc_id}")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/review/documents/{doc_id}*")

        page.fill("#real-dossier-code", "ABC")
        page.click("#btn-rekey")
        expect(page.locator(".error[role=alert]")).to_contain_text("không đúng dạng")
        page.fill("#real-dossier-code", REAL)  # letters typed here are not shortcuts (A would approve)
        page.click("#btn-rekey")
        expect(page.locator(".flash")).to_contain_text("Đã gắn hồ sơ")
        expect(page.locator(".record-head .meta")).to_contain_text(REAL)
        expect(page.locator("#btn-rekey")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "record-page-rekeyed.png"), full_page=True)
        browser.close()
    assert errors == []
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.dossier_code, doc.provisional_code, doc.status) == (REAL, TAM, before)  # only the code moved
