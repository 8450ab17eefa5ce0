"""The sign stage embeds a scan that is one JPEG a page as it is (issue 16: no second rasterising,
no second lossy pass), and rasterises only what is not that simple; the sign stage's door, on a
real S3 and a real key, never calls pdftoppm nor loads the pages for such a scan."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw
from pydantic import SecretStr
from sqlalchemy import select

from core.settings import Settings
from ocr.scan_jpegs import scan_jpegs
from signing import ConversionMarker, assemble_pdf
from tests.scan_pdfs import jpeg_of, pdf_of_jpegs

from .conftest import CONVERTED_AT, CONVERTER, RESULT_CODE, make_scan

MAX = 120_000_000


def _scan(size: tuple[int, int] = (620, 877)) -> Image.Image:
    im = Image.new("RGB", size, "white")
    ImageDraw.Draw(im).text((40, 40), "QUYẾT ĐỊNH", fill="black")
    return im


def test_a_pdf_of_one_jpeg_a_page_gives_its_own_jpegs_at_their_resolution() -> None:
    jpegs = [jpeg_of(_scan()), jpeg_of(_scan((600, 850)).convert("L"))]
    # 620 px over 297.6 pt = 150 dpi; 600 px over 432 pt = 100 dpi
    pages = scan_jpegs(pdf_of_jpegs(jpegs, [(297.6, 420.96), (432.0, 612.0)]), max_pixels=MAX, dpi=300)
    assert pages is not None
    assert [p.jpeg for p in pages] == jpegs  # the very bytes: no decode, no second lossy pass
    assert [(p.dpi, p.width_px, p.height_px) for p in pages] == [(150, 620, 877), (100, 600, 850)]


def test_a_jpeg_file_is_its_own_page_and_anything_else_is_rasterised_as_before() -> None:
    jpeg = jpeg_of(_scan(), dpi=200)
    [page] = scan_jpegs(jpeg, max_pixels=MAX, dpi=300) or []
    assert (page.jpeg, page.dpi) == (jpeg, 200)
    png = io.BytesIO()
    _scan().save(png, "PNG")
    assert scan_jpegs(png.getvalue(), max_pixels=MAX, dpi=300) is None
    assert scan_jpegs(jpeg_of(_scan().convert("CMYK")), max_pixels=MAX, dpi=300) is None
    assert scan_jpegs(jpeg, max_pixels=1000, dpi=300) is None  # over the cap: load_pages says why
    one = [jpeg_of(_scan())]
    # A page that draws more than the image (a stamp, a text layer), a turned page, an image not over
    # the whole page: what the paper shows is not the JPEG alone.
    more = b"q 297.60 0 0 420.96 0 0 cm /Im0 Do Q\nBT /F1 12 Tf (SAO Y) Tj ET\n"
    assert scan_jpegs(pdf_of_jpegs(one, [(297.6, 420.96)], content=more), max_pixels=MAX, dpi=300) is None
    assert scan_jpegs(pdf_of_jpegs(one, [(297.6, 420.96)], rotate=90), max_pixels=MAX, dpi=300) is None
    half = b"q 148.80 0 0 210.48 0 0 cm /Im0 Do Q\n"
    assert scan_jpegs(pdf_of_jpegs(one, [(297.6, 420.96)], content=half), max_pixels=MAX, dpi=300) is None
    assert scan_jpegs(b"%PDF-1.7 broken", max_pixels=MAX, dpi=300) is None


def test_jpeg_bytes_are_embedded_unchanged_in_the_signed_copy() -> None:
    jpeg = jpeg_of(make_scan())
    marker = ConversionMarker(converter=CONVERTER, converted_at=CONVERTED_AT, result_code=RESULT_CODE)
    pdf = pikepdf.open(io.BytesIO(assemble_pdf([jpeg], marker, dpi=100)))
    [image] = [pikepdf.PdfImage(x) for x in pdf.pages[0].images.values()]
    assert image.obj.read_raw_bytes() == jpeg


@pytest.mark.integration
def test_the_sign_stage_does_not_rasterise_a_jpeg_scan_again(sohoa_env: Settings, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import ocr
    import ocr.pages
    from intake import intake_batch
    from ocr._exec import poppler
    from review.service import revalidate_document
    from samples import generate_batch
    from signing.pki import make_test_pki
    from sohoa import pipeline
    from storage.db import session_scope
    from storage.models import Document, DocumentStatus, Field, Result
    from storage.objects import ObjectStore

    pki = make_test_pki(tmp_path / "pki", converter=CONVERTER)
    settings = sohoa_env.model_copy(update={"signing_pkcs12": pki.agency_p12, "converter_name": CONVERTER,
                                            "signing_password": SecretStr(pki.password.decode())})
    [sample] = generate_batch(tmp_path / "batch", count=1, seed=3, damages=("light",), formats=("pdf",),
                              document_types=("giay_chung_nhan_ho_kinh_doanh",))
    raw = (tmp_path / "batch" / sample.file_name).read_bytes()
    expected = scan_jpegs(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi)
    assert expected is not None  # the generator writes one JPEG a page
    batch_id = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code="000.00.15.H34",
                            settings=settings).batch_id
    with session_scope(settings.db_url) as s:
        [doc] = s.scalars(select(Document).where(Document.batch_id == batch_id))
        for name, value in sample.truth["fields"].items():
            if value is not None:
                s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.97))
        doc.status = DocumentStatus.EXTRACTED
        s.flush()
        revalidate_document(s, doc)
        assert doc.status == DocumentStatus.APPROVED, doc.review_reasons

    calls: list[str] = []
    for module, name in ((poppler, "rasterise"), (ocr, "load_pages"), (ocr.pages, "load_pages")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    assert pipeline.sign_batch(batch_id, settings)["signed"] == 1
    assert calls == []  # no page decoded or rasterised again
    with session_scope(settings.db_url) as s:
        result = s.scalars(select(Result)).one()
    signed = ObjectStore(settings).get_bytes(ObjectStore(settings).bucket("work"), result.work_key)
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        embedded = [x.read_raw_bytes() for page in pdf.pages for x in page.images.values()]
        assert embedded == [p.jpeg for p in expected]  # the scan's own bytes, page by page
        # The page keeps the scan's physical size (the marker band is added below it).
        width_pt = float(pdf.pages[0].MediaBox[2])
        assert width_pt == pytest.approx(expected[0].width_px * 72 / expected[0].dpi, abs=0.01)
