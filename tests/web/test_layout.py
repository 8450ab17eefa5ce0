"""Layout of the review desk in Chromium at a laptop (1366×768), a desktop (1440×900) and a phone
(390×844): every field of the longest record type and the approve / reject buttons inside the
viewport without scrolling on the laptop and desktop; nothing scrolls sideways anywhere. The pages
are seeded directly (no OCR: the layout is the subject), with a generated scan as the page image.
Screenshots go to test-artifacts/ and the measured figures to test-artifacts/layout_desk.json."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from core.settings import Settings
from schemas import DOCUMENT_TYPES
from storage import keys
from storage.db import session_scope
from storage.models import Document, Page
from storage.objects import ObjectStore
from testing.browser import ARTIFACTS, launch_chromium, serve_app
from web.auth import create_user

from .conftest import GOOD_HKD, PASSWORD, seeding

VIEWPORTS = {"laptop": (1366, 768), "desktop": (1440, 900), "tablet": (768, 1024), "phone": (390, 844)}
NARROW = ("tablet", "phone")  # one column: full-width scan, the action bar stuck to the screen's bottom
HKD = "giay_chung_nhan_ho_kinh_doanh"  # the longest field list of the catalogue's common types


def _record(i: int) -> dict[str, Any]:
    fields: dict[str, Any] = {f.name: f"Giá trị {f.name}" for f in DOCUMENT_TYPES[HKD].fields}
    fields.update(GOOD_HKD)
    fields["holder_address"] = "Thôn Tân Dân, xã Vạn Thắng, tỉnh Khánh Hòa"
    fields["business_address"] = "Số 12 đường Hùng Vương, xã Vạn Ninh, tỉnh Khánh Hòa"
    fields["holder_id_number"] = ("056185001235", 0.61)  # a low-confidence value with a reason shown
    fields["signer_name"] = ("Nguyễn Văn An", 0.55)
    return {"fields": fields, "file": f"hkd-{i}.png"}


def _page_png(tmp_path: Path) -> tuple[bytes, int, int]:
    from samples import generate_batch

    sample = generate_batch(tmp_path / "scan", count=1, seed=3, formats=("png",), damages=("light",),
                            document_types=(HKD,))[0]
    image = Image.open(tmp_path / "scan" / sample.file_name)
    image = image.convert("L").resize((1400, round(image.height * 1400 / image.width)))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue(), image.width, image.height


@pytest.fixture
def desk(sohoa_env: Settings, tmp_path: Path) -> Any:
    batch_id, ids = seeding.seed_batch(sohoa_env, [_record(i) for i in range(3)])
    png, width, height = _page_png(tmp_path)
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    with session_scope(sohoa_env.db_url) as s:
        for doc_id in ids:
            s.add(Page(document_id=doc_id, number=1, width=width, height=height, dpi=200))
            store.put_bytes(store.bucket("work"), keys.work_key(doc_id, "review-page-1.png"), png,
                            content_type="image/png")
        statuses = [s.get_one(Document, i).status for i in ids]
    assert "needs_review" in statuses, statuses
    create_user("lan", PASSWORD, "steward", provinces=["Khánh Hòa"], full_name="Nguyễn Thị Lan",
                db_url=sohoa_env.db_url)
    with serve_app(sohoa_env) as base:
        yield {"url": base, "batch_id": batch_id, "ids": ids}


_MEASURE = """() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  // inside the viewport AND not clipped by a scrolling box or covered (by the action bar, say):
  // the element is what the browser finds at its centre
  const inside = el => { const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= vh + 0.5 && r.right <= vw + 0.5)) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit === el || el.contains(hit); };
  const box = sel => { const el = document.querySelector(sel); if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height),
            inside: inside(el)}; };
  const inputs = Array.from(document.querySelectorAll('.field-input'));
  return {viewport: [vw, vh], page_width: document.documentElement.scrollWidth,
          page_height: document.documentElement.scrollHeight,
          fields: inputs.length, fields_visible: inputs.filter(inside).length,
          approve: box('#btn-approve'), reject: box('#btn-reject'), save: box('#btn-save'),
          scan: box('#page-image')};
}"""


def _login(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/review**")


def test_desk_fits_laptop_desktop_and_phone(desk: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    url, doc_id = desk["url"], desk["ids"][0]
    figures: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for name, (w, h) in VIEWPORTS.items():
            context = browser.new_context(viewport={"width": w, "height": h})
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            _login(page, url)
            queue = page.evaluate("() => document.documentElement.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / f"layout_queue_{name}.png"))
            page.goto(f"{url}/review/documents/{doc_id}")
            page.wait_for_function("() => document.getElementById('page-image').complete")
            m = page.evaluate(_MEASURE)
            m["queue_page_width"] = queue
            page.screenshot(path=str(ARTIFACTS / f"layout_record_{name}.png"))
            figures[name] = m
            if name in NARROW:
                # the actions stay at hand while the steward scrolls down to the last field
                page.locator(".field-input").last.scroll_into_view_if_needed()
                m["approve_after_scroll"] = page.locator("#btn-approve").evaluate(_INSIDE)
            m["errors"] = errors
            context.close()
        browser.close()
    print("\n" + json.dumps(figures))
    (ARTIFACTS / "layout_desk.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    for name, m in figures.items():
        w = m["viewport"][0]
        assert not m["errors"], (name, m["errors"])
        assert m["page_width"] <= w, f"{name}: the record page scrolls sideways ({m['page_width']} > {w})"
        assert m["queue_page_width"] <= w, f"{name}: the queue scrolls sideways ({m['queue_page_width']} > {w})"
        assert m["fields"] == len(DOCUMENT_TYPES[HKD].fields)
        if name in NARROW:
            assert m["scan"]["w"] >= w - 40, f"the scan is a thumbnail on the phone: {m['scan']}"
            # the action bar is on screen from the start, not only after scrolling
            assert m["approve"]["inside"] and m["reject"]["inside"] and m["save"]["inside"], (name, m)
            assert m["approve_after_scroll"], "approve is out of reach after scrolling to the last field"
        else:
            assert m["fields_visible"] == m["fields"], f"{name}: {m['fields_visible']}/{m['fields']} fields"
            assert m["approve"]["inside"] and m["reject"]["inside"] and m["save"]["inside"], (name, m)


_INSIDE = """el => { const r = el.getBoundingClientRect();
  if (!(r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth)) return false;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit); }"""


def test_scan_zooms_and_keeps_the_field_box(desk: dict[str, Any]) -> None:
    """Zoom in on the scan: the image grows, the field's box grows with it and stays on the image."""
    from playwright.sync_api import sync_playwright

    url, doc_id = desk["url"], desk["ids"][0]
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        _login(page, url)
        page.goto(f"{url}/review/documents/{doc_id}")
        page.wait_for_function("() => document.getElementById('page-image').complete")
        page.locator("#f-document_number").focus()
        before_img = page.locator("#page-image").bounding_box()
        before_box = page.locator("#bbox").bounding_box()
        page.click("#zoom-in")
        page.click("#zoom-in")
        after_img = page.locator("#page-image").bounding_box()
        after_box = page.locator("#bbox").bounding_box()
        assert before_img and after_img and before_box and after_box
        assert after_img["width"] > before_img["width"] * 1.4
        assert after_box["width"] > before_box["width"] * 1.4
        # keyboard: "0" fits the page again
        page.keyboard.press("Escape")
        page.keyboard.press("0")
        assert abs(page.locator("#page-image").bounding_box()["width"] - before_img["width"]) < 2
        browser.close()


def test_next_record_page_is_preloaded(desk: dict[str, Any], app_client: Any) -> None:
    """The record page asks the browser to fetch the next doubtful record's scan ahead of time."""
    client = app_client("lan")
    first = desk["ids"][0]
    html = client.get(f"/review/documents/{first}").text
    with session_scope() as s:
        others = [d for d in s.scalars(select(Document.id).where(Document.id != first,
                                                               Document.status == "needs_review"))]
    assert others
    assert 'rel="prefetch"' in html and any(f"/review/documents/{o}/pages/1.png" in html for o in others)


def test_history_speaks_field_names_and_vietnam_time(desk: dict[str, Any], app_client: Any,
                                                     sohoa_env: Settings) -> None:
    from datetime import UTC, datetime, timedelta

    from review import service
    from storage.models import FieldChange

    doc_id = desk["ids"][0]
    service.correct_fields(doc_id, {"signer_name": "Nguyễn Văn Ân"}, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        at = s.scalar(select(FieldChange.changed_at).where(FieldChange.document_id == doc_id))
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    html = app_client("lan").get(f"/review/documents/{doc_id}").text
    history = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert "Người ký" in history and ">signer_name<" not in history
    local = (at + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")
    assert local in history and "giờ Việt Nam" in history, (local, history[:400])
    assert datetime.now(UTC) - at < timedelta(minutes=5)


def test_validation_report_and_data_docs_in_the_house_style(desk: dict[str, Any], sohoa_env: Settings) -> None:
    """validation.html names rules and fields in Vietnamese; the expectations have a Vietnamese page;
    GE's own Data Docs page loads nothing from the Internet and fits the window (it was 2,720 px wide)."""
    from playwright.sync_api import sync_playwright

    from review.ge import run_batch_expectations
    from review.validate import write_validation_report

    url, batch_id = desk["url"], desk["batch_id"]
    store = ObjectStore(sohoa_env)
    run_batch_expectations(batch_id, sohoa_env, store)
    write_validation_report(batch_id, sohoa_env, store)
    figures: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for name in ("laptop", "phone"):
            w, h = VIEWPORTS[name]
            page = browser.new_context(viewport={"width": w, "height": h}).new_page()
            outside: list[str] = []
            page.on("request", lambda r, outside=outside: outside.append(r.url) if not r.url.startswith(url)
                    and not r.url.startswith("data:") else None)
            _login(page, url)
            page.goto(f"{url}/review/batches/{batch_id}/validation.html")
            text = page.inner_text("body")
            assert "Số CCCD/CMND" in text and "Độ tin cậy thấp" in text, text[:600]
            assert "holder_id_number" not in text and "confidence" not in text
            figures[f"validation_{name}"] = page.evaluate("() => document.documentElement.scrollWidth")
            page.goto(f"{url}/review/batches/{batch_id}/kiem-tra-du-lieu")
            text = page.inner_text("main")
            assert "Kiểm tra chất lượng dữ liệu" in text and "giờ Việt Nam" in text and "Số CCCD/CMND" in text
            figures[f"summary_{name}"] = page.evaluate("() => document.documentElement.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / f"layout_expectations_{name}.png"), full_page=True)
            page.click("text=trang gốc (tiếng Anh)")
            page.wait_for_load_state()
            assert "Xem bản tóm tắt tiếng Việt" in page.inner_text("body")
            sheet = page.evaluate("() => getComputedStyle(document.body).fontFamily")
            assert "Noto Sans" in sheet, sheet  # the app's local style sheet applies
            figures[f"data_docs_{name}"] = page.evaluate("() => document.documentElement.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / f"layout_data_docs_{name}.png"))
            assert not outside, outside
            for key in ("validation", "summary", "data_docs"):
                assert figures[f"{key}_{name}"] <= w, (key, figures)
        browser.close()
    print("\n" + json.dumps(figures))


def test_keys_and_seconds_per_record(desk: dict[str, Any]) -> None:
    """A steward clears the queue with the keyboard only: N opens the first record, A approves it and
    opens the next. Keys and seconds per record are measured in Chromium at 1366×768."""
    from playwright.sync_api import sync_playwright

    url, ids = desk["url"], desk["ids"]
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        _login(page, url)
        keys, started = 0, time.perf_counter()
        page.keyboard.press("n")
        keys += 1
        done: list[int] = []
        while len(done) < len(ids):
            page.wait_for_url("**/review/documents/*")
            page.wait_for_function("() => document.getElementById('page-image').complete")
            done.append(int(page.url.rsplit("/", 1)[1].split("?")[0]))
            page.keyboard.press("a")
            keys += 1
            if len(done) < len(ids):
                page.wait_for_url(lambda u, n=done[-1]: f"/documents/{n}" not in u)
        page.wait_for_url("**/review?**")
        seconds = time.perf_counter() - started
        browser.close()
    assert sorted(done) == sorted(ids)
    with session_scope() as s:
        assert {s.get_one(Document, i).status for i in ids} == {"approved"}
    figures = {"records": len(ids), "keys": keys, "keys_per_record": round(keys / len(ids), 2),
               "seconds_per_record": round(seconds / len(ids), 2)}
    print("\n" + json.dumps(figures))
    (ARTIFACTS / "desk_keys_seconds.json").write_text(json.dumps(figures) + "\n", encoding="utf-8")
    assert figures["keys_per_record"] <= 1.5
