"""A cut page (issue 14): text running off an edge of the image (the paper partly off the glass, a
photo framed too tightly) is flagged "cut" with the edge, and the record waits for a re-scan with
"trang bị cắt". The real development scans (a handwritten note in a margin, punch holes of a plastic
sleeve, a scanner's edge line) are not cut, and none of them is flagged."""

from __future__ import annotations

from functools import cache

import pytest
from PIL import Image

from core.real_scans import real_documents
from ocr.quality import assess
from review.quality import page_problems

HKD = "giay_chung_nhan_ho_kinh_doanh"


@cache
def _page(document_type: str = HKD, seed: int = 1) -> Image.Image:
    from samples import render_document

    pages, _ = render_document(document_type, seed=seed, damage="light")
    return pages[0].convert("RGB")


@pytest.mark.parametrize(("box", "edge"), [
    ((0.0, 0.0, 0.85, 1.0), "right"),  # the right 15 % of the sheet off the glass
    ((0.15, 0.0, 1.0, 1.0), "left"),
    ((0.0, 0.0, 1.0, 0.6), "bottom"),  # the lower part of the sheet folded under
])
def test_a_page_whose_text_runs_off_an_edge_is_cut_and_needs_a_rescan(box: tuple[float, ...], edge: str) -> None:
    page = _page()
    w, h = page.size
    whole = assess(page, 300)
    assert "cut" not in whole.flags and whole.cut_edges == ()
    cropped = page.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    quality = assess(cropped, 300)
    assert "cut" in quality.flags and quality.cut_edges == (edge,), quality
    assert quality.rescan
    [problem] = page_problems([(1, quality.to_dict())])
    side = {"right": "phải", "left": "trái", "bottom": "dưới"}[edge]
    assert problem.reason == f"bản quét trang 1: trang bị cắt, chữ chạm mép {side} (có thể mất nội dung) — cần quét lại"


def test_a_page_with_wide_margins_cropped_inside_them_is_not_cut() -> None:
    page = _page("quyet_dinh", 2)
    w, h = page.size
    trimmed = page.crop((round(0.04 * w), round(0.03 * h), round(0.96 * w), round(0.97 * h)))  # margins only
    assert assess(trimmed, 300).cut_edges == ()


@pytest.mark.parametrize("doc", real_documents("dev"), ids=lambda d: d.file)
def test_no_real_development_page_is_flagged_cut(doc) -> None:  # type: ignore[no-untyped-def]
    import ocr

    for page in ocr.load_pages(doc.path.read_bytes(), max_pixels=60_000_000, dpi=200):
        quality = assess(page.image, page.dpi, dpi_from_file=page.dpi_from_file)  # as the OCR stage does
        assert "cut" not in quality.flags, (doc.file, page.number, quality.cut_edges)
