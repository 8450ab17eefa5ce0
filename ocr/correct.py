"""Vietnamese post-correction: repair diacritic and character confusions with the syllable structure
and the administrative vocabulary, without making a word look more certain than it is.

Vietnamese is written in a closed set of syllables: an onset, a vowel nucleus, an optional coda and at
most one tone mark (and a stop coda -c/-ch/-p/-t only takes the sắc or nặng tone). Tesseract's typical
slips keep the letters and lose or swap a mark ("kêt" for "kết", "PHÓ" for "PHỐ", "địp" for "dịp"), so a
word's candidates are the known syllables with the same letters once marks are folded away. The
choice among them is made by the counts of syllables and syllable pairs in administrative text
(ocr/data/vi_lexicon.tsv.gz, built by ocr._build_lexicon from legal texts and the administrative-units
catalogue), looking at the neighbours: "thành phó" -> "thành phố", but "phó giám đốc" stays.

Honest confidences: a corrected word keeps at most its engine confidence, and never more than
CORRECTED_INVALID_CAP (the engine's word was not a Vietnamese syllable) or CORRECTED_VALID_CAP (it was
a real syllable replaced on context alone) -- both below the review threshold's neighbourhood of 0.9+."""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ocr._text import fold
from ocr.model import Word

LEXICON = Path(__file__).with_name("data") / "vi_lexicon.tsv.gz"
CORRECTED_INVALID_CAP = 0.85
CORRECTED_VALID_CAP = 0.7
# A real syllable is replaced only when its neighbours make the other reading this much likelier.
VALID_MARGIN = math.log(50)
STRONG_PAIR = 5
CHANGE_COST = 2.0  # log-odds per letter or mark changed, for words that were not Vietnamese

_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0309": "hỏi", "\u0303": "ngã", "\u0323": "nặng"}
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
_NUCLEI = sorted(["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê", "uya", "uyê", "uôi", "ươi", "ươu", "oai", "oay", "oeo", "uây", "iêu", "yêu", "uyu"], key=len, reverse=True)
_SYLLABLE = re.compile(_ONSET + "(" + "|".join(_NUCLEI) + ")" + "(ch|nh|ng|c|m|n|p|t)?")
_STOP_CODA = ("c", "ch", "p", "t")


def is_syllable(text: str) -> bool:
    """A well-formed Vietnamese syllable (any case): onset + nucleus + coda, at most one tone mark,
    and a stop coda only with the sắc or nặng tone."""
    nfd = unicodedata.normalize("NFD", text.lower())
    tones = [c for c in nfd if c in _TONES]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
    m = _SYLLABLE.fullmatch(base)
    if not m:
        return False
    coda = m.group(2)
    return not (coda in _STOP_CODA and (not tones or _TONES[tones[0]] not in ("sắc", "nặng")))


class Lexicon:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[tuple[str, str], int]) -> None:
        self.uni = unigrams
        self.bi = bigrams
        self.total = sum(unigrams.values()) or 1
        self.variants: dict[str, list[str]] = {}
        for w in unigrams:
            self.variants.setdefault(fold(w), []).append(w)

    def p(self, w: str) -> float:
        return (self.uni.get(w, 0) + 0.1) / (self.total + 0.1 * len(self.uni))

    def cond(self, prev: str, w: str) -> float:
        """P(w | prev), interpolated with P(w) so that unseen pairs are possible, just unlikely."""
        return (self.bi.get((prev, w), 0) + 2.0 * self.p(w)) / (self.uni.get(prev, 0) + 2.0)

    def score(self, w: str, prev: str | None, nxt: str | None) -> float:
        s = math.log(self.cond(prev, w)) if prev else math.log(self.p(w))
        if nxt:
            s += math.log(self.cond(w, nxt))
        return s

    def evidence(self, w: str, prev: str | None, nxt: str | None) -> int:
        """How often `w` was seen beside the better-attested of its two neighbours."""
        return max(self.bi.get((prev, w), 0) if prev else 0, self.bi.get((w, nxt), 0) if nxt else 0)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    uni: dict[str, int] = {}
    bi: dict[tuple[str, str], int] = {}
    with gzip.open(LEXICON, "rt", encoding="utf-8") as fh:
        pairs = False
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                pairs = True
                continue
            key, _, n = line.rpartition("\t")
            if pairs:
                a, _, b = key.partition(" ")
                bi[(a, b)] = int(n)
            else:
                uni[key] = int(n)
    return Lexicon(uni, bi)


_CORE = re.compile(r"^([^\w]*)([^\W\d_]+)([^\w]*)$")


def _split(text: str) -> tuple[str, str, str] | None:
    """(leading punctuation, letters, trailing punctuation), or None for numbers, codes, symbols."""
    m = _CORE.match(text)
    return (m.group(1), m.group(2), m.group(3)) if m else None


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _key(text: str) -> str | None:
    parts = _split(text)
    return parts[1].lower() if parts else None


# Letter shapes Tesseract confuses (one swap per candidate).
_SWAPS = (("l", "i"), ("i", "l"), ("c", "e"), ("e", "c"), ("n", "u"), ("u", "n"), ("rn", "m"), ("m", "rn"),
          ("ii", "u"), ("h", "b"), ("b", "h"), ("t", "f"), ("f", "t"))


def _confusions(core: str) -> list[str]:
    out = []
    for a, b in _SWAPS:
        start = core.find(a)
        while start >= 0:
            out.append(core[:start] + b + core[start + len(a):])
            start = core.find(a, start + 1)
    return out


def _changes(a: str, b: str) -> int:
    """Edit distance over base letters and marks (NFD), so "al" -> "ai" is 1 and "al" -> "ái" is 2."""
    x, y = unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", b)
    prev = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        cur = [i]
        for j, cy in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cx != cy)))
        prev = cur
    return prev[-1]


def choose(core: str, prev: str | None, nxt: str | None, lex: Lexicon) -> tuple[str, bool] | None:
    """The better reading of `core` (lower case) in its context and whether `core` was a known,
    well-formed syllable; None when it should stay.

    The lexicon is small, so context may overrule a real syllable only on strong evidence: the other
    reading is a frequent pair with a neighbour (>= STRONG_PAIR times) and the word as read is never
    seen beside either neighbour."""
    cands = [c for c in lex.variants.get(fold(core), ()) if c != core]
    if not is_syllable(core):
        # Not Vietnamese as written: also try the letters Tesseract swaps ("al" for "ai").
        cands += [c for v in _confusions(core) for c in lex.variants.get(fold(v), ()) if c not in cands]
    if not cands:
        return None
    if not is_syllable(core):
        # The likeliest well-formed reading, each changed letter or mark costing CHANGE_COST.
        best = max(cands, key=lambda c: lex.score(c, prev, nxt) - CHANGE_COST * _changes(core, c))
        return best, False
    best = max(cands, key=lambda c: lex.score(c, prev, nxt))
    if core not in lex.uni:
        return (best, False) if lex.evidence(best, prev, nxt) >= 1 else None
    if lex.evidence(core, prev, nxt) or lex.evidence(best, prev, nxt) < STRONG_PAIR:
        return None
    gain = lex.score(best, prev, nxt) - lex.score(core, prev, nxt)
    return (best, True) if gain >= VALID_MARGIN else None


def correct_line(words: Sequence[Word], lex: Lexicon | None = None, following: str | None = None) -> list[Word]:
    """One reading-order line, left to right; the left neighbour is the corrected one. `following` is
    the first word of the next line, the right neighbour of the last word when the sentence runs on."""
    lex = lex or lexicon()
    out: list[Word] = []
    keys = [_key(unicodedata.normalize("NFC", w.text)) for w in words]
    for i, w in enumerate(words):
        text = unicodedata.normalize("NFC", w.text).replace("Ð", "Đ").replace("ð", "đ")
        parts = _split(text)
        if parts is None or keys[i] is None:
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        lead, core, trail = parts
        # Punctuation between words breaks the context (",", ";", "." end a phrase).
        before = _split(out[-1].text) if out else None
        prev = before[1].lower() if before and not before[2] and not lead else None
        nxt = (keys[i + 1] if i + 1 < len(words) else following) if not trail else None
        pick = choose(core.lower(), prev, nxt, lex)
        if pick is None:
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        best, was_known = pick
        cap = CORRECTED_VALID_CAP if was_known else CORRECTED_INVALID_CAP
        out.append(replace(w, text=lead + _cased(best, core) + trail, confidence=min(w.confidence, cap)))
    return out


def correct(words: Sequence[Word]) -> list[Word]:
    """Every line of a page (words grouped by `line`, order kept)."""
    lex = lexicon()
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    order = sorted(lines)
    out: list[Word] = []
    for i, n in enumerate(order):
        following = _key(unicodedata.normalize("NFC", lines[order[i + 1]][0].text)) if i + 1 < len(order) else None
        out += correct_line(lines[n], lex, following)
    return out
