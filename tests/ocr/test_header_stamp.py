"""An incoming-mail stamp over the header (issue 12): its ink and its pen's number and day are taken
off the header's left column before that column is read again (ocr.header_stamp). Generated pages of
the tuning family "ministry" (seeds of ocr.calibrate SETS["dev-ministry"]), never the held-out one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ocr
from ocr.header_stamp import header_stamps, header_zone, reread_header_zone
from ocr.model import OcrResult, Word
from ocr.pages import load_pages
from ocr.preprocess import prepare
from ocr.tesseract_engine import TesseractEngine
from samples import HELD_OUT_FAMILY, render_document


def _page(document_type: str, seed: int, province: str, damage: str, tmp_path: Path) -> tuple[object, dict]:
    assert HELD_OUT_FAMILY != "ministry"
    pages, truth = render_document(document_type, seed=seed, damage=damage, province=province, family="ministry")
    assert truth.get("incoming_stamp"), "the page must carry an incoming-mail stamp"
    path = tmp_path / "scan.png"  # written and read back as intake reads a scan
    pages[0].save(path, dpi=pages[0].info["dpi"])
    return load_pages(path)[0], truth


@pytest.mark.parametrize(("document_type", "seed", "province", "damage"), [
    # A blue stamp (the pen's hue) and a violet one, both over the header's lines.
    ("cong_van", 560_049, "Hà Nội", "light"),
    ("giay_chung_nhan_ho_kinh_doanh", 560_046, "Hà Nội", "light"),
])
def test_a_header_under_an_incoming_stamp_is_read_without_the_stamp(document_type: str, seed: int, province: str,
                                                                   damage: str, tmp_path: Path) -> None:
    page, truth = _page(document_type, seed, province, damage, tmp_path)
    want = truth["general_fields"].get("issuing_authority") or truth["fields"]["issuing_authority"]
    got = {}
    for on in (False, True):
        engine = TesseractEngine(header_stamp=on)
        text = engine.recognise(page.image, dpi=page.dpi)  # type: ignore[attr-defined]
        got[on] = ocr.extract_fields(OcrResult(pages=(text,), engine="tesseract"), document_type) \
            .fields["issuing_authority"]
    assert got[False].value != want  # the stamp's words and pen run into the header lines
    assert got[True].value == want
    # Words the stamp's box touched are capped (marks.UNDER_MARK_CAP): the value stays under review,
    # nothing says the stamp hid none of it.
    assert got[True].confidence < 0.9


def test_a_page_without_a_stamp_is_left_as_it_was() -> None:
    rgb = np.full((600, 800, 3), 235, np.uint8)
    rgb[100:130, 100:400] = 20  # black print
    assert header_stamps(rgb, 100) == []
    words = [Word("BỘ", 0.95, (100, 100, 160, 130), line=0, block=0)]
    prep = prepare(rgb, 100)
    out = reread_header_zone(words, rgb, prep, dpi=100, eff_dpi=100, width=800, height=600, language="vie",
                             psm=4, file="<page>")
    assert out == words


def test_the_documents_own_number_line_is_never_in_the_zone() -> None:
    # A stamp from the top down to y=300; the document's number line starts at 260, under it.
    words = [Word("Số:", 0.93, (200, 260, 240, 290), line=3, block=0), Word("72/QĐ-BXD", 0.9, (250, 260, 400, 290), line=3, block=0),
             Word("CỘNG", 0.96, (900, 100, 1000, 130), line=1, block=0)]
    zone = header_zone(words, [(100, 20, 500, 300)], 2000, 200)
    assert zone is not None
    assert zone[3] < 260 and zone[2] < 900


def test_coloured_ink_below_the_number_line_or_down_the_margin_is_no_header_stamp() -> None:
    """2.pdf (a development page): a blue note written down the left margin, 4.3 inches tall, under the
    number line, was taken for a stamp on the header; the left half of the body text down to its
    bottom was read again and broke the page's reading order (WER 3.6 % -> 17.9 %)."""
    number = [Word("Số:", 0.93, (200, 260, 240, 290), line=3, block=0),
              Word("72/QĐ-BXD", 0.9, (250, 260, 400, 290), line=3, block=0)]
    motto = [Word("CỘNG", 0.96, (900, 100, 1000, 130), line=1, block=0)]
    # ink that starts under the document's number line
    assert header_zone(number + motto, [(0, 320, 400, 500)], 2000, 200) is None
    # a patch taller than any incoming-mail stamp, even from the top of the page
    assert header_zone(motto, [(0, 20, 300, 20 + 3 * 200)], 2000, 200) is None
    # a stamp-sized patch on the header still makes a zone
    assert header_zone(number + motto, [(100, 20, 500, 240)], 2000, 200) is not None
