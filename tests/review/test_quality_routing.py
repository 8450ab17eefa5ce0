"""Page quality routes a record (issue 14): a blank, too small, seal-only, blurred or turned page, or
a page count the manifest disagrees with, keeps the record out of automatic approval, with a
Vietnamese reason naming the page and the problem; the desk and the batch report show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from core.settings import Settings
from review import service
from review.quality import page_problems, record_problems
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Page

from .conftest import GOOD_HKD

CLEAN = {"dpi": 300, "flags": []}
BLANK = {"dpi": 200, "flags": ["blank", "low_resolution"], "blank": True}
TINY = {"dpi": 70, "flags": ["low_resolution", "too_small"]}
SEAL = {"dpi": 300, "flags": ["blank", "seal_only"]}
TURNED = {"dpi": 300, "flags": ["upside_down"]}


def test_each_flag_becomes_a_vietnamese_reason_naming_the_page() -> None:
    problems = page_problems([(1, CLEAN), (2, BLANK), (3, TINY), (4, SEAL), (5, TURNED)], page_count=5)
    assert [p.reason for p in problems] == [
        "bản quét trang 2/5: trang trắng, không có nội dung — cần quét lại",
        "bản quét trang 3/5: ảnh quá nhỏ (70 dpi), chữ chỉ cao vài điểm ảnh — cần quét lại",
        "bản quét trang 4/5: chỉ có dấu đỏ, không có chữ (có thể dấu thấm từ mặt sau) — cần quét lại",
        "bản quét trang 5/5: trang bị quét ngược (lộn đầu) — cần kiểm tra",
    ]
    assert [p.rescan for p in problems] == [True, True, True, False]
    assert page_problems([(1, {"dpi": 150, "flags": ["low_resolution", "blurry"]})], page_count=1)[0].reason == (
        "bản quét trang 1: độ phân giải thấp (150 dpi, dưới mức 200 dpi); ảnh bị mờ — cần quét lại")
    # 100-199 dpi alone: readable, checked by a person (not auto-approved), no re-scan by default
    coarse = page_problems([(1, {"dpi": 150, "flags": ["low_resolution"]})], page_count=1)
    assert [(p.reason, p.rescan) for p in coarse] == [
        ("bản quét trang 1: độ phân giải thấp (150 dpi, dưới mức 200 dpi) — cần kiểm tra", False)]
    counted = page_problems([(1, CLEAN)], page_count=1, manifest_pages=3)
    assert [p.reason for p in counted] == [
        "bản quét: danh mục ghi 3 trang, tệp có 1 trang (thiếu hoặc thừa trang) — cần quét lại"]
    assert page_problems([(1, CLEAN), (2, CLEAN)], page_count=2, manifest_pages=2) == []


def _with_pages(settings: Settings, doc_id: int, qualities: list[dict[str, Any]], *,
                manifest_pages: int | None = None) -> None:
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.page_count, doc.manifest_pages = len(qualities), manifest_pages
        for number, q in enumerate(qualities, start=1):
            s.add(Page(document_id=doc_id, number=number, width=1654, height=2339, dpi=q["dpi"], quality=q))
        s.flush()
        service.revalidate_document(s, doc)


@pytest.mark.parametrize("qualities, manifest, words", [
    ([CLEAN, BLANK], None, "trang 2/2: trang trắng"),
    ([TINY], None, "trang 1: ảnh quá nhỏ (70 dpi)"),
    ([CLEAN, SEAL], None, "trang 2/2: chỉ có dấu đỏ"),
    ([TURNED], None, "trang 1: trang bị quét ngược"),
    ([{"dpi": 150, "flags": ["low_resolution"]}], None, "trang 1: độ phân giải thấp (150 dpi"),
    ([CLEAN], 2, "danh mục ghi 2 trang, tệp có 1 trang"),
])
def test_a_record_with_a_problem_page_is_never_approved_by_the_rules(
        seed: Callable[..., tuple[int, list[int]]], sohoa_env: Settings,
        qualities: list[dict[str, Any]], manifest: int | None, words: str) -> None:
    _, (flagged, clean) = seed([{"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"document_number": "99/GCN-TCKH"}}])
    _with_pages(sohoa_env, flagged, qualities, manifest_pages=manifest)
    _with_pages(sohoa_env, clean, [CLEAN] * len(qualities), manifest_pages=len(qualities))
    with session_scope(sohoa_env.db_url) as s:
        flagged_doc, clean_doc = s.get_one(Document, flagged), s.get_one(Document, clean)
        assert clean_doc.status == DocumentStatus.APPROVED and clean_doc.review_reasons == []  # the control
        assert flagged_doc.status == DocumentStatus.NEEDS_REVIEW
        reasons = [r for r in flagged_doc.review_reasons if r.startswith("bản quét")]
        assert len(reasons) == 1 and words in reasons[0]
        # validated again (a steward's correction): the reason is recomputed, not repeated
        service.revalidate_document(s, flagged_doc)
        assert [r for r in flagged_doc.review_reasons if r.startswith("bản quét")] == reasons


def test_the_pipeline_validation_routes_by_page_quality(seed: Callable[..., tuple[int, list[int]]],
                                                        sohoa_env: Settings) -> None:
    from review.validate import validate_document
    from schemas.thresholds import load_thresholds

    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.page_count, doc.manifest_pages = 2, 2
        doc.status = DocumentStatus.EXTRACTED
        s.add_all([Page(document_id=doc_id, number=1, width=10, height=10, dpi=300, quality=CLEAN),
                   Page(document_id=doc_id, number=2, width=10, height=10, dpi=200, quality=BLANK)])
    with session_scope(sohoa_env.db_url) as s:  # as the validate stage calls it
        route = validate_document(s, s.get_one(Document, doc_id), thresholds=load_thresholds(sohoa_env),
                                  check_duplicates=True, check_superseded=False).route
    assert route == "needs_review"
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
        assert "bản quét trang 2/2: trang trắng, không có nội dung — cần quét lại" in doc.review_reasons


def test_approving_over_a_rescan_problem_needs_a_note_and_the_desk_shows_it(
        seed: Callable[..., tuple[int, list[int]]], sohoa_env: Settings) -> None:
    batch_id, (doc_id,) = seed([{"fields": GOOD_HKD}])
    _with_pages(sohoa_env, doc_id, [CLEAN, BLANK])
    with pytest.raises(service.ReviewError, match="trang cần quét lại.*trang 2/2: trang trắng"):
        service.approve_document(doc_id, "lan", db_url=sohoa_env.db_url)
    view = service.record_view(doc_id, db_url=sohoa_env.db_url)
    assert [(p.page, p.flags) for p in view.page_problems] == [(2, ("blank",))]
    report = service.batch_report(batch_id, db_url=sohoa_env.db_url)
    assert [(d, p.page) for d, _, p in report.page_problems] == [(doc_id, 2)]
    service.approve_document(doc_id, "lan", note="mặt sau để trắng theo bản gốc", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        assert s.scalar(select(Document.status).where(Document.id == doc_id)) == DocumentStatus.APPROVED
        assert [p.page for p in record_problems(s, s.get_one(Document, doc_id))] == [2]


def test_an_orientation_problem_alone_is_checked_not_rescanned(seed: Callable[..., tuple[int, list[int]]],
                                                               sohoa_env: Settings) -> None:
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    _with_pages(sohoa_env, doc_id, [TURNED])
    service.approve_document(doc_id, "lan", db_url=sohoa_env.db_url)  # no note needed: the text was read
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.APPROVED
