"""The counting behind `python -m ocr.bench repairs` (docs/ocr-passes.md, fifth pass), on a synthetic page."""

from collections import Counter

import pytest

from ocr.bench_repairs import paired_words, slip_kind, tally_repairs
from ocr.model import Word

TRUTH = "UBND thành phố Đà Nẵng, về nhà ở; kết quả trong dịp hè của đấng linh thiêng."
# as read, and as the corrector wrote them, word for word
READ = ["UBND", "thành", "phó", "Đà", "Nẵng,", "XYZ", "dưa", "về", "nhà", "ở;", "kêt", "quả", "trong", "địp",
        "hè", "của", "đắng", "linh", "thiêng.", "—"]
WRITTEN = ["UBND", "thành", "phố", "Đà", "Nẵng,", "XYZ", "dứa", "về", "nhà", "ổ;", "kêt", "quả", "trong", "dịp",
           "hè", "của", "đáng", "linh", "thiêng.", "—"]


def test_tally_counts_each_outcome_of_correction_on_aligned_words():
    t = tally_repairs(READ, WRITTEN, TRUTH.split())
    # "XYZ" and "dưa" are not in the truth and "—" is no word: 20 read, 17 aligned
    assert t.aligned == 17
    assert t.read_wrong == 4  # phó, kêt, địp, đắng
    assert t.wrong_to_right == 2  # phó -> phố, địp -> dịp
    assert t.right_to_wrong == 1  # ở -> ổ
    assert t.wrong_to_other_wrong == 1  # đắng -> đáng (printed đấng)
    # "dưa" -> "dứa" changed an unaligned word: not counted; "kêt" left wrong: read wrong only
    assert t.changes == [("wrong_to_right", "phó", "phố", "phố"), ("right_to_wrong", "ở", "ổ", "ở"),
                         ("wrong_to_right", "địp", "dịp", "dịp"), ("wrong_to_other_wrong", "đắng", "đáng", "đấng")]
    assert t.slips == Counter({"hat (â ê ô) lost": 1, "tone ngang read for sắc": 1, "đ read for d": 1,
                               "hat (â ê ô) lost; breve (ă) read where there is none": 1})


def test_tally_adds_up_across_pages_and_case_is_no_slip():
    t = tally_repairs(["PHÓ"], ["PHỐ"], ["phố"])
    tally_repairs(["Chỉ", "cục", "thuế"], ["Chi", "cục", "Thuế"], ["Chi", "cục", "Thuế"], t)
    assert (t.aligned, t.read_wrong, t.wrong_to_right, t.right_to_wrong) == (4, 2, 2, 0)
    assert len(t.changes) == 2  # "thuế" -> "Thuế" changed the case only: no repair
    assert t.slips == Counter({"hat (â ê ô) lost": 1, "tone hỏi read for ngang": 1})
    with pytest.raises(ValueError):
        tally_repairs(["a"], [], ["a"])


def test_slip_kinds():
    assert slip_kind("BẠN", "BAN") == "tone nặng read for ngang"
    assert slip_kind("SẲN", "SẢN") == "breve (ă) read where there is none"
    assert slip_kind("doanh", "đoanh") == "d read for đ"
    assert slip_kind("tuong", "tương") == "horn (ơ ư) lost"


def test_paired_words_leaves_out_lines_whose_word_count_changed():
    def w(text: str, line: int) -> Word:
        return Word(text=text, confidence=0.9, bbox=(0, 0, 1, 1), line=line, block=1)

    before = [w("thành", 1), w("phó", 1), w("nhàở", 2), w("kêt", 3)]
    after = [w("thành", 1), w("phố", 1), w("nhà", 2), w("ở", 2), w("kết", 3)]
    assert paired_words(before, after) == (["thành", "phó", "kêt"], ["thành", "phố", "kết"], 1)
