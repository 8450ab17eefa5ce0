"""CTC decoding constrained to a line grammar (ocr.ctc_grammar), on made-up frame probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.ctc_grammar import ANY, DATE_GRAMMAR, NUMBER_GRAMMAR, Digits, Fill, Lit, compile_grammar, decode

# A small alphabet: index 0 is CTC's blank.
ALPHABET = ("", "S", "ố", "ó", "o", ":", " ", "/", "Q", "Đ", "1", "2", "3", "5", "9", "n", "g", "à", "y", "t", "h",
            "a", "á", "m", "ă", "0", "4", "6", "8", "H", ".")


def frames(*rows: dict[str, float]) -> np.ndarray:
    """One frame per dict (character -> probability), the rest of each frame's mass on the blank."""
    out = np.zeros((len(rows), len(ALPHABET)))
    for t, row in enumerate(rows):
        for ch, p in row.items():
            out[t, ALPHABET.index(ch)] = p
        out[t, 0] = 1.0 - out[t].sum()
    return out


def spell(text: str) -> list[dict[str, float]]:
    """Frames that spell `text` surely, a blank frame between characters."""
    rows: list[dict[str, float]] = []
    for ch in text:
        rows += [{ch: 0.98}, {}]
    return rows


def number(probs: np.ndarray) -> dict[str, float]:
    auto = compile_grammar(NUMBER_GRAMMAR, ALPHABET)
    return {dict(v)["number"]: p for v, p in decode(probs, auto, ALPHABET).items()}


def test_a_digit_the_greedy_reading_takes_for_a_slash_is_read_as_the_digit_it_can_only_be():
    # "Số: 1?5 /QĐ": the middle glyph is likelier "/" than "9" to the network (greedy: "Số: 1/5 /QĐ",
    # no number), but a "/" followed by a digit is not the symbol's, so only digits fit there.
    probs = frames(*spell("Số: 1"), {"/": 0.55, "9": 0.35, "3": 0.08}, {}, *spell("5 /QĐ"))
    greedy = "".join(ALPHABET[k] for k in probs.argmax(axis=1) if k)
    assert "/5" in greedy
    post = number(probs)
    assert list(post)[:2] == ["195", "135"]
    assert 0.6 < post["195"] < 0.9  # about 0.35 against 0.08 for "3": a probability, not a certainty
    assert sum(post.values()) == pytest.approx(1.0)


def test_the_label_anchors_whatever_its_tone_and_dots_around_the_blank_are_not_digits():
    probs = frames(*spell("Só:...12..../QĐ"))
    post = number(probs)
    assert list(post)[0] == "12" and post["12"] > 0.9


def test_a_repeated_digit_needs_a_blank_between_its_frames():
    held = frames(*spell("Số: "), {"1": 0.98}, {"1": 0.98}, {}, *spell("/Q"))
    assert list(number(held))[0] == "1"
    twice = frames(*spell("Số: "), {"1": 0.98}, {}, {"1": 0.98}, {}, *spell("/Q"))
    assert list(number(twice))[0] == "11"


def test_frames_no_string_of_the_grammar_fits_give_nothing():
    # No "/" after the digits: not a number line in this grammar.
    assert number(frames(*spell("Số: 12 QĐ"))) == {}


def test_a_date_line_gives_day_month_and_year_jointly():
    probs = frames(*spell("Hà ngày "), {"1": 0.5, "4": 0.45}, {}, {"8": 0.9}, {}, *spell(" tháng 10 năm 2023"))
    auto = compile_grammar(DATE_GRAMMAR, ALPHABET)
    post = decode(probs, auto, ALPHABET)
    best = dict(next(iter(post)))
    assert best == {"day": "18", "month": "10", "year": "2023"}
    assert dict(list(post)[1])["day"] == "48"


def test_a_custom_grammar_with_optional_fill_and_bounded_digits():
    auto = compile_grammar((ANY, Lit("n"), Fill(" "), Digits("x", 2, 2), ANY), ALPHABET)
    post = decode(frames(*spell("n 123")), auto, ALPHABET)
    # Exactly two digits, right after the label: "12" (the other pairs skip a sure frame).
    assert dict(next(iter(post)))["x"] == "12" and next(iter(post.values())) > 0.9
    assert all(len(dict(v)["x"]) == 2 for v in post)
