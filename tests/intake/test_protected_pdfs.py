"""Protected PDFs (issue 14): permission restrictions only (no open password; poppler renders the page)
are taken; a PDF that needs an open password is quarantined with that reason, "có mật khẩu mở"."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from core.settings import Settings
from intake import QuarantineReason, intake_batch
from intake.inspect import RejectedFile, inspect_file
from storage.db import session_scope
from storage.models import Document, QuarantineEntry

# Nothing allowed but looking at it: what an agency's "protected" export typically sets.
LOCKED_DOWN = pikepdf.Permissions(accessibility=False, extract=False, modify_annotation=False,
                                  modify_assembly=False, modify_form=False, modify_other=False,
                                  print_lowres=False, print_highres=False)


def _plain_pdf(pages: int = 2) -> bytes:
    frames = []
    for i in range(pages):
        page = Image.new("RGB", (827, 1169), "white")
        ImageDraw.Draw(page).rectangle((100, 100 + 60 * i, 700, 140 + 60 * i), fill="black")
        frames.append(page)
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", resolution=100, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _protected(*, user: str, owner: str = "chu-so-huu", r: int = 6, pages: int = 2) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_plain_pdf(pages))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner=owner, user=user, R=r, allow=LOCKED_DOWN))
    data = out.getvalue()
    with pikepdf.open(io.BytesIO(data)) if not user else pikepdf.open(io.BytesIO(data), password=user) as check:
        assert check.is_encrypted  # the test file really is encrypted
    return data


def _inspect(path: Path) -> object:
    return inspect_file(path, display_name=path.name, max_image_pixels=50_000_000, max_pdf_pages=50, raster_dpi=200)


@pytest.mark.parametrize("revision", [4, 6])  # RC4/AES-128 (Acrobat 6-8) and AES-256 (Acrobat X+)
def test_a_permission_only_pdf_is_taken_and_poppler_renders_it(tmp_path: Path, revision: int) -> None:
    path = tmp_path / "han-che-quyen.pdf"
    path.write_bytes(_protected(user="", r=revision))
    found = _inspect(path)
    assert found.pages == 2 and found.content_type == "application/pdf"  # type: ignore[attr-defined]
    import ocr  # poppler (pdftoppm), the renderer the OCR and the signing stage use

    pages = ocr.load_pages(path.read_bytes(), max_pixels=50_000_000, dpi=100)
    assert len(pages) == 2
    # the drawn bar is on the rendered page: poppler read the content, not an empty page
    assert pages[0].image.convert("L").getpixel((400, 120)) < 60


def test_a_pdf_that_needs_an_open_password_is_rejected_with_that_reason(tmp_path: Path) -> None:
    path = tmp_path / "mat-khau.pdf"
    path.write_bytes(_protected(user="mat-khau-mo"))
    with pytest.raises(RejectedFile) as caught:
        _inspect(path)
    assert caught.value.reason_code is QuarantineReason.ENCRYPTED
    assert "có mật khẩu mở" in str(caught.value) and "mat-khau.pdf" in str(caught.value)


def test_intake_takes_the_permission_only_pdf_and_quarantines_the_locked_one(tmp_path: Path,
                                                                            sohoa_env: Settings) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "han-che-quyen.pdf").write_bytes(_protected(user=""))
    (batch / "mat-khau.pdf").write_bytes(_protected(user="mat-khau-mo"))
    report = intake_batch(batch, province="Khánh Hòa", agency_code="000.00.15.H34", settings=sohoa_env)
    assert [r.file_name for r in report.quarantined] == ["mat-khau.pdf"]
    with session_scope(sohoa_env.db_url) as s:
        taken = s.scalars(select(Document)).all()
        held = s.scalars(select(QuarantineEntry)).all()
        assert [(d.file_name, d.page_count) for d in taken] == [("han-che-quyen.pdf", 2)]
        assert [(q.file_name, q.reason_code) for q in held] == [("mat-khau.pdf", "encrypted")]
        assert "có mật khẩu mở" in held[0].reason and "PDF có mật khẩu mở" in held[0].reason
