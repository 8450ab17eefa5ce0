"""Issue 12, "learn from the archive itself": a steward's corrected and approved records teach the
province's catalogue, and the next extraction of a document of the same body uses it. Real
Tesseract, real S3, the real results DB; generated pages of one commune's People's Committee."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from core.settings import Settings
from ocr.catalogue import REPAIR_CAP
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, FieldChange

PROVINCE = "Khánh Hòa"
SIGNER = "Phan Thanh Tuấn"
SLIPPED = "Phan Thanh Tuân"  # one mark away: what an OCR slip (or a smudged print) gives


def _render(folder: Path, name: str, seed: int, printed_signer: str, number: str) -> dict[str, str]:
    """A marital-status confirmation of the same commune each time, signed by `printed_signer`."""
    from samples._content import make_content
    from samples._damage import apply_damage
    from samples._render import render_pages

    rng = random.Random(f"archive-catalogue|{seed}")
    c = make_content("xac_nhan_tinh_trang_hon_nhan", rng, PROVINCE)
    c.header_left = ("ỦY BAN NHÂN DÂN", "XÃ NINH ĐA")
    c.signer_lines, c.signer_name, c.number = ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), printed_signer, number
    # One term of office (the signer is "of that period"), and recent: a confirmation is valid 6 months
    # (Art. 25.1), an older one would be refused as expired before it could teach the catalogue.
    c.issued = date.today() - timedelta(days=40 - seed)
    clean, _, _ = render_pages(c, rng)
    page, _ = apply_damage(np.asarray(clean[0]), "light", np.random.default_rng(seed))
    Image.fromarray(page).save(folder / name, "PNG", dpi=(300, 300))
    return {"issuing_authority": "ỦY BAN NHÂN DÂN XÃ NINH ĐA", "signer_name": SIGNER, "document_number": number}


def _batch(settings: Settings, folder: Path, docs: dict[str, tuple[int, str, str]]) -> tuple[int, dict[str, dict[str, str]]]:
    from intake import intake_batch
    from sohoa import pipeline

    folder.mkdir()
    truth = {name: _render(folder, name, *spec) for name, spec in docs.items()}
    rows = ["file,province,agency_code,document_type,dossier_code,pages"]
    rows += [f"{name},{PROVINCE},000.00.15.H34,xac_nhan_tinh_trang_hon_nhan,,1" for name in docs]
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    batch_id = intake_batch(folder, province=PROVINCE, agency_code="000.00.15.H34", settings=settings).batch_id
    pipeline.ocr_batch(batch_id, settings)
    pipeline.extract_batch(batch_id, settings)
    pipeline.validate_batch(batch_id, settings)
    return batch_id, truth


def _ids(settings: Settings, batch_id: int) -> dict[str, int]:
    with session_scope(settings.db_url) as s:
        return {d.file_name: d.id for d in s.scalars(select(Document).where(Document.batch_id == batch_id))}


def _support(settings: Settings) -> int:
    from ocr.catalogue import body_key
    from review.catalogue import archive_catalogue

    p = archive_catalogue([PROVINCE], db_url=settings.db_url).for_province(PROVINCE)
    st = p.signers.get(body_key("ỦY BAN NHÂN DÂN XÃ NINH ĐA"), {}).get(SIGNER) if p else None
    return st.support if st else 0


def test_an_approved_correction_teaches_the_catalogue_and_the_next_extraction_uses_it(
        sohoa_env: Settings, tmp_path: Path) -> None:
    from review.catalogue import CATALOGUE_ACTOR
    from review.service import approve_document, correct_fields
    from sohoa import pipeline

    # The past: three results of the commune; the first printed with the slipped name, which the
    # steward corrects to the signer's real name. Each record is checked and approved by a person.
    past = {"001.png": (11, SLIPPED, "12/UBND-XNTTHN"), "002.png": (12, SIGNER, "40/UBND-XNTTHN"),
            "003.png": (13, SIGNER, "77/UBND-XNTTHN")}
    batch_id, truth = _batch(sohoa_env, tmp_path / "past", past)
    ids = _ids(sohoa_env, batch_id)
    for name in ("002.png", "003.png"):
        correct_fields(ids[name], truth[name], "steward@khanhhoa")  # only values that differ change
        approve_document(ids[name], "steward@khanhhoa", note="đã đối chiếu bản giấy")
    assert _support(sohoa_env) == 2  # under the repair threshold: two approvals are not "many"

    fixed = correct_fields(ids["001.png"], truth["001.png"], "steward@khanhhoa")
    assert "signer_name" in fixed.changed
    approve_document(ids["001.png"], "steward@khanhhoa", note="đã đối chiếu bản giấy")
    assert _support(sohoa_env) == 3  # the corrected, approved record counts with its corrected name

    # The next batch: a result of the same body whose signer reads one mark away.
    new_id, _ = _batch(sohoa_env, tmp_path / "new", {"101.png": (21, SLIPPED, "150/UBND-XNTTHN")})
    doc_id = _ids(sohoa_env, new_id)["101.png"]
    with session_scope(sohoa_env.db_url) as s:
        fields = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == doc_id))}
        history = list(s.scalars(select(FieldChange).where(FieldChange.document_id == doc_id)))
        s.expunge_all()
    signer = fields["signer_name"]
    assert signer.value == SIGNER, (signer.value, signer.confidence)
    assert signer.confidence <= REPAIR_CAP  # a repair, never signed unseen on three approvals
    # Art. 12.3: the value read and who replaced it are in the record's history.
    assert [(h.field_name, h.old_value, h.new_value, h.changed_by) for h in history] == \
        [("signer_name", SLIPPED, SIGNER, CATALOGUE_ACTOR)]

    # Extraction runs again (a retry): the repair is recorded once, not twice.
    with session_scope(sohoa_env.db_url) as s:
        s.get_one(Document, doc_id).status = DocumentStatus.OCR_DONE
    pipeline.extract_batch(new_id, sohoa_env)
    with session_scope(sohoa_env.db_url) as s:
        assert len(list(s.scalars(select(FieldChange).where(FieldChange.document_id == doc_id)))) == 1
