"""A small page's lines read two ways are kept from the reading that reads more like Vietnamese
(issue 12: ringing read as tone marks on small JPEGs)."""

from __future__ import annotations

from ocr.line_vote import SURE_LINE, doubtful_lines, line_score, merge_lines
from ocr.model import Word


def _line(text: str, line: int, *, y: int = 0, x: int = 0, step: int = 60) -> list[Word]:
    return [Word(t, 0.8, (x + i * step, y, x + i * step + step - 10, y + 20), line, 1)
            for i, t in enumerate(text.split())]


def test_a_line_with_ringing_read_as_marks_scores_below_the_printed_one() -> None:
    assert line_score(_line("Sở Giáo dục và Đào tạo", 0)) > line_score(_line("Sở Giáo dục và Đảo tạo", 0))
    assert line_score(_line("giao nhiệm vụ cho", 0)) > line_score(_line("g1ao nhiệm vụ cho", 0))
    # No syllable at all (two lines read as one) is the least likely.
    assert line_score(_line("Nhận được Công văn này", 0)) > line_score(_line("TY VI TÔ TÊN CÀ GA) CU", 0))


def test_numbers_are_no_evidence_either_way() -> None:
    assert line_score(_line("Số 1234 ngày", 0)) == line_score(_line("Số 1284 ngày", 0))


def test_each_line_is_taken_from_the_likelier_reading() -> None:
    first = _line("Sở Giáo dục và Đảo tạo", 0, y=0) + _line("giao nhiệm vụ cho phòng", 1, y=40)
    second = _line("Sở Giáo dục và Đào tạo", 7, y=2) + _line("g1ao nhiệm vụ cho phòng", 8, y=42)
    merged = merge_lines(first, second)
    assert " ".join(w.text for w in merged) == "Sở Giáo dục và Đào tạo giao nhiệm vụ cho phòng"
    # The first reading's line numbers and blocks stay: the reading order is the first reading's.
    assert [w.line for w in merged] == [0] * 6 + [1] * 5
    assert {w.block for w in merged} == {1}


def test_a_shorter_reading_never_replaces_a_line_even_if_likelier() -> None:
    first = _line("tinh vi cho phòng Đảo tạo huyện", 0)
    second = _line("cho phòng", 3, x=120)  # half the line lost: likelier words, not the same text
    assert merge_lines(first, second) == first


def test_a_word_is_claimed_by_the_line_it_stands_on_only() -> None:
    first = _line("Sở Giáo dục và Đảo tạo", 0, y=0) + _line("giao nhiệm vụ cho phòng", 1, y=40)
    # The second reading's upper line lies on the first's upper line; nothing of it joins line 1.
    second = _line("Sở Giáo dục và Đào tạo", 5, y=1)
    merged = merge_lines(first, second)
    assert [w.text for w in merged if w.line == 1] == ["giao", "nhiệm", "vụ", "cho", "phòng"]
    assert [w.text for w in merged if w.line == 0] == ["Sở", "Giáo", "dục", "và", "Đào", "tạo"]


def test_a_likelier_line_that_lost_a_digit_is_not_taken() -> None:
    # The words read better in the second reading, but its number lost digits: numbers are no
    # words, so the lexicon cannot judge them, and the first reading's stays.
    first = _line("Số: 2507/GP-UBND Lào Cai, ngày 2I tháng 7 năm 2026 Đảo tạo", 0)
    second = _line("Số: 2/GP-UBND Lào Cai, ngày 21 tháng 7 năm 2026 Đào tạo", 4)
    assert merge_lines(first, second) == first
    # A letter read where a digit stood, and the digit read back, is taken.
    third = _line("Số: 2507/GP-UBND Lào Cai, ngày 21 tháng 7 năm 2026 Đào tạo", 4)
    assert [w.text for w in merge_lines(first, third)] == [w.text for w in third]


def test_only_lines_with_a_doubtful_word_are_read_again() -> None:
    sure = [Word(t, 0.95, (i * 60, 0, i * 60 + 50, 20), 0, 1) for i, t in enumerate(["Sở", "Giáo", "dục"])]
    unsure = _line("giao nhiệm vụ", 1, y=40) + _line("cho phòng", 2, y=80)  # 0.8 each
    doubtful = [Word("Đảo", SURE_LINE - 0.01, (0, 120, 50, 140), 3, 1), Word("tạo", 0.99, (60, 120, 110, 140), 3, 1)]
    assert doubtful_lines(sure + unsure + doubtful) == [1, 2, 3]
    assert doubtful_lines(sure) == []


def test_only_a_small_page_is_read_twice_and_the_second_reading_is_a_lanczos_upscale(monkeypatch) -> None:
    """Real Tesseract on a generated page: at ~70 dpi (no resolution tag) the engine reads the page's
    doubtful lines a second time, cropped from the Lanczos upscale and stacked on one sheet, and votes
    line by line; at 300 dpi it does not (no cost there)."""
    import cv2
    import numpy as np
    import pytest

    pytest.importorskip("samples")
    from typing import Any

    import ocr.tesseract_engine as te
    from ocr.preprocess import prepare
    from tests.ocr.a4_pages import a4_at, clean_a4_page

    images: list[np.ndarray] = []
    real_run = te.tesseract.run

    def counting(path: str, args: list[str], **kw: Any) -> str:
        if args[-1] == "tsv" and "sohoa-ocr" in path:
            images.append(np.asarray(cv2.imread(path, cv2.IMREAD_GRAYSCALE)))
        return real_run(path, args, **kw)

    monkeypatch.setattr(te.tesseract, "run", counting)
    page = clean_a4_page()
    engine = te.TesseractEngine(columns=(), key_lines=False, signer_lines=False, holder_lines=False,
                        list_items=False, header_body=False, recipient_list=False)
    small = np.asarray(a4_at(page, 70))
    text = engine.recognise(small, dpi=70)
    assert len(images) == 2 and text.words
    lanczos = prepare(small, 70, seal=engine.seal, ink=engine.ink, interpolation=cv2.INTER_LANCZOS4).gray
    bicubic = prepare(small, 70, seal=engine.seal, ink=engine.ink).gray
    assert np.array_equal(images[0], bicubic) and not np.array_equal(bicubic, lanczos)
    # The second reading is of the doubtful lines only: a sheet smaller than the page, its crops cut
    # from the Lanczos upscale (a patch of the first crop is found there exactly, not in the bicubic).
    sheet = images[1]
    assert sheet.size < 0.7 * lanczos.size
    first_ink = 60 + int(np.flatnonzero((sheet[60:, 60:160] < 128).any(axis=1))[0])
    patch = np.ascontiguousarray(sheet[first_ink:first_ink + 6, 60:160])
    assert cv2.minMaxLoc(cv2.matchTemplate(lanczos, patch, cv2.TM_SQDIFF))[0] == 0
    assert cv2.minMaxLoc(cv2.matchTemplate(bicubic, patch, cv2.TM_SQDIFF))[0] > 0
    images.clear()
    engine.recognise(np.asarray(page), dpi=300)
    assert len(images) == 1
