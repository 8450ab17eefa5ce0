"""The recipients list's garbled rows read again by the second recogniser (ocr.list_items)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ocr
from ocr.calibrate import _render, truth_fields
from ocr.list_items import DISAGREE_CAP, is_word, list_rows, merged
from ocr.model import Word
from ocr.recipient_list import printed_items
from samples import HELD_OUT_FAMILY, TUNING_FAMILIES
from tests.ocr.test_recipient_list import _decision_page


def _words(text: str, conf: float | list[float] = 0.95, y: int = 1600, x: int = 300) -> list[Word]:
    confs = conf if isinstance(conf, list) else [conf] * len(text.split())
    out, pos = [], x
    for t, c in zip(text.split(), confs, strict=True):
        width = 20 * len(t) + 8
        out.append(Word(t, c, (pos, y, pos + width, y + 40), 7, 1))
        pos += width + 18
    return out


def _text(words: list[Word] | None) -> str | None:
    return None if words is None else " ".join(w.text for w in words)


def test_words_of_a_list_and_misreads_of_them() -> None:
    for token in ("Như", "Điều", "3;", "UBND", "tỉnh", "(b/c);", "Lưu:", "VT,", "TNMT.", "HT", "huyện;", "Phù",
                  "GD&ĐT;"):
        assert is_word(token), token
    # Abbreviations misread, specks, a rare syllable in capitals, short capitals that are no abbreviation.
    for token in ("ĐCTFLUBXD", "LBXĐ", "F1", "7012\\VLE,", "TÊNH.", "VI,", "HỮU,", "LI].", "cắc", "huvện;"):
        assert not is_word(token), token


def test_a_span_tesseract_garbled_is_taken_from_the_other_reading_capped() -> None:
    row = _words("CT, các ĐCTFLUBXD huyện;", [0.9, 0.9, 0.36, 0.94])
    other = _words("CT, các PCT UBND huyện;", [0.96, 1.0, 0.81, 0.99, 0.99])
    new = merged(row, other)
    assert _text(new) == "CT, các PCT UBND huyện;"
    assert new is not None
    assert all(w.confidence <= DISAGREE_CAP for w in new if w.text in ("PCT", "UBND"))
    assert [w.confidence for w in new if w.text in ("CT,", "các", "huyện;")] == [0.9, 0.9, 0.94]  # Tesseract's kept


def test_a_word_is_never_replaced_by_a_non_word_nor_words_by_other_words() -> None:
    # "CT" read unsure keeps against "CẾ"; the misread abbreviation beside it is still taken.
    row = _words("CT, các PCT LBXĐ huyện;", [0.3, 0.93, 0.79, 0.48, 0.84])
    assert _text(merged(row, _words("CẾ, các PCT UBND huyện;"))) == "CT, các PCT UBND huyện;"
    # Words against words: Tesseract's stand (the other engine is no better evidence than it).
    assert merged(_words("UBND tính (b/c);", 0.9), _words("UBND tỉnh (b/c);")) is None
    # The other reading garbled where Tesseract read words: nothing taken.
    assert merged(_words("Chủ hộ kinh doanh;"), _words("Chủ hộ kỉnhđoanh;")) is None


def test_a_row_cut_short_by_tesseract_gets_the_words_the_other_read_after_it() -> None:
    row = _words("Lưu:", 0.9)
    assert _text(merged(row, _words("Lưu: VT, LĐTBXH."))) == "Lưu: VT, LĐTBXH."
    # Only words are added: a speck the other read after the row is not.
    assert merged(row, _words("Lưu: J")) is None


def test_a_list_word_the_other_misread_is_taken_in_its_list_spelling() -> None:
    new = merged(_words("HỮU, VI, LI].", [0.46, 0.59, 0.34]), _words("Lữu: VT, HT."))
    assert _text(new) == "Lưu: VT, HT."
    assert printed_items("Điểu 3 Luật Đất đai") == "Điểu 3 Luật Đất đai"  # Tesseract's words: the extractor's rules


def test_the_lists_rows_are_its_label_and_the_left_column_lines_under_it() -> None:
    p = _decision_page([(300, 1690, "Nơi nhận:"), (300, 1740, "- Như Điều 3;"), (300, 1790, "- UBND tỉnh (b/c);"),
                        (300, 1840, "- Lưu: VT, TNMT."), (300, 2300, "- Ghi chú cuối trang")])
    page = p.build()
    rows = [" ".join(w.text for w in r) for r in list_rows(list(page.words), page.width, page.height)]
    assert rows == ["Nơi nhận:", "- Như Điều 3;", "- UBND tỉnh (b/c);", "- Lưu: VT, TNMT."]


def test_a_serif_decisions_list_tesseract_garbled_reads_right_and_stays_under_review(tmp_path: Path) -> None:
    # A tuning-family decision (ocr.calibrate SETS["dev-serif"], index 2) whose list Tesseract read
    # "CT, các ĐCTFLUBXD huyện;" and "UBXD tính (be);" in Noto Serif Display.
    assert "display-serif" in TUNING_FAMILIES and HELD_OUT_FAMILY != "display-serif"
    spec: dict[str, Any] = {"document_type": "quyet_dinh", "seed": 480002, "damage": "medium", "dpi": None,
                            "province": "Khánh Hòa", "family": "display-serif"}
    pages, truth = _render(spec, tmp_path)
    field = ocr.extract_fields(ocr.ocr_pages(pages, workers=1), spec["document_type"]).fields["recipients"]
    assert field.value == truth_fields(truth)["recipients"]
    assert field.confidence < 0.9  # words one engine read: a person confirms them
