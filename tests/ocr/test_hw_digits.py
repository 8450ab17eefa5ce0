"""The handwritten digit classifier (ocr/hw_digits.py) and its vote in the key lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ocr import hw_digits
from ocr.hw_digits import NOT_ONE, WEIGHTS, digit_candidates, digit_probs, string_candidates, weights

REAL = Path(__file__).resolve().parents[1] / "data" / "real-scans"


def _drawn(strokes: list[tuple[tuple[int, int], tuple[int, int]]], *, width: int = 5,
           size: tuple[int, int] = (60, 80)) -> np.ndarray:
    """A grey glyph sheet: dark strokes (pen lines, rounded ends) on white."""
    sheet = Image.new("L", size, 255)
    draw = ImageDraw.Draw(sheet)
    for a, b in strokes:
        draw.line((a, b), fill=40, width=width, joint="curve")
        for x, y in (a, b):
            draw.ellipse((x - width // 2, y - width // 2, x + width // 2, y + width // 2), fill=40)
    return np.asarray(sheet)


# A "1" as Vietnamese clerks write it: a long flag from the top going down-left, the stem leaning.
FLAGGED_ONE = [((36, 12), (28, 68)), ((36, 12), (20, 30))]
# A "7": a long top bar, the stroke down from its right end.
SEVEN = [((14, 14), (48, 12)), ((48, 12), (26, 68))]


def test_the_shipped_weights_are_small_and_load_with_numpy():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 2_500_000
    clf = weights()
    assert clf.layers[0][0].shape[0] == hw_digits.SIDE * hw_digits.SIDE
    assert clf.layers[-1][0].shape[1] == NOT_ONE + 1
    assert 0.2 < clf.temperature < 10


def test_a_flagged_one_is_a_one_and_a_seven_with_a_long_bar_a_seven():
    """The printed-text readers take the flagged "1" for a "7"; the classifier, trained on
    handwriting with flagged "1"s drawn in, does not."""
    one = digit_candidates(_drawn(FLAGGED_ONE))
    seven = digit_candidates(_drawn(SEVEN))
    assert one[0][0] == "1", one
    assert seven[0][0] == "7", seven


def test_probabilities_are_a_distribution_and_an_empty_sheet_reads_nothing():
    probs = digit_probs(_drawn(SEVEN))
    assert probs is not None and probs.shape == (NOT_ONE + 1,) and abs(float(probs.sum()) - 1) < 1e-5
    blank = np.full((40, 30), 255, np.uint8)
    assert digit_probs(blank) is None and digit_candidates(blank) == [] and string_candidates([blank]) == {}


def test_two_glyphs_read_in_order():
    found = string_candidates([_drawn(FLAGGED_ONE), _drawn(SEVEN)])
    assert next(iter(found)) == "17"
    assert all(0 < p <= 1 for p in found.values())


def test_the_flagged_one_of_a_real_number_is_read_as_one():
    """1.pdf (development): "1595" written into "Số: …/SGDĐT-CTrTT". Every reading of print takes
    its flagged first glyph for a "7" ("7535"); the classifier reads a "1"."""
    from ocr import load_pages
    from ocr.key_lines import number_glyphs

    page = load_pages(REAL / "1.pdf")[0]
    glyphs = number_glyphs(page.image, (326, 446), (298, 340))
    assert len(glyphs) == 3
    first = digit_candidates(glyphs[0].sheet)
    assert first[0][0] == "1" and first[0][1] > 0.8


def test_the_classifier_overrules_a_number_only_when_sure_and_capped():
    """1.pdf (development): the line readings settle on "7535" for the handwritten "1595" (the
    flagged "1" a "7", the open "9" a "3"). The classifier, reading the blank's glyphs, is sure of
    the "1" (its "59" glyph, two digits in one stroke, is cut in two; the open "9" stays a "3" to it
    too): "1535" replaces "7535", capped at the review confidence. Where it is unsure, or gives the
    settled value a fair chance, it overrules nothing."""
    from ocr import load_pages
    from ocr.key_lines import DISAGREE_CAP, HW_AGAINST, HW_MIN, KeyLine, hw_verdict, number_votes
    from ocr.model import Word

    page = load_pages(REAL / "1.pdf")[0]
    found = number_votes(page.image, (326, 446), (298, 340), sources=("glyphs-hw",))["glyphs-hw"]
    best, p = next(iter(found.items()))
    assert best.startswith("1") and p >= HW_MIN
    line = KeyLine("number", (Word("Số:", 0.9, (280, 300, 320, 338), 2, 3), Word("7535/SGDĐT-CTrTT", 0.5, (326, 300, 600, 338), 2, 3)))
    settled = Word("7535", 0.6, (326, 307, 446, 338), 2, 3)
    word = hw_verdict(settled, found, line)
    assert word is not None and word.text == best and word.confidence <= DISAGREE_CAP and word.bbox == settled.bbox
    assert hw_verdict(settled, {"1535": HW_MIN - 0.01}, line) is None
    assert hw_verdict(settled, {"1535": 0.9, "7535": HW_AGAINST + 0.01}, line) is None
    assert hw_verdict(Word("1535", 0.6, settled.bbox, 2, 3), found, line) is None
