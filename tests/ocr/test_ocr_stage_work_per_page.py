"""The OCR stage's work per page, counted through the seams (issue 16, the cost outside OCR): a PDF
page is rasterised at most once (never when it is one JPEG) and read by one Tesseract page pass,
whatever the steps after it need."""

from __future__ import annotations

import io
from typing import Any

import pytest

from core.settings import get_settings
from ocr._exec import poppler, tesseract
from ocr.batch import _ocr_one

samples = pytest.importorskip("samples")


def test_a_pdf_page_is_rasterised_at_most_once_and_read_by_one_page_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    pages, _ = samples.render_document("quyet_dinh", seed=4, damage="none")
    assert len(pages) == 2
    buf = io.BytesIO()
    pages[0].convert("RGB").save(buf, "PDF", save_all=True, append_images=[p.convert("RGB") for p in pages[1:]],
                                 resolution=300.0)
    rasterised: list[int] = []
    passes: list[str] = []
    rasterise, run = poppler.rasterise, tesseract.run

    def counted_rasterise(path: Any, page: int, dpi: int, **kw: Any) -> bytes:
        rasterised.append(page)
        return rasterise(path, page, dpi, **kw)

    def counted_run(image: str, args: Any, **kw: Any) -> str:
        passes.append(image.rsplit("/", 1)[-1].split("-")[1])  # sohoa-ocr-…, sohoa-cols-…, sohoa-osd-…
        return run(image, args, **kw)

    monkeypatch.setattr(poppler, "rasterise", counted_rasterise)
    monkeypatch.setattr(tesseract, "run", counted_run)
    settings = get_settings()

    result = _ocr_one(buf.getvalue(), "qd.pdf", "vie", 180, settings.max_image_pixels, settings.raster_dpi)

    assert [p["number"] for p in result["pages"]] == [1, 2] and len(result["page_hashes"]) == 2
    # PIL writes one full-page JPEG a page: the pages are read from those JPEGs, none rasterised
    # (ocr.scan_jpegs); a PDF that is not so is rasterised once a page (tests/ocr/test_jpeg_pages_loaded.py).
    assert rasterised == []
    assert passes.count("ocr") == 2  # one page pass a page; the signature zone's column pass is extra
    assert passes.count("cols") <= 2 and passes.count("osd") == 0
