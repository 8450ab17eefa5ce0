"""The desk's type selector (issue 14): a steward names the record's type; the record is read again
from its stored OCR (real Tesseract output of a rendered page) as that type, validated again, and the
change is in its history. A steward's typed value survives the change."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from core.settings import Settings
from review import retype, service
from schemas.document_types import GENERAL_TYPE_CODE
from storage import keys
from storage.db import session_scope
from storage.models import Batch, Document, DocumentStatus, Field
from storage.objects import ObjectStore
from storage.review_models import ReviewDecision

HKD = "giay_chung_nhan_ho_kinh_doanh"


@pytest.fixture(scope="module")
def hkd_ocr() -> tuple[dict, dict]:  # type: ignore[type-arg]
    """A rendered household-business certificate, recognised once by Tesseract: (OCR JSON, truth)."""
    import ocr
    from samples import render_document

    pages, truth = render_document(HKD, seed=11, damage="none")
    result = ocr.ocr_pages([ocr.PageImage(image=p.convert("RGB"), dpi=300, number=n)
                             for n, p in enumerate(pages, start=1)], workers=1)
    return result.to_dict(), truth


def _as_general_record(settings: Settings, ocr_json: dict) -> int:  # type: ignore[type-arg]
    """The record as the pipeline left it had it been read as a general document."""
    import ocr

    store = ObjectStore(settings)
    store.ensure_buckets()
    general = ocr.read_fields(ocr.OcrResult.from_dict(ocr_json), GENERAL_TYPE_CODE)
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=hashlib.sha256(b"retype").hexdigest(), province="Khánh Hòa",
                      agency_code="000.00.15.H34", location="/batches/retype")
        s.add(batch)
        s.flush()
        doc = Document(batch_id=batch.id, file_name="thu.png", sha256="a" * 64, content_type="image/png",
                       size_bytes=1, page_count=1, province="Khánh Hòa", agency_code="000.00.15.H34",
                       document_type=GENERAL_TYPE_CODE, dossier_code="000.00.15.H34-200501-0001",
                       status=DocumentStatus.EXTRACTED, raw_key="raw/x.png",
                       review_reasons=["văn bản hành chính chung (không có mẫu riêng): người duyệt xác nhận loại văn bản"])
        s.add(doc)
        s.flush()
        key = keys.work_key(doc.id, "ocr.json")
        store.put_bytes(store.bucket("work"), key, json.dumps(ocr_json, ensure_ascii=False).encode())
        doc.ocr_key = key
        retype.save_extraction(s, doc.id, general)
        s.flush()
        service.revalidate_document(s, doc)
        doc.status = DocumentStatus.NEEDS_REVIEW
        return doc.id


def test_changing_the_type_reads_the_record_again_as_that_type(hkd_ocr, sohoa_env: Settings) -> None:  # type: ignore[no-untyped-def]
    ocr_json, truth = hkd_ocr
    doc_id = _as_general_record(sohoa_env, ocr_json)
    service.correct_fields(doc_id, {"signer_name": "Nguyễn Văn Steward"}, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        before = {f.name for f in s.scalars(select(Field).where(Field.document_id == doc_id))}
    assert "registration_number" not in before  # the general type has no such field

    retype.change_document_type(doc_id, HKD, "lan", store=ObjectStore(sohoa_env), db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        fields = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == doc_id))}
        assert doc.document_type == HKD and doc.status == DocumentStatus.NEEDS_REVIEW
        # read again from the OCR as a certificate: its own fields are there, read off the page
        assert fields["registration_number"].value == truth["fields"]["registration_number"]
        assert fields["business_name"].value
        assert fields["signer_name"].value == "Nguyễn Văn Steward" and fields["signer_name"].source == "steward"
        # the steward named the type: the "confirm the type" reason is answered
        assert not any(r.startswith("văn bản hành chính chung") for r in doc.review_reasons)
        decision = s.scalars(select(ReviewDecision).where(ReviewDecision.action == "change_type")).one()
        assert decision.reason == "Văn bản hành chính → Giấy chứng nhận đăng ký hộ kinh doanh"
        assert decision.actor == "lan"
    view = service.record_view(doc_id, db_url=sohoa_env.db_url)
    assert [f.name for f in view.fields][-3:] == ["registration_number", "business_name", "business_address"]


def test_a_type_outside_the_catalogue_or_the_same_type_is_refused(hkd_ocr, sohoa_env: Settings) -> None:  # type: ignore[no-untyped-def]
    doc_id = _as_general_record(sohoa_env, hkd_ocr[0])
    store = ObjectStore(sohoa_env)
    with pytest.raises(service.ReviewError, match="không có trong danh mục"):
        retype.change_document_type(doc_id, "unknown", "lan", store=store, db_url=sohoa_env.db_url)
    with pytest.raises(service.ReviewError, match="đã là loại «Văn bản hành chính»"):
        retype.change_document_type(doc_id, GENERAL_TYPE_CODE, "lan", store=store, db_url=sohoa_env.db_url)


def test_the_type_list_is_in_vietnamese_with_the_general_type_last() -> None:
    choices = retype.type_choices()
    assert choices[-1] == (GENERAL_TYPE_CODE, "Văn bản hành chính")
    assert (HKD, "Giấy chứng nhận đăng ký hộ kinh doanh") in choices and len(choices) >= 6
