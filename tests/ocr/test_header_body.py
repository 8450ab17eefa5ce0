"""The header's issuing-body lines Tesseract garbled, read again by the second recogniser (ocr.header_body)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ocr
from ocr.calibrate import _render, truth_fields
from ocr.header_body import _split, header_rows, is_body_word
from ocr.list_items import DISAGREE_CAP, UNSURE, merged
from ocr.model import Word
from ocr.tesseract_engine import TesseractEngine
from samples import HELD_OUT_FAMILY, TUNING_FAMILIES
from tests.ocr.test_extract_general import Page, _header
from tests.ocr.test_list_items import _text, _words


def test_words_of_an_issuing_body_and_misreads_of_them() -> None:
    # Short capitals a list would take for abbreviations are words of a body's name; rare place
    # syllables are words by the administrative catalogue.
    for token in ("ỦY", "BAN", "DÂN", "SỞ", "BỘ", "XÃ", "UBND", "GD&ĐT", "HĐND", "-", "NẬM", "PỒ", "HÒA", "CÁT"):
        assert is_body_word(token), token
    # Garbled capitals, a mark no abbreviation has, specks, a rare syllable.
    for token in ("PHOXG", "T\\I", "HO\\CH", "10%EÑÍŸUY", "ŨBND", "LBND", "UBNP", "NHẦN", "CẤT", "X", "B1\\ĐÌNH"):
        assert not is_body_word(token), token


def _body(text: str, conf: float | list[float] = 0.95) -> list[Word]:
    return _words(text, conf, y=250)


def test_a_garbled_body_line_is_taken_from_a_sure_other_reading_capped() -> None:
    row = _body("PHOXG T\\I CHIXH", [0.64, 0.33, 0.62])
    new = merged(row, _body("PHÒNG TÀI CHÍNH", [0.98, 0.64, 1.0]), fine=is_body_word, sure=UNSURE,
                 spelled=lambda t: t)
    assert _text(new) == "PHÒNG TÀI CHÍNH"
    assert new is not None and all(w.confidence <= DISAGREE_CAP for w in new)
    # The other engine unsure of a word ("PHÙNG" at 0.4 for "PHÒNG"): Tesseract's non-word is kept
    # there (the field stays doubtful), its sure words are still taken.
    unsure = merged(row, _body("PHÙNG TẠI CHÍNH", [0.4, 0.92, 0.98]), fine=is_body_word, sure=UNSURE,
                    spelled=lambda t: t)
    assert _text(unsure) == "PHOXG TẠI CHÍNH"


def test_words_of_a_body_are_never_replaced_by_other_words_nor_by_a_marked_abbreviation() -> None:
    assert merged(_body("ỦY BAN NHÂN DÂN"), _body("ỦY BẢN NHÂN DÂN"), fine=is_body_word, sure=UNSURE) is None
    # "UBND" read right stays against "ŨBND"; the garbled token beside it is taken.
    row = _body("UBND 10%EÑÍŸUY PHƯỚC", [0.92, 0.1, 0.91])
    new = merged(row, _body("ŨBND HUYỆN/TUY PHƯỚC", [0.9, 0.8, 1.0]), fine=is_body_word, sure=UNSURE)
    assert _text(new) == "UBND HUYỆN/TUY PHƯỚC"
    assert [w.text for w in _split(new[1])] == ["HUYỆN", "TUY"]  # no slash left to read as a symbol


def test_the_block_is_the_left_header_lines_above_the_number() -> None:
    page = _header(Page(), body=("UBND HUYỆN PHÙ CÁT", "PHÒNG TÀI CHÍNH - KẾ HOẠCH")).build()
    rows = [" ".join(w.text for w in r) for r in header_rows(list(page.words), page.width, page.height)]
    assert rows == ["UBND HUYỆN PHÙ CÁT", "PHÒNG TÀI CHÍNH - KẾ HOẠCH"]


def test_a_certificates_header_tesseract_garbled_reads_right_and_stays_under_review(tmp_path: Path) -> None:
    # A tuning-family certificate (ocr.calibrate SETS["dev-families"], index 8) whose superior body
    # Tesseract read "UBND 10%EÑÍŸUY PHƯỚC" in the Times-like serif face.
    assert "times-serif" in TUNING_FAMILIES and HELD_OUT_FAMILY != "times-serif"
    spec: dict[str, Any] = {"document_type": "giay_chung_nhan_ho_kinh_doanh", "seed": 410008, "damage": "none",
                            "dpi": None, "province": "Bình Định", "family": "times-serif"}
    pages, truth = _render(spec, tmp_path)
    want = truth_fields(truth)["issuing_authority"]
    # The page has an incoming-mail stamp over its header: the stamp's own re-reading (ocr.header_stamp)
    # also reads it right, so both runs leave it off and only this second reading differs.
    before = ocr.extract_fields(ocr.ocr_pages(pages, engine=TesseractEngine(header_body=False, header_stamp=False),
                                              workers=1), spec["document_type"]).fields["issuing_authority"]
    assert before.value != want
    field = ocr.extract_fields(ocr.ocr_pages(pages, engine=TesseractEngine(header_stamp=False), workers=1),
                               spec["document_type"]).fields["issuing_authority"]
    assert field.value == want
    assert field.confidence < 0.9  # words one engine read: a person confirms them
