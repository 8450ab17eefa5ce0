"""The same paper scanned again (one pixel changed) is not signed a second time: real stages in-process
(generated scans, intake, Tesseract, extraction, validation, PAdES signing, the shared S3 server)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from sohoa.cli import main
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Page, ProbableDuplicate, Result

pytestmark = pytest.mark.integration

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


def test_a_one_pixel_rescan_goes_to_review_as_a_probable_duplicate(pipeline_env, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first scans still wait for a steward (nothing signed yet): a re-scan of one of them is a
    probable duplicate of a record in review. (A re-scan of a signed paper takes the supersede path
    instead: tests/integration/test_after_signing.py.)"""
    from core.settings import reset_settings
    from samples import generate_batch

    first_dir, again_dir = tmp_path / "first", tmp_path / "again"
    samples = generate_batch(first_dir, count=2, seed=5, formats=("png",), damages=("light",),
                             document_types=("giay_chung_nhan_ho_kinh_doanh",))
    # No value is sure enough to approve itself in the first run: both records wait in review.
    monkeypatch.setenv("SOHOA_REVIEW_THRESHOLDS", json.dumps({"*": {"*": 1.0}}))
    reset_settings()
    assert main(["run", str(first_dir), "--province", PROVINCE, "--agency", AGENCY]) == 0
    monkeypatch.delenv("SOHOA_REVIEW_THRESHOLDS")
    reset_settings()
    with session_scope() as s:
        docs = {d.file_name: d for d in s.scalars(select(Document))}
        original, other = docs[samples[0].file_name], docs[samples[1].file_name]
        assert original.status != DocumentStatus.REJECTED
        assert not list(s.scalars(select(ProbableDuplicate)))  # two papers of one form are two papers
        assert all(p.image_hash for p in s.scalars(select(Page)))
        assert original.status == DocumentStatus.NEEDS_REVIEW
        signed_before = {r.document_id for r in s.scalars(select(Result))}

    # The operator scans the first paper again: the same page, one pixel different, another batch.
    pixels = np.array(Image.open(first_dir / samples[0].file_name).convert("RGB"))
    pixels[200, 300] = 255 - pixels[200, 300]
    again_dir.mkdir()
    Image.fromarray(pixels).save(again_dir / "scan-again.png", dpi=(samples[0].dpi,) * 2)
    assert main(["run", str(again_dir), "--province", PROVINCE, "--agency", AGENCY]) == 0
    with session_scope() as s:
        rescan = s.scalar(select(Document).where(Document.file_name == "scan-again.png"))
        assert rescan is not None
        assert rescan.status == DocumentStatus.NEEDS_REVIEW
        assert any(r.startswith(f"có thể trùng với hồ sơ #{original.id}") for r in rescan.review_reasons)
        links = {(p.other_document_id, p.basis) for p in
                 s.scalars(select(ProbableDuplicate).where(ProbableDuplicate.document_id == rescan.id))}
        assert (original.id, "image") in links and other.id not in {o for o, _ in links}
        assert s.scalar(select(Result).where(Result.document_id == rescan.id)) is None  # not signed
        assert {r.document_id for r in s.scalars(select(Result))} == signed_before
