"""Page quality and the re-scan queue through the real stages (issue 14): generated scans, intake,
Tesseract, extraction, validation, PAdES signing and the shared S3 server, in-process.

A 2-page PDF whose page 2 is blank and a 70-dpi page go to review with the page and the problem named,
never signed; a steward asks for a re-scan of the blank-page paper; the new scan, put in the batch
folder under the same name, replaces the record's file and the run reads it afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from review import rescan
from sohoa.cli import main
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Page, RescanRequest, Result

pytestmark = pytest.mark.integration

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"
HKD = "giay_chung_nhan_ho_kinh_doanh"


def _page(seed: int) -> Image.Image:
    from samples import render_document

    pages, _ = render_document(HKD, seed=seed, damage="none")  # a clean 300 dpi render
    return pages[0].convert("RGB")


def test_blank_and_coarse_pages_go_to_review_and_a_rescan_replaces_the_file(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "lo"
    folder.mkdir()
    page = _page(21)
    blank = Image.new("RGB", page.size, "white")
    page.save(folder / "mat-sau-trang.pdf", "PDF", resolution=300, save_all=True, append_images=[blank])
    coarse = _page(22)
    w, h = coarse.size  # A4 at 300 dpi scaled to 70 dpi, saved without a resolution tag
    coarse.resize((round(w * 70 / 300), round(h * 70 / 300)), Image.LANCZOS).save(folder / "qua-nho.png")
    assert main(["run", str(folder), "--province", PROVINCE, "--agency", AGENCY]) == 0
    with session_scope() as s:
        docs = {d.file_name: d for d in s.scalars(select(Document))}
        two_pages, small = docs["mat-sau-trang.pdf"], docs["qua-nho.png"]
        assert two_pages.status == DocumentStatus.NEEDS_REVIEW
        assert "bản quét trang 2/2: trang trắng, không có nội dung — cần quét lại" in two_pages.review_reasons
        assert small.status in (DocumentStatus.NEEDS_REVIEW, DocumentStatus.REJECTED)
        assert any(r.startswith("bản quét trang 1: ảnh quá nhỏ (") for r in small.review_reasons), small.review_reasons
        assert s.scalar(select(Result).where(Result.document_id.in_([two_pages.id, small.id]))) is None
        doc_id, old_sha = two_pages.id, two_pages.sha256

    rescan.request_rescan(doc_id, "lan", "trang 2 trắng: quét lại đủ hai mặt")
    assert [r.document_id for r in rescan.awaiting()] == [doc_id]
    # the team scans the paper again (this time the back has the rest of the text) and puts it in place
    page.save(folder / "mat-sau-trang.pdf", "PDF", resolution=300, save_all=True, append_images=[_page(23)])
    assert main(["run", str(folder), "--province", PROVINCE, "--agency", AGENCY]) == 0
    with session_scope() as s:
        doc = s.get_one(Document, doc_id)
        assert doc.sha256 != old_sha and doc.status != DocumentStatus.RESCAN
        assert not any("trang trắng" in str(r) for r in doc.review_reasons)
        assert [p.quality.get("blank") for p in s.scalars(select(Page).where(Page.document_id == doc_id)
                                                          .order_by(Page.number))] == [False, False]
        assert s.scalar(select(RescanRequest.state)) == "replaced"
        assert len(list(s.scalars(select(Document)))) == 2  # no third record
    assert rescan.awaiting() == []
