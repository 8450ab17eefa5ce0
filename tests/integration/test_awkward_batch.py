"""Issue 14, "done when": one demo-sized batch (samples/awkward.py, also `sohoa samples --awkward`)
through `sohoa run` with real intake, Tesseract, extraction, validation, PAdES signing, the shared S3
server and the reference warehouse, at the default review thresholds.

A blank page, a 70-dpi page, a cut page, an unknown kind, a bad manifest row, an expired
confirmation and a duplicate each end where issue 14 says, with a Vietnamese reason; a
permission-only PDF and the good results are signed; the good results of two agencies of one
province are signed with their own keys in the one run, and `sohoa verify --trust` accepts both; a
steward asks for a re-scan of the blank-backed paper, and its new scan replaces the record's file
and is signed, without a second record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.exitcodes import ExitCode
from core.settings import Settings, reset_settings
from review import rescan, service
from samples.awkward import CENTRE, JUSTICE, PROVINCE, AwkwardItem, put_rescan_in_place, write_awkward_batch
from schemas.document_types import get_document_type
from signing.pki import issue_agency_key
from sohoa.cli import main
from sohoa.pipeline import batch_answers, release_approved
from storage.db import session_scope
from storage.models import Document, DocumentStatus, RescanRequest, Result
from storage.objects import ObjectStore

pytestmark = pytest.mark.integration

JUSTICE_NAME = "Sở Tư pháp tỉnh Khánh Hòa"


_LOW_CONFIDENCE = re.compile(r"độ tin cậy [0-9,]+ < ngưỡng")


def _confirm_and_approve(doc_id: int, truth: dict[str, str | None], *, note: str = "đã đối chiếu từng trường với "
                         "bản giấy") -> list[str]:
    """A steward reads the fields off the scan (the printed values), corrects what differs and approves.
    Returns the fields corrected."""
    known = set(get_document_type(_doc_type(doc_id)).field_names)
    changes = {k: v for k, v in truth.items() if k in known and v is not None}
    corrected = list(service.correct_fields(doc_id, changes, "lan").changed) if changes else []
    service.approve_document(doc_id, "lan", note=note)
    return corrected


def _doc_type(doc_id: int) -> str:
    with session_scope() as s:
        return s.get_one(Document, doc_id).document_type


def _signed_pdf(settings: Settings, result: Result, out: Path) -> Path:
    store = ObjectStore(settings)
    out.write_bytes(store.get_bytes(store.bucket("work"), result.work_key, expected_sha256=result.signed_sha256))
    return out


def test_each_awkward_paper_ends_where_issue_14_says_and_the_rest_is_signed(  # type: ignore[no-untyped-def]
        pipeline_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings, pki = pipeline_env
    # A key per agency: the centre's is the deployment's test key, the Department of Justice has its own.
    justice_p12 = issue_agency_key(pki, "so-tu-phap-awkward", converter=JUSTICE_NAME)
    keys = tmp_path / "agency-keys.toml"
    keys.write_text(f'''
[agency."{CENTRE}"]
converter = "{settings.converter_name}"
pkcs12 = "{pki.agency_p12}"
password_env = "SOHOA_SIGNING_PASSWORD"

[agency."{JUSTICE}"]
converter = "{JUSTICE_NAME}"
pkcs12 = "{justice_p12}"
password_env = "SOHOA_SIGNING_PASSWORD"
''', encoding="utf-8")
    monkeypatch.setenv("SOHOA_SIGNING_KEYS", str(keys))
    reset_settings()
    settings = Settings()
    # The review thresholds stay the defaults: nothing here is lowered to make a record sign.

    out = tmp_path / "thu"
    items = write_awkward_batch(out)
    batch = out / "lo"
    assert main(["run", str(batch), "--province", PROVINCE, "--agency", CENTRE]) == 0
    capsys.readouterr()

    with session_scope() as s:
        batch_id = s.scalar(select(Document.batch_id))
        docs = {d.file_name: d for d in s.scalars(select(Document))}
        results = {r.document_id: r for r in s.scalars(select(Result))}
        s.expunge_all()
    answers = {a["file"]: a for a in batch_answers(batch_id)}
    assert set(answers) == {i.file for i in items}, set(answers) ^ {i.file for i in items}
    doubtful: dict[int, AwkwardItem] = {}  # good papers a steward must look at (a field below its threshold)
    for item in items:
        answer = answers[item.file]
        if item.ends == "signed":
            if answer["answer"] == "needs_review":
                # At the default thresholds a clean generated page may still have fields whose calibrated
                # confidence is below 0.90; then that, and nothing else, is why it waits.
                reasons = docs[item.file].review_reasons
                assert all(_LOW_CONFIDENCE.search(r) for r in reasons), (item.file, reasons)
                doubtful[answer["document_id"]] = item
            else:
                assert answer["answer"] == "processed", (item, answer)
                assert answer["document_id"] in results, item
        elif item.ends == "quarantined":
            assert answer["answer"] == "quarantined" and answer["status"] == "bad_manifest_row", answer
            assert item.reason in answer["reason"], (item, answer)
        else:
            assert answer["status"] == DocumentStatus.NEEDS_REVIEW, (item, answer)
            assert item.reason in answer["reason"], (item, answer)
            assert answer["document_id"] not in results, item  # never signed
    # the duplicate names the paper it repeats
    first = docs["01-ho-kinh-doanh.png"].id
    assert f"có thể trùng với hồ sơ #{first}" in answers["17-quet-trung.png"]["reason"]

    # None of the awkward papers is approved by a plain click (the expired one not even with a note).
    for file in ("11-mat-sau-trang.pdf", "12-anh-70dpi.png", "13-trang-bi-cat.png", "17-quet-trung.png"):
        with pytest.raises(service.ReviewError):
            service.approve_document(docs[file].id, "lan")
    with pytest.raises(service.ReviewError, match="Duyệt lưu trữ"):
        service.approve_document(docs["16-xac-nhan-het-han.png"].id, "lan", note="đã đối chiếu")

    # The doubtful good papers: a steward reads each field off the scan (correcting what OCR misread)
    # and approves; the release signs them. What the OCR misread is counted for the report.
    misread = {item.file: _confirm_and_approve(doc_id, item.truth) for doc_id, item in doubtful.items()}
    with capsys.disabled():  # the figure for the report (docs/review.md), not an assertion
        print("\nawkward batch: good papers held for confidence:", len(doubtful), "of",
              sum(i.ends == "signed" for i in items), "; fields corrected by the steward:", misread)
    if doubtful:
        assert release_approved(batch_id, settings)["signed"] == len(doubtful)
    with session_scope() as s:
        results = {r.document_id: r for r in s.scalars(select(Result))}
        s.expunge_all()
    signed = {docs[i.file].id for i in items if i.ends == "signed"}
    assert set(results) == signed  # the rest of the batch, and nothing else

    # Two agencies of one province, each signed with its own key in the one run; verify --trust accepts both.
    names = {CENTRE: settings.converter_name, JUSTICE: JUSTICE_NAME}
    for file in ("01-ho-kinh-doanh.png", "02-ho-kinh-doanh.png"):
        doc = docs[file]
        result = results[doc.id]
        assert result.converter == names[doc.agency_code] and result.signer == names[doc.agency_code], file
        pdf = _signed_pdf(settings, result, tmp_path / f"{doc.id}.pdf")
        assert main(["verify", str(pdf), "--trust", str(pki.root_cert_pem), "--offline", "--format", "json"]) \
            == ExitCode.OK
        report = json.loads(capsys.readouterr().out)
        assert report["status"] == "valid" and f"Đơn vị chuyển đổi: {names[doc.agency_code]}" in report["marker_lines"]
    assert {docs[f].agency_code for f in ("01-ho-kinh-doanh.png", "02-ho-kinh-doanh.png")} == {CENTRE, JUSTICE}

    # The re-scan: a steward asks for it, the team puts the new scan in place and runs the batch again.
    [blank_backed] = [i for i in items if i.rescan]
    doc_id = docs[blank_backed.file].id
    rescan.request_rescan(doc_id, "lan", "trang 2 trắng: quét lại tờ giấy")
    assert [r.file_name for r in rescan.awaiting()] == [blank_backed.file]
    put_rescan_in_place(out, blank_backed)
    assert main(["run", str(batch), "--province", PROVINCE, "--agency", CENTRE]) == 0
    with session_scope() as s:
        doc = s.get_one(Document, doc_id)
        assert not any("trang trắng" in str(r) for r in doc.review_reasons), doc.review_reasons
        assert all(_LOW_CONFIDENCE.search(r) for r in doc.review_reasons), doc.review_reasons
        status = doc.status
    if status == DocumentStatus.NEEDS_REVIEW:  # doubtful fields only, as above
        _confirm_and_approve(doc_id, blank_backed.truth)
        assert release_approved(batch_id, settings)["signed"] == 1
    with session_scope() as s:
        doc = s.get_one(Document, doc_id)
        assert doc.status in (DocumentStatus.STORED, DocumentStatus.SYNCED), (doc.status, doc.review_reasons)
        assert doc.sha256 != docs[blank_backed.file].sha256 and doc.page_count == 1
        request = s.scalar(select(RescanRequest).where(RescanRequest.document_id == doc_id))
        assert request is not None and (request.state, request.matched_by) == ("replaced", "file_name")
        assert request.old_raw_key == docs[blank_backed.file].raw_key  # the old scan is kept, named
        assert s.scalar(select(Result).where(Result.document_id == doc_id)) is not None
        assert len(list(s.scalars(select(Document)))) == len(docs)  # no second record
        # the rest of the batch is as it was: nothing signed twice, nothing doubtful signed since
        assert {r.document_id for r in s.scalars(select(Result))} == set(results) | {doc_id}
    assert rescan.awaiting() == []
