"""Browser test (Chromium via Playwright): a steward logs in, opens the next doubtful record with one
key, sees the field's box on the scan, corrects the field, approves, reads the history and the batch
report. Data come from the real stages (intake → OCR → extract → validate) on a generated sample."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.settings import Settings
from review import service
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, FieldChange
from testing.browser import ARTIFACTS, launch_chromium, serve_app
from web.auth import create_user

from .conftest import PASSWORD


@pytest.fixture
def digitised(sohoa_env: Settings, tmp_path: Path) -> dict[str, Any]:
    """Two generated scans taken through the real stage functions up to validation."""
    from intake import intake_batch
    from review.ge import run_batch_expectations
    from samples import generate_batch
    from sohoa import pipeline

    # The first scan carries a CCCD with one wrong digit (samples' injected error): what the
    # steward corrects against the citizen's record, whatever else OCR reads right or wrong.
    samples = generate_batch(tmp_path / "batch", count=2, seed=4, damages=("medium",),
                             errors={0: ("cccd_birth_year",)})
    report = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code="000.00.15.H34")
    batch_id = report.batch_id
    pipeline.ocr_batch(batch_id, sohoa_env)
    pipeline.extract_batch(batch_id, sohoa_env)
    pipeline.validate_batch(batch_id, sohoa_env)
    ge = run_batch_expectations(batch_id, sohoa_env)  # idempotent if validate_batch already ran it
    create_user("lan", PASSWORD, "steward", provinces=["Khánh Hòa"], full_name="Nguyễn Thị Lan",
                db_url=sohoa_env.db_url)
    truth = {s.file_name: dict(s.truth["fields"]) for s in samples}
    for sample in samples:  # what the fields should say is the value before the injected error
        for err in sample.truth.get("injected_errors", []):
            truth[sample.file_name][err["field"]] = err["original"]
    return {"batch_id": batch_id, "truth": truth, "ge_seconds": ge["seconds"]}


@pytest.fixture
def server(sohoa_env: Settings, digitised: dict[str, Any]) -> Any:
    with serve_app(sohoa_env) as base:
        yield base


def _doubtful(db_url: str, batch_id: int, truth: dict[str, dict[str, Any]]) -> tuple[int, str, str, str | None]:
    """A record in review and one of its fields whose OCR value differs from the ground truth
    (else its least confident field): (document id, file, field, true value)."""
    with session_scope(db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id,
                                                     Document.status == DocumentStatus.NEEDS_REVIEW)))
        assert docs, "the sample batch has no record needing review"
        for doc in docs:
            fields = list(s.scalars(select(Field).where(Field.document_id == doc.id).order_by(Field.confidence)))
            want = truth[doc.file_name]
            wrong = [f for f in fields if f.bbox and want.get(f.name) and f.value != want[f.name]]
            if wrong:
                return doc.id, doc.file_name, wrong[0].name, want[wrong[0].name]
        doc = docs[0]
        f = next(f for f in s.scalars(select(Field).where(Field.document_id == doc.id).order_by(Field.confidence))
                 if f.bbox)
        return doc.id, doc.file_name, f.name, truth[doc.file_name].get(f.name) or "Giá trị đã sửa"


def test_steward_corrects_and_approves_a_doubtful_record(sohoa_env: Settings, digitised: dict[str, Any],
                                                         server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    batch_id = digitised["batch_id"]
    doc_id, file_name, field_name, true_value = _doubtful(sohoa_env.db_url, batch_id, digitised["truth"])
    with session_scope(sohoa_env.db_url) as s:
        old_value = s.scalar(select(Field.value).where(Field.document_id == doc_id, Field.name == field_name))
    assert old_value, f"OCR read nothing for {field_name}: there is no old value to keep in the history"
    # the record the "n" key must open: the first of lan's queue (least confident first)
    first = service.next_doubtful(SimpleNamespace(role="steward", province_names=["Khánh Hòa"]),
                                  db_url=sohoa_env.db_url)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(f"{server}/review")
        expect(page).to_have_url(f"{server}/login?next=/review")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Hàng đợi rà soát")
        expect(page.locator("table.counts")).to_contain_text("Khánh Hòa")
        page.screenshot(path=str(ARTIFACTS / "review_queue.png"), full_page=True)

        # one key opens the next doubtful record (the least confident first)
        page.keyboard.press("n")
        page.wait_for_url(f"{server}/review/documents/*")
        opened = int(page.url.rsplit("/", 1)[1].split("?")[0])
        assert opened == first
        page.goto(f"{server}/review/documents/{doc_id}")  # the record whose field we correct
        expect(page.locator("#page-image")).to_have_js_property("complete", True)
        assert page.eval_on_selector("#page-image", "img => img.naturalWidth") > 500

        # the selected field's box is drawn over the scan
        field = page.locator(f"#f-{field_name}")
        field.focus()
        box = page.locator("#bbox")
        expect(box).to_be_visible()
        bb, ib = box.bounding_box(), page.locator("#page-image").bounding_box()
        assert bb and ib and bb["width"] > 5 and ib["x"] <= bb["x"] <= ib["x"] + ib["width"]
        page.screenshot(path=str(ARTIFACTS / "review_record.png"), full_page=True)

        # correct the field, save with the keyboard (Alt+S from inside the input)
        field.fill(true_value)
        page.keyboard.press("Alt+s")
        page.wait_for_url("**done=saved**")
        expect(page.locator(".flash")).to_contain_text("Đã lưu")
        expect(page.locator(f"#f-{field_name}")).to_have_value(true_value)
        expect(page.locator("#history")).to_contain_text(true_value)

        # approve with one key (with a note, which is required when errors are left)
        page.fill("#note", "Đã đối chiếu với bản giấy")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        # the corrected field is shown once more (old → new) before the approval counts
        expect(page.locator("#confirm-changes td.new")).to_have_text([true_value])
        expect(page.locator("#confirm-changes td.old")).to_have_text([old_value])
        page.keyboard.press("Enter")
        page.wait_for_url("**done=approved**")
        expect(page.locator(".flash")).to_contain_text(f"Đã duyệt hồ sơ #{doc_id}")

        # the record's history: who, when, old and new value, and the approval
        page.goto(f"{server}/review/documents/{doc_id}")
        history = page.locator("#history")
        expect(history).to_contain_text("lan")
        expect(history).to_contain_text("Duyệt")
        expect(history.locator("td.old").first).to_have_text(old_value)
        expect(history.locator("td.new").first).to_have_text(true_value)
        expect(page.locator("#status")).to_have_attribute("data-status", "approved")
        page.screenshot(path=str(ARTIFACTS / "review_history.png"), full_page=True)

        # the batch report: statuses, failures per rule and field, the steward's throughput, GE runs
        page.goto(f"{server}/review/batches/{batch_id}")
        expect(page.locator("#by-status")).to_contain_text("Đã duyệt")
        expect(page.locator("#throughput")).to_contain_text("lan")
        expect(page.locator("#expectations")).to_contain_text("sohoa.")
        page.screenshot(path=str(ARTIFACTS / "review_batch_report.png"), full_page=True)
        docs_link = page.locator("#expectations a", has_text="Data Docs").first
        href = docs_link.get_attribute("href")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        browser.close()
    assert not errors, errors

    with session_scope(sohoa_env.db_url) as s:
        change = s.scalar(select(FieldChange).where(FieldChange.document_id == doc_id))
        assert change is not None and change.changed_by == "lan" and change.new_value == true_value
        assert s.scalar(select(Field.source).where(Field.document_id == doc_id, Field.name == field_name)) == "steward"
        assert s.get_one(Document, doc_id).status == DocumentStatus.APPROVED
    _signed_with_the_correction(sohoa_env, tmp_path, batch_id, doc_id, field_name, true_value)

    # render times of the record page, measured on the test server (Server-Timing) and end to end
    with httpx.Client(base_url=server, cookies=cookies) as client:
        assert client.get(href).status_code == 200  # Data Docs served from the reports bucket
        server_ms, total_ms = [], []
        for _ in range(10):
            t0 = time.perf_counter()
            r = client.get(f"/review/documents/{doc_id}")
            total_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
            server_ms.append(float(r.headers["server-timing"].split("dur=")[1]))
        t0 = time.perf_counter()
        assert client.get(f"/review/documents/{doc_id}/pages/1.png").status_code == 200
        image_ms = (time.perf_counter() - t0) * 1000
    figures = {"record_page_server_ms_median": round(statistics.median(server_ms), 1),
               "record_page_http_ms_median": round(statistics.median(total_ms), 1),
               "page_image_cached_ms": round(image_ms, 1), "ge_seconds_per_batch": digitised["ge_seconds"]}
    print("\n" + json.dumps(figures))
    (ARTIFACTS / "review_timings.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def _signed_with_the_correction(settings: Settings, tmp_path: Path, batch_id: int, doc_id: int, field_name: str,
                                value: str) -> None:
    """Issue 4, "done when": a record corrected in the UI is signed with the corrected values. The
    release is what dags/sign_reviewed.py runs (sohoa.pipeline.release_approved: sign_batch + store_batch)."""
    import pikepdf
    from pydantic import SecretStr

    from signing import SignatureStatus, verify_pdf
    from signing.pki import make_test_pki
    from sohoa.pipeline import release_approved
    from storage.models import Result
    from storage.objects import ObjectStore

    pki = make_test_pki(tmp_path / "pki", converter=settings.converter_name)
    signing_env = settings.model_copy(update={"signing_pkcs12": pki.agency_p12,
                                              "signing_password": SecretStr(pki.password.decode())})
    released = release_approved(batch_id, signing_env)
    assert released["signed"] >= 1 and released["stored"] >= 1, released
    with session_scope(settings.db_url) as s:
        result = s.scalar(select(Result).where(Result.document_id == doc_id))
        assert result is not None and result.stored_key, "the corrected record was not signed and stored"
        bucket, key, sha = result.stored_bucket, result.stored_key, result.signed_sha256
        assert s.get_one(Document, doc_id).status == DocumentStatus.STORED
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(ObjectStore(signing_env).get_bytes(bucket, key, expected_sha256=sha))
    with pikepdf.open(pdf) as doc:
        payload = json.loads(doc.attachments["fields.json"].get_file().read_bytes())
    assert payload["fields"][field_name] == value  # the steward's value, not the OCR reading
    report = verify_pdf(pdf, trust_roots=[pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert all(c.status is SignatureStatus.VALID for c in report.checks)
