"""OSD is asked only about a page whose reading does not read as text (ocr.reading.reads_upright).

A page the second readings' caps leave with a low mean confidence was still read upright when its words
are Vietnamese syllables: asking OSD there costs 0.6 CPU s and turns nothing. A page read upside
down or sideways still goes to OSD."""

from __future__ import annotations

from dataclasses import replace

import pytest

import ocr
from ocr.model import PageText
from ocr.quality import assess
from ocr.reading import _doubtful, reads_upright
from ocr.tesseract_engine import TesseractEngine

samples = pytest.importorskip("samples")

# The page pass alone: what the gate is about is the words, not the second readings.
_PAGE_PASS = TesseractEngine(columns=(), header_stamp=False, recipient_list=False, key_lines=False, marks=False,
                             signer_lines=False, holder_lines=False, list_items=False, header_body=False,
                             small_second_reading=False)


@pytest.fixture(scope="module")
def readings() -> dict[int, PageText]:
    pages, truth = samples.render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="light")
    image = pages[0].convert("RGB")
    return {angle: _PAGE_PASS.recognise(image.rotate(angle, expand=True) if angle else image, dpi=truth["dpi"])
            for angle in (0, 90, 180)}


def test_an_upright_reading_reads_as_text_a_turned_one_does_not(readings: dict[int, PageText]) -> None:
    assert reads_upright(readings[0].words)
    assert not reads_upright(readings[90].words)  # sideways: Tesseract finds next to nothing
    assert not reads_upright(readings[180].words)  # upside down: fragments, few syllables


def test_an_upright_page_left_unsure_by_the_caps_is_not_sent_to_osd(readings: dict[int, PageText]) -> None:
    pages, truth = samples.render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="light")
    quality = assess(pages[0].convert("RGB"), truth["dpi"])
    unsure = replace(readings[0], mean_confidence=0.55)  # as the caps leave a phone capture's page
    assert not _doubtful(unsure, quality)
    assert _doubtful(replace(readings[180], mean_confidence=0.55), quality)
    assert _doubtful(readings[90], quality)


def test_an_upside_down_page_is_still_read_turned() -> None:
    pages, truth = samples.render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="light")
    upside_down = ocr.PageImage(pages[0].convert("RGB").rotate(180), truth["dpi"], 1)
    result = ocr.ocr_pages([upside_down], workers=1)
    assert result.pages[0].rotation == 180
