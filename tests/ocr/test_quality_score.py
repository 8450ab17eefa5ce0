"""The per-page quality score and the re-scan flag (Decree 137 Art. 4.2.a: nothing silently accepted)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.quality import assess

samples = pytest.importorskip("samples")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    pages, _ = samples.render_document("quyet_dinh", seed=4, damage="none")
    return np.asarray(pages[0].convert("RGB"))


def test_clean_page_needs_no_rescan(page: np.ndarray) -> None:
    q = assess(page, 300)
    assert not q.rescan and q.flags == () and q.score > 0.9
    assert q.to_dict()["rescan"] is False and q.to_dict()["score"] == q.score


def test_blurred_low_resolution_and_faded_pages_are_flagged_for_rescan(page: np.ndarray) -> None:
    small = cv2.resize(page, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)  # 120 dpi
    q = assess(small, 120)
    assert q.rescan and "low_resolution" in q.flags and q.score <= 0.4
    blurred = cv2.GaussianBlur(page, (0, 0), 6)
    q = assess(blurred, 300)
    assert q.rescan and "blurry" in q.flags
    faded = (255 - (255 - page.astype(np.float32)) * 0.2).astype(np.uint8)
    q = assess(faded, 300)
    assert q.rescan and "low_contrast" in q.flags


def test_blank_page_is_flagged_blank_not_rescan() -> None:
    blank = np.full((3508, 2480, 3), 250, np.uint8)
    q = assess(blank, 300)
    assert q.blank and q.flags == ("blank",) and q.score == 0.0 and not q.rescan


def test_the_scanner_frame_is_painted_white_and_text_at_the_edge_is_kept() -> None:
    import numpy as np

    from ocr.preprocess import clear_border

    page = np.full((3508, 2480), 245, dtype=np.uint8)
    page[1000:1050, 400:2000] = 20  # a line of text
    page[2000:2040, 0:60] = 20  # a word printed right up to the edge: not a frame
    assert clear_border(page) is page  # no dark edge at all is not a frame either
    framed = page.copy()
    framed[:, :140] = 30  # the lid along the left edge
    framed[-80:, :] = 35  # and along the bottom
    out = clear_border(framed)
    assert out[:, :140].min() == 255 and out[-80:, :].min() == 255
    assert out[1000:1050, 400:2000].max() == 20  # the text stays
    assert (out[:-100, 160:170] == framed[:-100, 160:170]).all()  # the frame, and a few pixels of its soft edge, only


def test_a_framed_scan_reads_as_the_plain_one() -> None:
    """A scan with the lid's dark frame and a bound edge's shadow: every contract field still exact
    (without clear_border this page's issue date read wrong)."""
    import numpy as np
    from PIL import Image

    import ocr
    from samples import render_document

    pages, truth = render_document("giay_chung_nhan_ho_kinh_doanh", seed=5, damage="light")
    im = np.asarray(pages[0].convert("RGB")).copy()
    b = im.shape[1] // 18
    im[:, :b] = 30
    im[: b // 2] = 40
    im[-b:] = 35
    im[:, -b // 3:] = 25
    for i in range(b):  # the shadow a bound edge casts inside the frame
        im[:, b + i] = (im[:, b + i] * (0.55 + 0.45 * i / b)).astype(np.uint8)
    result = ocr.ocr_pages([ocr.PageImage(Image.fromarray(im), truth["dpi"], 1)], workers=1)
    fields = ocr.extract_fields(result, "giay_chung_nhan_ho_kinh_doanh").fields
    for name in ocr.extract.CONTRACT_FIELDS:
        if truth["fields"].get(name) is not None:
            assert fields[name].value == truth["fields"][name], name
