"""Resolution from the page, not the file; quality flags that route a page (issue 12)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import ocr
from ocr.preprocess import prepare
from ocr.quality import assess, text_dpi
from tests.ocr.a4_pages import a4_at, clean_a4_page

samples = pytest.importorskip("samples")


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return clean_a4_page()


def _at(page: Image.Image, dpi: int) -> Image.Image:
    return a4_at(page, dpi)


def _untagged_jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)  # no dpi argument: no resolution tag
    return buf.getvalue()


def test_an_untagged_75_dpi_image_is_measured_and_upscaled(clean: Image.Image) -> None:
    pages = ocr.load_pages(_untagged_jpeg(_at(clean, 75)))
    page = pages[0]
    assert page.dpi == 300 and not page.dpi_from_file  # the loader only assumes
    q = assess(page.image, page.dpi, dpi_from_file=page.dpi_from_file)
    assert 60 <= q.estimated_dpi <= 90, q  # within 20 % of 75
    assert q.dpi == q.estimated_dpi and q.file_dpi == 300
    assert {"low_resolution", "too_small"} <= set(q.flags) and q.rescan and q.score < 0.35
    prepared = prepare(page.image, q.dpi)
    # Up to 200 dpi from the measured resolution (x2.2-2.9), not left alone as a "300 dpi" page.
    assert prepared.scale == pytest.approx(200 / q.dpi, abs=0.01) and prepared.scale > 2.2
    assert prepared.gray.shape[1] == round(page.image.width * prepared.scale)


def test_a_small_page_is_upscaled_bicubic_to_200_dpi_then_its_levels_stretched(clean: Image.Image) -> None:
    """The upscale measured best on the small development pages (docs/ocr.md): bicubic to 200 dpi,
    then the levels stretched linearly (ink's 1st percentile black, the paper's median white), no
    sharpening. Lanczos, 300 dpi or a clipped white point fail here; a 150-dpi scan is only upscaled."""
    import cv2

    from ocr.preprocess import stretch_levels
    from ocr.quality import percentiles_u8

    small = np.asarray(_at(clean, 70).convert("L"))
    prepared = prepare(small, 70, deskew=False, denoise=False, border=False, ink="gray")
    assert prepared.scale == pytest.approx(200 / 70, abs=0.01)
    upscaled = cv2.resize(small, None, fx=prepared.scale, fy=prepared.scale, interpolation=cv2.INTER_CUBIC)
    want = stretch_levels(upscaled)
    assert prepared.gray.shape == want.shape and np.array_equal(prepared.gray, want)
    assert not np.array_equal(upscaled, want)  # the stretch did something
    ink, paper = percentiles_u8(upscaled, (1, 50))
    assert int(want[upscaled <= ink].max()) == 0 and int(want[upscaled >= paper].min()) == 255
    # A grey mark between the ink's level and the paper's keeps a grey level (a tone mark survives).
    mid = (upscaled > ink + 10) & (upscaled < paper - 10)
    assert mid.any() and want[mid].min() > 0 and want[mid].max() < 255
    lanczos = stretch_levels(cv2.resize(small, None, fx=prepared.scale, fy=prepared.scale,
                                        interpolation=cv2.INTER_LANCZOS4))
    assert not np.array_equal(lanczos, want)  # the check above can tell the two apart
    # A 150-dpi scan is upscaled x2 as before, levels untouched; a page at 200 dpi or more keeps its size.
    mid_res = np.asarray(_at(clean, 150).convert("L"))
    at150 = prepare(mid_res, 150, deskew=False, denoise=False, border=False, ink="gray")
    assert np.array_equal(at150.gray, cv2.resize(mid_res, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC))
    assert prepare(np.asarray(_at(clean, 200).convert("L")), 200, deskew=False, denoise=False).scale == 1.0


def test_two_lines_of_a_small_real_page_are_read_as_two_lines() -> None:
    """Development page 3.pdf p1 as a 576-px untagged JPEG (~70 dpi): the soft upscaled letters cut by
    Tesseract's global Otsu touched across "Nhận được Công văn này, …" and the line under it, and the
    merged line came out as garbage ("TY VI TÔ TÊN CÀ GA)"). Stretched levels and Sauvola keep them apart."""
    from core.real_scans import REAL_SCANS
    from ocr.bench import small_untagged_jpeg

    if not (REAL_SCANS / "3.pdf").exists():
        pytest.skip("tests/data/real-scans/3.pdf not present")
    page = ocr.load_pages(REAL_SCANS / "3.pdf")[0]
    result = ocr.ocr_pages(ocr.load_pages(small_untagged_jpeg(page.image, 576)), workers=1)
    text = " ".join(result.text().split())
    assert "Nhận được Công văn này, yêu cầu thủ trưởng các sở, ban, ngành" in text, text
    assert "vị và Chủ tịch" in text


def test_the_ocr_reads_at_the_measured_resolution_and_records_it(clean: Image.Image) -> None:
    result = ocr.ocr_pages(ocr.load_pages(_untagged_jpeg(_at(clean, 100))), workers=1)
    page = result.pages[0]
    assert 80 <= page.quality.estimated_dpi <= 120 and page.dpi == page.quality.dpi == page.quality.estimated_dpi
    assert page.quality.to_dict()["file_dpi"] == 300
    assert ocr.PageQuality.from_dict(page.quality.to_dict()) == page.quality
    assert "QUYẾT ĐỊNH" in page.text


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_text_dpi_is_within_a_fifth_of_the_truth(clean: Image.Image, dpi: int) -> None:
    estimate = text_dpi(_at(clean, dpi))
    assert estimate is not None and abs(estimate / dpi - 1) <= 0.2, estimate


def test_a_wrong_tag_loses_to_the_page_and_a_right_one_stands(clean: Image.Image) -> None:
    small = np.asarray(_at(clean, 100))
    q = assess(small, 300)  # tagged 300, really 100
    assert 80 <= q.dpi <= 120 and "low_resolution" in q.flags
    q = assess(np.asarray(_at(clean, 200)), 200)
    assert q.dpi == 200 and q.estimated_dpi and q.file_dpi == 200 and "low_resolution" not in q.flags


def test_a_blank_page_and_a_tiny_image_are_flagged() -> None:
    blank = np.full((3508, 2480, 3), 250, np.uint8)
    q = assess(blank, 300)
    assert q.blank and q.flags == ("blank",) and q.estimated_dpi == 0 and not q.rescan
    # A thumbnail: too few pixels for any text line to be measured, no tag. Not 300 dpi.
    tiny = Image.new("RGB", (120, 170), (250, 250, 250))
    tiny.paste((20, 20, 20), (20, 30, 100, 34))
    page = ocr.load_pages(_untagged_jpeg(tiny))[0]
    q = assess(page.image, page.dpi, dpi_from_file=page.dpi_from_file)
    assert q.dpi <= 20 and {"low_resolution", "too_small"} <= set(q.flags) and q.rescan


def test_a_page_with_nothing_but_a_seal_is_seal_only() -> None:
    from samples._render import Seal, stamp

    page = Image.new("RGB", (2480, 3508), (250, 249, 245))
    import random

    stamp(page, Seal(page=0, cx=1500, cy=2600, radius=205, text="ỦY BAN NHÂN DÂN XÃ VẠN THỌ * HUYỆN VẠN NINH *"),
          random.Random(1))
    q = assess(page, 300)
    assert q.blank and "seal_only" in q.flags and not q.rescan
    # A page of text with a seal on it is not.
    pages, _ = samples.render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="none")
    assert "seal_only" not in assess(pages[0].convert("RGB"), 300).flags


def test_an_upside_down_page_is_read_turned_and_flagged(clean: Image.Image) -> None:
    turned = _at(clean, 150).rotate(180)
    result = ocr.ocr_pages([ocr.PageImage(turned, 150, 1)], workers=1)
    page = result.pages[0]
    assert page.rotation == 180 and "upside_down" in page.quality.flags
    assert "QUYẾT ĐỊNH" in page.text
