"""`sohoa backfill` (issue 14): records approved or signed under the older rules (page quality never
routed, every signed result still valid) are judged again; signed results are only listed."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from core.settings import Settings
from review import service
from review.backfill import backfill
from storage.db import session_scope
from storage.models import AuditEntry, Document, DocumentStatus, Page, Result
from storage.objects import ObjectStore

from .conftest import GOOD_HKD

MARITAL = GOOD_HKD | {"title": "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "issue_date": "2019-04-02",
                      "issuing_authority": "UỶ BAN NHÂN DÂN XÃ VẠN THẮNG", "signer_title": "CHỦ TỊCH",
                      "marital_status": "Hiện tại chưa đăng ký kết hôn với ai", "document_number": "12/XNHN"}
BLANK = {"dpi": 200, "flags": ["blank"], "blank": True, "estimated_dpi": 0}
CLEAN = {"dpi": 300, "flags": [], "estimated_dpi": 300}


def _old_state(settings: Settings, doc_id: int, *, status: str, pages: list[dict] | None = None) -> None:  # type: ignore[type-arg]
    """What a record made under the older rules looks like: its pages' flags never routed it."""
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.status = status
        for n, q in enumerate(pages or [], start=1):
            s.add(Page(document_id=doc_id, number=n, width=10, height=10, dpi=q["dpi"], quality=q))
        doc.page_count = len(pages or []) or 1
        doc.review_reasons = []


def test_old_records_are_judged_again_and_signed_ones_only_listed(
        seed: Callable[..., tuple[int, list[int]]], sohoa_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _, (blank, by_steward, expired, signed, clean) = seed([
        {"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"document_number": "2/GCN-TCKH"}},
        {"fields": MARITAL, "type": "xac_nhan_tinh_trang_hon_nhan"},
        {"fields": MARITAL | {"document_number": "13/XNHN"}, "type": "xac_nhan_tinh_trang_hon_nhan"},
        {"fields": GOOD_HKD | {"document_number": "3/GCN-TCKH"}}])
    _old_state(sohoa_env, blank, status=DocumentStatus.APPROVED, pages=[CLEAN, BLANK])
    _old_state(sohoa_env, by_steward, status=DocumentStatus.NEEDS_REVIEW, pages=[CLEAN, BLANK])
    service.approve_document(by_steward, "lan", note="mặt sau để trắng", db_url=sohoa_env.db_url)
    _old_state(sohoa_env, expired, status=DocumentStatus.APPROVED, pages=[CLEAN])
    _old_state(sohoa_env, signed, status=DocumentStatus.STORED, pages=[CLEAN])
    _old_state(sohoa_env, clean, status=DocumentStatus.APPROVED, pages=[CLEAN])
    with session_scope(sohoa_env.db_url) as s:
        s.add(Result(document_id=signed, result_code="X-KQ1", converter="UBND", signer="UBND", work_key="w",
                     signed_sha256="b" * 64, converted_at=datetime(2026, 1, 5, tzinfo=UTC), still_valid=True))

    dry = backfill(dry_run=True, db_url=sohoa_env.db_url)
    assert {d for d, _ in dry.back_to_review} == {blank, expired}
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, blank).status == DocumentStatus.APPROVED  # a dry run writes nothing

    report = backfill(actor="Trần Văn Bảo", db_url=sohoa_env.db_url)
    back = dict(report.back_to_review)
    assert set(back) == {blank, expired}
    assert back[blank] == "bản quét trang 2/2: trang trắng, không có nội dung — cần quét lại"
    assert "hết hiệu lực" in back[expired]
    assert [(d, code) for d, code, _ in report.signed_expired] == [(signed, "X-KQ1")]
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, blank).status == DocumentStatus.NEEDS_REVIEW
        assert s.get_one(Document, expired).status == DocumentStatus.NEEDS_REVIEW
        moved = [a.actor for a in s.scalars(select(AuditEntry).where(AuditEntry.action == "return_to_review"))]
        assert sorted(moved) == ["Trần Văn Bảo"] * 2  # the person who ran it, not a constant
        assert s.get_one(Document, by_steward).status == DocumentStatus.APPROVED  # a person decided
        assert s.get_one(Document, clean).status == DocumentStatus.APPROVED
        assert s.get_one(Document, signed).status == DocumentStatus.STORED
        assert s.scalar(select(Result.still_valid).where(Result.document_id == signed)) is True  # untouched

    again = backfill(db_url=sohoa_env.db_url)  # repeatable: nothing more to send back
    assert again.back_to_review == [] and again.reasons_refreshed == 0

    from sohoa.cli import main

    assert main(["backfill", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "chạy thử" in out and "đã hết hiệu lực khi chuyển đổi: hồ sơ #" in out and "X-KQ1" in out


def test_pages_measured_by_an_older_stage_are_measured_again(seed: Callable[..., tuple[int, list[int]]],
                                                             sohoa_env: Settings) -> None:
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    buf = io.BytesIO()
    Image.new("RGB", (1654, 2339), "white").save(buf, "PNG", dpi=(200, 200))  # an empty A4 page
    data = buf.getvalue()
    import hashlib

    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.sha256 = hashlib.sha256(data).hexdigest()
        store.put_bytes(store.bucket("raw"), doc.raw_key, data, content_type="image/png")
        # measured by an older stage: no estimated_dpi, no flag; the OCR had turned it
        s.add(Page(document_id=doc_id, number=1, width=1654, height=2339, dpi=200,
                   quality={"dpi": 200, "flags": ["upside_down"], "blank": False}))
    report = backfill(measure_pages=True, store=store, settings=sohoa_env, db_url=sohoa_env.db_url)
    assert report.pages_measured == 1 and [d for d, _ in report.back_to_review] == [doc_id]
    with session_scope(sohoa_env.db_url) as s:
        page = s.scalars(select(Page).where(Page.document_id == doc_id)).one()
        assert "blank" in page.quality["flags"] and "upside_down" in page.quality["flags"]
        assert "estimated_dpi" in page.quality
    assert backfill(measure_pages=True, store=store, settings=sohoa_env,
                    db_url=sohoa_env.db_url).pages_measured == 0
