"""Two readings of a small page, each line kept from the reading that reads more like Vietnamese.

A small image without a resolution tag (~70 dpi, often a harsh JPEG or soft) is upscaled before
Tesseract reads it, and the upscale's rules trade errors: ringing around the letters read as tone
marks ("Đà" -> "Đả", "giao" -> "g1ao") on one image, lost marks or merged letters on another. Image
statistics were a poor judge of which rule to use on a page (docs/ocr.md: the luma and edge-width
rules read the held-out pages worse), and so was Tesseract's own confidence on a 70-dpi page. The
text is a better judge: the same line read two ways is kept from the reading whose syllables and
syllable pairs are likelier in administrative Vietnamese (ocr.correct's lexicon), one line at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from ocr.correct import Lexicon, is_syllable, lexicon
from ocr.model import Word
from ocr.segments import union

# Log-probability a token that is no Vietnamese syllable (a misread: "g1ao", "Đảa") counts for: the
# rarest syllables of the lexicon score about -17.
NON_WORD = -20.0
# The other reading's line replaces the first's only when its mean log-likelihood per token is higher
# by this much: a tie keeps the first reading (the one every other rule was measured on).
MARGIN = 0.5
# ... and only when it covers the same stretch of text: its letters within this ratio of the first's.
LENGTH_RATIO = 0.85
# Only a line with a word Tesseract was less sure of than this is read the second time (`doubtful_lines`):
# on the cost bench's six small pages, 63 of 153 lines; every line the vote replaced was among them
# (its least word confidence 0.00-0.85), none of the 90 surer ones.
SURE_LINE = 0.9


def _tokens(words: Sequence[Word]) -> list[str]:
    out = []
    for w in words:
        core = w.text.strip(".,;:!?()[]\"'“”‘’-–—/…").lower()
        if core:
            out.append(core)
    return out


def line_score(words: Sequence[Word], lex: Lexicon | None = None) -> float:
    """Mean log-likelihood per token of a line's words under the lexicon's syllable pairs. Tokens with
    a digit (numbers, codes) are left out: the two readings rarely differ there in a way words judge."""
    lex = lex or lexicon()
    total, count = 0.0, 0
    prev: str | None = None
    for token in _tokens(words):
        if any(c.isdigit() for c in token) and not any(c.isalpha() for c in token):
            prev = None
            continue
        if token in lex.uni or (is_syllable(token) and token.isalpha()):
            total += math.log(lex.cond(prev, token)) if prev else math.log(lex.p(token))
            prev = token
        else:
            total += NON_WORD
            prev = None
        count += 1
    return total / count if count else 0.0


def _digits(words: Sequence[Word]) -> str:
    return "".join(c for w in words for c in w.text if c.isdigit())


def _keeps_digits(first: str, second: str) -> bool:
    """Every digit of `first`, in order, is in `second` (a subsequence): the words judge letters only,
    so a line whose other reading lost or changed a digit ("2507" -> "2") is never taken for it; a
    letter read as a digit's place ("0Š" -> "05", "I1" -> "11") may be."""
    it = iter(second)
    return all(c in it for c in first)


def _lines(words: Sequence[Word]) -> dict[int, list[Word]]:
    out: dict[int, list[Word]] = {}
    for w in words:
        out.setdefault(w.line, []).append(w)
    return out


def doubtful_lines(words: Sequence[Word], sure: float = SURE_LINE) -> list[int]:
    """The first reading's lines (their numbers, in order) worth a second reading: those holding a word
    read below `sure`. A line read surely throughout is kept as it is without one."""
    least: dict[int, float] = {}
    for w in words:
        least[w.line] = min(least.get(w.line, 1.0), w.confidence)
    return [k for k, c in least.items() if c < sure]


def merge_lines(first: Sequence[Word], second: Sequence[Word], *, margin: float = MARGIN,
                lex: Lexicon | None = None) -> list[Word]:
    """`first`'s words, each line replaced by the words of `second` that fall on it when those read
    likelier (line_score higher by `margin`) and carry about as many letters. A word of `second`
    belongs to the first reading's line whose band holds its centre and that it overlaps across;
    the line whose middle is nearest wins a word two bands hold. Replacing words take the first
    line's number and block, so the reading order is the first reading's."""
    lex = lex or lexicon()
    lines = _lines(first)
    boxes = {k: union(w.bbox for w in ws) for k, ws in lines.items()}
    claimed: dict[int, list[Word]] = {k: [] for k in lines}
    for w in second:
        cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
        held = [k for k, (x0, y0, x1, y1) in boxes.items() if y0 <= cy <= y1 and x0 <= cx <= x1]
        if held:
            k = min(held, key=lambda k: abs((boxes[k][1] + boxes[k][3]) / 2 - cy))
            claimed[k].append(w)
    out: list[Word] = []
    for k, ws in lines.items():
        other = sorted(claimed[k], key=lambda w: w.bbox[0])
        mine = "".join(w.text for w in ws)
        theirs = "".join(w.text for w in other)
        if (other and theirs != mine and _keeps_digits(_digits(ws), _digits(other))
                and LENGTH_RATIO <= len(theirs) / max(len(mine), 1) <= 1 / LENGTH_RATIO
                and line_score(other, lex) >= line_score(ws, lex) + margin):
            out += [replace(w, line=k, block=ws[0].block) for w in other]
        else:
            out += ws
    return out
