"""The re-scan queue (issue 14): a steward asks for a paper to be scanned again, the team gets the list
(desk, CSV, `sohoa rescans`), and the new scan of that paper replaces the record's file at intake
(matched by file name in the batch, or by mã hồ sơ), the old file kept in the history."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from core.settings import Settings
from intake import intake_batch
from review import rescan, service
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, Page, QuarantineEntry, RescanRequest, RuleOutcome
from storage.objects import ObjectStore
from storage.review_models import ReviewDecision

from .conftest import GOOD_HKD

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


class _Steward:
    role = "steward"
    province_names = ["Khánh Hòa"]


def test_a_request_moves_the_record_to_the_rescan_list_with_its_reason(
        seed: Callable[..., tuple[int, list[int]]], sohoa_env: Settings) -> None:
    batch_id, (doc_id, other) = seed([{"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"document_number": "7/GCN-TCKH"}}])
    with pytest.raises(service.ReviewError, match="lý do"):
        rescan.request_rescan(doc_id, "lan", "  ", db_url=sohoa_env.db_url)
    rescan.request_rescan(doc_id, "lan", "trang 2 trắng, thiếu mặt sau", pages=[2], db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.RESCAN
        assert s.get_one(Document, other).status != DocumentStatus.RESCAN
    with pytest.raises(service.ReviewError, match="đang chờ quét lại"):
        rescan.request_rescan(doc_id, "lan", "lần nữa", db_url=sohoa_env.db_url)
    rows = rescan.awaiting(batch_id=batch_id, db_url=sohoa_env.db_url)
    assert [(r.document_id, r.pages, r.reason, r.requested_by) for r in rows] == [
        (doc_id, [2], "trang 2 trắng, thiếu mặt sau", "lan")]
    assert rescan.awaiting(province="khanh hoa", db_url=sohoa_env.db_url) == rows  # one province matcher
    assert rescan.awaiting(province="Hà Nội", db_url=sohoa_env.db_url) == []
    text = rescan.as_csv(rows)
    assert text.startswith("\ufeffho_so,lo,tinh")
    assert f"{doc_id},{batch_id},Khánh Hòa,{AGENCY},001.png" in text and "trang 2 trắng, thiếu mặt sau" in text
    from sohoa.pipeline import batch_answers  # every file an answer: this one waits for its new scan

    assert {a["document_id"]: a["answer"] for a in batch_answers(batch_id)}[doc_id] == "rescan"
    # it leaves the review queue (nothing to review until the new scan), and history says why
    assert doc_id not in [r.document.id for r in service.queue(_Steward(), db_url=sohoa_env.db_url).rows]
    view = service.record_view(doc_id, db_url=sohoa_env.db_url)
    assert [(h.what, h.reason) for h in view.history] == [("rescan", "trang 2 trắng, thiếu mặt sau")]


def test_approving_without_the_new_scan_withdraws_the_request(seed: Callable[..., tuple[int, list[int]]],
                                                              sohoa_env: Settings) -> None:
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    rescan.request_rescan(doc_id, "lan", "mờ", db_url=sohoa_env.db_url)
    service.approve_document(doc_id, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        assert s.scalar(select(RescanRequest.state)) == "withdrawn"
        assert s.get_one(Document, doc_id).status == DocumentStatus.APPROVED
    assert rescan.awaiting(db_url=sohoa_env.db_url) == []


def _scan(text_row: int, size: tuple[int, int] = (827, 1169)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((100, 100 + 40 * text_row, 700, 130 + 40 * text_row), fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(100, 100))
    return buf.getvalue()


def _intake(folder: Path, settings: Settings, manifest: list[str] | None = None) -> list[int]:
    if manifest is not None:
        (folder / "manifest.csv").write_text("\n".join(["file,province,agency_code,document_type,dossier_code,pages",
                                                        *manifest]) + "\n", encoding="utf-8")
    return intake_batch(folder, province=PROVINCE, agency_code=AGENCY, settings=settings).accepted


def _pretend_processed(settings: Settings, doc_id: int) -> None:
    """What the stages leave behind (pages, OCR fields, rule outcomes) and a steward's typed value."""
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.status, doc.ocr_key = DocumentStatus.NEEDS_REVIEW, f"work/{doc_id}/ocr.json"
        s.add(Page(document_id=doc_id, number=1, width=827, height=1169, dpi=100,
                   quality={"dpi": 70, "flags": ["low_resolution", "too_small"]}))
        s.add(Field(document_id=doc_id, name="document_number", value="12/GCN", confidence=0.4))
        s.add(Field(document_id=doc_id, name="holder_name", value="Trần Thị Bích Ngọc", confidence=1.0,
                    source="steward"))
        s.add(RuleOutcome(document_id=doc_id, rule="confidence", field_name="document_number", severity="error",
                          passed=False, message="thấp"))


def test_a_new_scan_with_the_same_file_name_replaces_the_record_file(tmp_path: Path, sohoa_env: Settings) -> None:
    folder = tmp_path / "lo-1"
    folder.mkdir()
    (folder / "001.png").write_bytes(_scan(0))
    (folder / "002.png").write_bytes(_scan(1))
    first, second = _intake(folder, sohoa_env)
    _pretend_processed(sohoa_env, first)
    with session_scope(sohoa_env.db_url) as s:
        old = s.get_one(Document, first)
        old_sha, old_key = old.sha256, old.raw_key
    (folder / "001.png").write_bytes(_scan(5, size=(1654, 2338)))  # the paper scanned again, in place
    # before anyone asked for it: refused with the way to do it, never a second record of one name
    report = intake_batch(folder, province=PROVINCE, agency_code=AGENCY, settings=sohoa_env)
    assert [(r.file_name, r.reason_code) for r in report.quarantined] == [("001.png", "name_taken")]
    assert "Yêu cầu quét lại" in report.quarantined[0].detail
    rescan.request_rescan(first, "lan", "ảnh quá nhỏ (70 dpi)", db_url=sohoa_env.db_url)
    accepted = _intake(folder, sohoa_env)
    assert sorted(accepted) == sorted([first, second])  # no new record: the request's record took it
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, first)
        assert doc.sha256 != old_sha and doc.raw_key != old_key and doc.status == DocumentStatus.RECEIVED
        assert doc.ocr_key is None and doc.size_bytes == len((folder / "001.png").read_bytes())
        # what the machine read from the old file is gone; the steward's typed value stays
        assert list(s.scalars(select(Page).where(Page.document_id == first))) == []
        assert list(s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == first))) == []
        assert {(f.name, f.source) for f in s.scalars(select(Field).where(Field.document_id == first))} == {
            ("holder_name", "steward")}
        req = s.scalar(select(RescanRequest))
        assert req is not None and (req.state, req.matched_by, req.old_sha256, req.old_raw_key) == (
            "replaced", "file_name", old_sha, old_key)
        assert req.new_sha256 == doc.sha256
        assert [d.action for d in s.scalars(select(ReviewDecision).order_by(ReviewDecision.id))] == [
            "rescan", "rescanned"]
        assert s.get_one(Document, second).sha256 != doc.sha256
    store = ObjectStore(sohoa_env)
    assert store.stat(store.bucket("raw"), old_key) is not None  # the old scan is kept
    assert rescan.awaiting(db_url=sohoa_env.db_url) == []
    assert sorted(_intake(folder, sohoa_env)) == sorted([first, second])  # re-run: nothing taken twice
    with session_scope(sohoa_env.db_url) as s:  # the earlier refusal is answered
        assert list(s.scalars(select(QuarantineEntry))) == []


def test_a_new_scan_in_another_batch_answers_by_dossier_code_only(tmp_path: Path, sohoa_env: Settings) -> None:
    first_dir, again_dir = tmp_path / "lo-1", tmp_path / "quet-lai"
    first_dir.mkdir()
    again_dir.mkdir()
    (first_dir / "a.png").write_bytes(_scan(0))
    (first_dir / "b.png").write_bytes(_scan(1))
    a, b = _intake(first_dir, sohoa_env, ["a.png,,,,000.00.15.H34-200501-0001,", "b.png,,,,,"])
    for doc_id in (a, b):
        _pretend_processed(sohoa_env, doc_id)
        rescan.request_rescan(doc_id, "lan", "mờ", db_url=sohoa_env.db_url)
    # A day's re-scans in a folder of their own: a.png by its mã hồ sơ; b had a provisional code
    # (made up at intake), which names no paper: its new scan is a record of its own.
    (again_dir / "a-lan-2.png").write_bytes(_scan(3))
    (again_dir / "b.png").write_bytes(_scan(4))
    accepted = _intake(again_dir, sohoa_env, ["a-lan-2.png,,,,000.00.15.H34-200501-0001,", "b.png,,,,,"])
    with session_scope(sohoa_env.db_url) as s:
        moved = s.get_one(Document, a)
        assert a in accepted and moved.file_name == "a-lan-2.png" and moved.status == DocumentStatus.RECEIVED
        assert moved.batch_id != s.get_one(Document, b).batch_id  # it moved to the batch that brought the scan
        assert s.get_one(Document, b).status == DocumentStatus.RESCAN  # still waiting
        assert len(list(s.scalars(select(Document)))) == 3
        assert s.scalar(select(RescanRequest.matched_by).where(RescanRequest.document_id == a)) == "dossier_code"
    assert [r.document_id for r in rescan.awaiting(db_url=sohoa_env.db_url)] == [b]


def test_the_cli_lists_and_writes_the_csv(seed: Callable[..., tuple[int, list[int]]], sohoa_env: Settings,
                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sohoa.cli import main

    batch_id, (doc_id,) = seed([{"fields": GOOD_HKD}])
    assert main(["rescans"]) == 0 and "Không có hồ sơ nào chờ quét lại" in capsys.readouterr().out
    rescan.request_rescan(doc_id, "lan", "thiếu trang 3", db_url=sohoa_env.db_url)
    assert main(["rescans", "--province", "Khánh Hoà"]) == 0
    assert f"#{doc_id}\t{batch_id}\tKhánh Hòa\t001.png" in capsys.readouterr().out
    out = tmp_path / "quet-lai.csv"
    assert main(["rescans", "--batch", str(batch_id), "--csv", str(out)]) == 0
    assert "thiếu trang 3" in out.read_text(encoding="utf-8")


def _blocks(seed: int, scale: int = 1) -> Image.Image:
    """A page-sized image of grey blocks, different for every seed (a stand-in for a written page)."""
    import numpy as np

    cells = np.random.default_rng(seed).integers(0, 256, (28, 20), dtype=np.uint8)
    return Image.fromarray(cells).resize((827 * scale, 1169 * scale), Image.NEAREST).convert("RGB")


def test_a_new_scan_under_another_name_answers_by_a_page_image_in_common(tmp_path: Path, sohoa_env: Settings) -> None:
    """Match 3 (storage/rescans.py): the team found the original of a copy sent small, and put it in
    another batch under another name without a mã hồ sơ. The OCR stage recognises the page and reads
    the file for the waiting record; a different paper stays a record of its own."""
    from ocr.batch import _answered_rescan
    from ocr.fingerprint import page_hash, shares_a_page

    first_dir, again_dir = tmp_path / "lo-1", tmp_path / "ban-goc"
    first_dir.mkdir()
    again_dir.mkdir()
    for name, seed in (("a.png", 1), ("b.png", 2)):
        _blocks(seed).save(first_dir / name, dpi=(100, 100))
    a, b = _intake(first_dir, sohoa_env)
    for doc_id, seed in ((a, 1), (b, 2)):
        _pretend_processed(sohoa_env, doc_id)
        with session_scope(sohoa_env.db_url) as s:
            s.scalar(select(Page).where(Page.document_id == doc_id)).image_hash = page_hash(_blocks(seed))
        rescan.request_rescan(doc_id, "lan", "ảnh quá nhỏ", db_url=sohoa_env.db_url)
    original, other = _blocks(1, scale=2), _blocks(3, scale=2)
    original.save(again_dir / "ban-goc-a.png", dpi=(200, 200))
    other.save(again_dir / "giay-khac.png", dpi=(200, 200))
    found, new = _intake(again_dir, sohoa_env)
    assert {found, new}.isdisjoint({a, b})  # intake saw no name or mã hồ sơ it knows: two new records

    with session_scope(sohoa_env.db_url) as s:
        found_doc, new_doc = s.get_one(Document, found), s.get_one(Document, new)
        s.expunge_all()
    assert _answered_rescan(found_doc, [page_hash(original)]) == a
    assert _answered_rescan(new_doc, [page_hash(other)]) == new  # another paper: its own record
    with session_scope(sohoa_env.db_url) as s:
        assert s.get(Document, found) is None  # the new record is gone, its file is a's
        doc = s.get_one(Document, a)
        assert (doc.file_name, doc.batch_id, doc.status) == ("ban-goc-a.png", new_doc.batch_id, DocumentStatus.RECEIVED)
        assert s.scalar(select(RescanRequest.matched_by).where(RescanRequest.document_id == a)) == "image"
        assert s.get_one(Document, b).status == DocumentStatus.RESCAN
        reasons = [d.reason for d in s.scalars(select(ReviewDecision).where(ReviewDecision.document_id == a))]
        assert any("khớp theo ảnh trang giống bản cũ" in (r or "") for r in reasons), reasons
    # blank pages are all alike: a blank page in common names no paper
    blank = page_hash(Image.new("RGB", (827, 1169), "white"))
    assert not shares_a_page([blank], [blank])
    # a record read once is no longer fresh: it never answers a request by its pages afterwards
    assert _answered_rescan(doc, [page_hash(_blocks(2))]) == a
