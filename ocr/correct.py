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
import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from core.text import fold, nfc
from ocr._lexicon import SURNAMES
from ocr._text import edit_distance
from ocr.model import Word

_log = logging.getLogger(__name__)
LEXICON = Path(__file__).with_name("data") / "vi_lexicon.tsv.gz"
# Vietnamese words of two syllables or more (a dictionary's word list, see the file's header): which
# syllables belong together ("vận chuyển", "nguy hiểm", "kiểm định"), where the pair counts of the
# small administrative corpus have never seen the pair.
WORDS = Path(__file__).with_name("data") / "vi_words.txt.gz"
CORRECTED_INVALID_CAP = 0.85
CORRECTED_VALID_CAP = 0.7
# A real syllable is replaced only when its neighbours make the other reading this much likelier.
VALID_MARGIN = math.log(50)
STRONG_PAIR = 5
CHANGE_COST = 2.0  # log-odds per letter or mark changed, for words that were not Vietnamese
# A syllable seen this often in the administrative corpus is no rare one (`_twin`).
FREE_MIN = 15
# A hỏi/ngã syllable in at most RARE_ENTRIES of the dictionary's words, whose twin is in TWIN_ENTRIES or
# more and TWIN_RATIO times as many, is read as its twin when it makes no word where it stands (`_twin`).
RARE_ENTRIES = 2
TWIN_ENTRIES = 10
TWIN_RATIO = 5

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
    base = nfc("".join(c for c in nfd if c not in _TONES))
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


_PLAIN_Y = re.compile(r"^(ch|gh|kh|nh|ph|th|tr|ngh|ng|[bcdđghklmnprstvx])y$")


# Memoised: the word list alone spells ~68,000 syllables of a few thousand distinct ones on load, and
# the corrector spells each word's neighbours again for every candidate (a pure function of its text).
@lru_cache(maxsize=1 << 16)
def _spelling(syllable: str) -> tuple[str, str]:
    """A syllable however it is spelt: its letters without the tone mark (a plain "y" after an onset
    as "i": "kỳ" = "kì") and its tone. The old and the new placement of the mark ("hoá" / "hóa",
    "thuỷ" / "thủy") are one syllable."""
    nfd = unicodedata.normalize("NFD", syllable.lower())
    tone = next((c for c in nfd if c in _TONES), "")
    base = nfc("".join(c for c in nfd if c not in _TONES))
    return (base[:-1] + "i" if _PLAIN_Y.match(base) else base), tone


Spelt = tuple[str, str]  # a syllable's letters without the tone mark, and its tone (`_spelling`)


@dataclass(frozen=True)
class WordList:
    """The dictionary's words (`WORDS`), each as the tuple of its syllables' spellings, and which
    syllables, as written there, fold to the same letters."""
    entries: frozenset[tuple[Spelt, ...]]
    longest: int
    variants: dict[str, frozenset[str]]


@lru_cache(maxsize=1)
def word_list() -> WordList:
    entries: set[tuple[Spelt, ...]] = set()
    variants: dict[str, set[str]] = {}
    with gzip.open(WORDS, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            parts = line.split()
            entries.add(tuple(_spelling(p) for p in parts))
            for p in parts:
                variants.setdefault(fold(p), set()).add(p)
    return WordList(frozenset(entries), max(map(len, entries), default=2),
                    {k: frozenset(v) for k, v in variants.items()})


def _word_spans(context: Sequence[Spelt], wl: WordList) -> list[tuple[int, int]]:
    """(start, end) of every dictionary word found in `context`."""
    spans = []
    for n in range(2, min(wl.longest, len(context)) + 1):
        spans += [(i, i + n) for i in range(len(context) - n + 1) if tuple(context[i:i + n]) in wl.entries]
    return spans


def _covered(n: int, spans: Sequence[tuple[int, int]]) -> int:
    """The most syllables of a context of `n` that non-overlapping words (`spans`) can cover."""
    best = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = max([best[i + 1], *(end - i + best[end] for start, end in spans if start == i)])
    return best[0]


def _in_a_word(w: str, left: Sequence[str], right: Sequence[str]) -> bool:
    """Does `w` make a whole dictionary word with some of its neighbours (`left` nearest last, `right`
    nearest first)? Only if the context is better cut into words with `w` inside one than without:
    a word of three syllables needs all three ("ổ" between "nhà" and "cho" is no part of "nhà ổ
    chuột"), and a neighbour that makes a word on its other side as well is no evidence ("cửa nhà" is
    a word, but in "xung kích của nhà trường" the "nhà" may as well be the school's), while "kiểm sát"
    in "viện kiểm sát nhân dân" is a word though "sát nhân" is one too."""
    wl = word_list()
    reach = wl.longest - 1
    lefts, rights = [_spelling(s) for s in left[-reach:]], [_spelling(s) for s in right[:reach]]
    at = len(lefts)
    context = [*lefts, _spelling(w), *rights]
    spans = _word_spans(context, wl)
    return _covered(len(context), spans) > _covered(len(context), [s for s in spans if not s[0] <= at < s[1]])


_DOT_BELOW = "\u0323"
_HOOK, _TILDE = "\u0309", "\u0303"
_HAT = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: â ê ô ă ơ ư


def _mark_slip(read: str, other: str) -> bool:
    """Could Tesseract have read `other` as `read`? Its slips, measured on the development pages
    (docs/ocr.md): the stacked marks -- a tone over a circumflex, breve or horn lost or changed, or the
    hat itself ("chuyên"/"chuyển", "Giây"/"Giấy", "Thục"/"Thực", "NÓ"/"NỔ", "nỗi"/"nổi"); the hook
    above (hỏi) read where there is none or for a tilde on a plain vowel ("chỉ tiết", "Chỉ cục",
    "tỉnh vi"); đ for d ("địp"). Other single tones on a plain vowel it reads well: "cả" is not a
    misread "cá", nor "vi" "ví" (each a wrong change seen on a development page). The dot below
    (nặng) is kept as it is ("cháy" is no misread "chạy"); the same syllable spelt otherwise is no
    slip."""
    a, b = _spelling(read), _spelling(other)
    if a == b or (a[1] == _DOT_BELOW) != (b[1] == _DOT_BELOW):
        return False
    hats = {c for c in unicodedata.normalize("NFD", read + other) if c in _HAT}
    if hats and a[0] != b[0] and a[1] != b[1]:
        # Two marks changed at once: only a stack above collapsed into one or grown from one ("NÓ" for
        # "NỔ"); a horn lost beside a changed tone is two slips ("ghi chữ" is no misread "ghi chú").
        return "\u031b" not in hats
    if hats:
        return True
    if a[0] != b[0]:  # no hat on either: the letters differ only by đ/d
        return a[1] == b[1]
    return _HOOK in (a[1], b[1]) and {a[1], b[1]} <= {"", _HOOK, _TILDE}


@lru_cache(maxsize=1)
def _entries_per_syllable() -> dict[str, int]:
    """In how many of the dictionary's words each syllable (as written there) is found."""
    counts: dict[str, int] = {}
    with gzip.open(WORDS, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                for p in set(line.split()):
                    counts[p] = counts.get(p, 0) + 1
    return counts


def _twin(core: str, variants: set[str], lex: Lexicon) -> str | None:
    """The hook above (hỏi) and the tilde (ngã), the tones Tesseract confuses most, on a syllable that
    lives inside a few words only: "nỗ" is found in "nỗ lực" alone, so a "nỗ" that makes no word
    with its neighbours ("vật liệu nỗ công nghiệp") is its twin "nổ", a syllable of many words
    ("thuốc nổ", "cháy nổ", "nổ mìn" …). Only when the read syllable is rare in the corpus and the
    dictionary (RARE_ENTRIES) and its twin far more productive (TWIN_ENTRIES, TWIN_RATIO)."""
    spelling, tone = _spelling(core)
    if tone not in (_HOOK, _TILDE):
        return None
    entries = _entries_per_syllable()
    mine = entries.get(core, 0)
    if mine > RARE_ENTRIES or lex.uni.get(core, 0) >= FREE_MIN:
        return None
    twins = [c for c in variants if _spelling(c) == (spelling, _TILDE if tone == _HOOK else _HOOK)]
    best = max(twins, key=lambda c: entries.get(c, 0), default=None)
    if best is None or entries.get(best, 0) < max(TWIN_ENTRIES, TWIN_RATIO * mine):
        return None
    return best


def _unattested(core: str, lex: Lexicon) -> str | None:
    """A syllable well-formed but found neither in the administrative corpus nor in any dictionary
    word ("địp", "buôi"), one slip of the tone or of đ/d away from exactly one syllable that is ("dịp",
    "buổi"); a changed hat or horn is too far ("cườn" is no misread "cuồn")."""
    entries = _entries_per_syllable()
    if len(core) < 2 or core in lex.uni or core in entries:
        return None
    letters = _spelling(core)[0].replace("đ", "d")
    key = fold(core)
    known = [c for c in set(lex.variants.get(key, ())) | set(word_list().variants.get(key, ()))
             if _spelling(c)[0].replace("đ", "d") == letters and _mark_slip(core, c)]
    if len({_spelling(c) for c in known}) != 1:
        return None
    # Not when a reading further away is far commoner: "ngảy" is rather "ngày" than "ngay".
    pick = max(known, key=lambda c: lex.uni.get(c, 0))
    commonest = max((lex.uni.get(c, 0) for c in lex.variants.get(key, ())), default=0)
    return pick if commonest <= 10 * max(lex.uni.get(pick, 0), 1) else None


def _word_repair(core: str, left: Sequence[str], right: Sequence[str], lex: Lexicon) -> str | None:
    """A mark slipped inside a word ("vận chuyên", "Giây phép", "thay thê", "NGUY HIẾM", "Chỉ cục"):
    the syllable as read makes a word with neither neighbour, and exactly one reading with the same
    letters (one syllable however spelt), reachable by one of Tesseract's slips, does."""
    if not (left or right) or _in_a_word(core, left, right):
        return None
    key = fold(core)
    variants = set(lex.variants.get(key, ())) | set(word_list().variants.get(key, ()))
    worded = [c for c in variants if _mark_slip(core, c) and _in_a_word(c, left, right)]
    if not worded:
        return _twin(core, variants, lex)
    if len({_spelling(c) for c in worded}) != 1:
        return None
    # The spelling the administrative corpus uses most ("hóa" rather than "hoá").
    return max(worded, key=lambda c: (lex.uni.get(c, 0), c))


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
          ("ii", "u"), ("h", "b"), ("b", "h"), ("t", "f"), ("f", "t"), ("v", "y"), ("y", "v"))


def _confusions(core: str) -> list[str]:
    out = []
    for a, b in _SWAPS:
        start = core.find(a)
        while start >= 0:
            out.append(core[:start] + b + core[start + len(a):])
            start = core.find(a, start + 1)
    # One letter too many: a tone mark read as a letter of its own ("XÃA" for "XÃ", "PHƯỚƠC" for "PHƯỚC").
    if len(core) >= 3:
        out += [core[:i] + core[i + 1:] for i in range(len(core))]
    return out


def _split_reading(core: str, prev: str | None, nxt: str | None, lex: Lexicon) -> tuple[int, str, str, float] | None:
    """A missed space: `core` (not a syllable) as two known syllables ("thịnhung" -> "thị" + "nhung"),
    as (cut, left, right, score) -- the best cut by the pair counts, or None when no cut gives two."""
    best: tuple[int, str, str, float] | None = None
    for cut in range(2, len(core) - 1):
        left, right = core[:cut], core[cut:]
        if not (is_syllable(left) and is_syllable(right)):
            continue
        # Each half as read when it is known, else its likeliest known reading with the same letters.
        lefts = [left] if left in lex.uni else lex.variants.get(fold(left), [])
        rights = [right] if right in lex.uni else lex.variants.get(fold(right), [])
        for a in lefts:
            for b in rights:
                score = (math.log(lex.cond(prev, a)) if prev else math.log(lex.p(a))) + math.log(lex.cond(a, b)) \
                    + (math.log(lex.cond(b, nxt)) if nxt else 0.0) \
                    - CHANGE_COST * (1 + _changes(left, a) + _changes(right, b))
                if best is None or score > best[3]:
                    best = (cut, a, b, score)
    return best


def _changes(a: str, b: str) -> int:
    """Edit distance over base letters and marks (NFD), so "al" -> "ai" is 1 and "al" -> "ái" is 2."""
    return edit_distance(unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", b))


def choose(core: str, prev: str | None, nxt: str | None, lex: Lexicon, left: Sequence[str] | None = None,
           right: Sequence[str] | None = None) -> tuple[str, bool] | None:
    """The better reading of `core` (lower case) in its context and whether `core` was a known,
    well-formed syllable; None when it should stay. A reading with a space is two syllables whose
    space the engine missed; `core[:len(first)]` is where it goes.

    The lexicon is small, so context may overrule a real syllable only on strong evidence: the other
    reading is a frequent pair with a neighbour (>= STRONG_PAIR times) and the word as read is never
    seen beside either neighbour. `left` / `right` (nearest last / first, lower case) are the wider
    context the dictionary's words are looked up in (`_word_repair`); by default `prev` / `nxt`."""
    cands = [c for c in lex.variants.get(fold(core), ()) if c != core]
    if not is_syllable(core):
        # Not Vietnamese as written: also try the letters Tesseract swaps ("al" for "ai").
        cands += [c for v in _confusions(core) for c in lex.variants.get(fold(v), ()) if c not in cands]
        # The likeliest well-formed reading, each changed letter or mark costing CHANGE_COST.
        scored = [(lex.score(c, prev, nxt) - CHANGE_COST * _changes(core, c), c) for c in cands]
        split = _split_reading(core, prev, nxt, lex) if len(core) >= 4 else None
        if split and (not scored or split[3] > max(scored)[0]):
            _, left, right, _ = split  # a variant has its word's letters, so len(left) is the cut
            return left + " " + right, False
        return (max(scored)[1], False) if scored else None
    if not lex.evidence(core, prev, nxt):
        # A real syllable replaced, so capped as one (CORRECTED_VALID_CAP).
        worded = _word_repair(core, [prev] if left is None and prev else left or [],
                              [nxt] if right is None and nxt else right or [], lex)
        if worded is not None:
            return worded, True
    best = max(cands, key=lambda c: lex.score(c, prev, nxt)) if cands else None
    if core not in lex.uni:
        if best is not None and lex.evidence(best, prev, nxt) >= 1:
            return best, False
        unattested = _unattested(core, lex)
        return (unattested, True) if unattested else None
    if best is None:
        return None
    if lex.evidence(core, prev, nxt):
        return None
    if lex.evidence(best, prev, nxt) < STRONG_PAIR:
        return None
    gain = lex.score(best, prev, nxt) - lex.score(core, prev, nxt)
    return (best, True) if gain >= VALID_MARGIN else None


@lru_cache(maxsize=1)
def _folded_surnames() -> frozenset[str]:
    # Once a process: folding every family name for each line took more than the line's own work.
    return frozenset(fold(s.lower()) for s in SURNAMES)


def _name_runs(words: Sequence[Word]) -> list[bool]:
    """Which words belong to a person's name: a run of two or more capitalised words, no punctuation
    inside, whose first word is a common family name ("HOÀNG PHƯƠNG HÀ", "Nguyễn Văn An")."""
    surnames = _folded_surnames()
    flags = [False] * len(words)
    i = 0
    while i < len(words):
        j = i
        while j < len(words):
            parts = _split(nfc(words[j].text))
            if not parts or not parts[1][:1].isupper() or (parts[0] and j > i):
                break
            j += 1
            if parts[2]:  # "An," ends the run with it
                break
        first = _split(nfc(words[i].text))
        if j - i >= 2 and first and fold(first[1].lower()) in surnames:
            flags[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return flags


def _abbreviation(core: str) -> bool:
    """Capitals without a vowel are an abbreviation ("CT", "PCT", "VT", "TCKH"), not a misread syllable."""
    return len(core) > 1 and core.isupper() and not any(c in "aeiouy" for c in fold(core.lower()))


def _join_fragments(words: Sequence[Word], lex: Lexicon) -> list[Word]:
    """A syllable the engine cut in two ("NIN H" for "NINH"): neighbours closer than a letter apart,
    one of them not a syllable, that together fold to a known syllable become one word."""
    out: list[Word] = []
    for w in words:
        prev = out[-1] if out else None
        if prev is not None:
            a, b = _split(nfc(prev.text)), _split(nfc(w.text))
            height = max(prev.bbox[3] - prev.bbox[1], w.bbox[3] - w.bbox[1], 1)
            if a and b and not a[2] and not b[0] and w.bbox[0] - prev.bbox[2] < 0.5 * height \
                    and not (is_syllable(a[1]) and is_syllable(b[1])) and fold(a[1] + b[1]).lower() in lex.variants:
                out[-1] = replace(prev, text=prev.text + w.text, confidence=min(prev.confidence, w.confidence,
                                                                                 CORRECTED_INVALID_CAP),
                                  bbox=(prev.bbox[0], min(prev.bbox[1], w.bbox[1]), w.bbox[2], max(prev.bbox[3], w.bbox[3])))
                continue
        out.append(w)
    return out


@dataclass(frozen=True)
class Repair:
    """One word the corrector changed: what the engine read, what was written, and where."""
    read: str
    written: str
    line: int
    bbox: tuple[int, int, int, int]
    confidence: float  # the confidence written (capped), the engine's own in the word it replaced


_REACH = 3  # context syllables on each side for the dictionary's words (most have two to four)


def _context_before(words: Sequence[Word], proper: Sequence[bool] | None = None) -> list[str]:
    """The syllables before a word, nearest last, back to punctuation, a person's name or `_REACH`."""
    out: list[str] = []
    for j in range(len(words) - 1, -1, -1):
        parts = _split(nfc(words[j].text))
        if parts is None or parts[2] or (proper is not None and proper[j]) or len(out) == _REACH:
            break
        out.insert(0, parts[1].lower())
        if parts[0]:
            break
    return out


def _context_after(words: Sequence[Word], proper: Sequence[bool] | None = None) -> list[str]:
    """The syllables after a word, nearest first, up to punctuation, a person's name or `_REACH`."""
    out: list[str] = []
    for j, w in enumerate(words):
        parts = _split(nfc(w.text))
        if parts is None or parts[0] or (proper is not None and proper[j]) or len(out) == _REACH:
            break
        out.append(parts[1].lower())
        if parts[2]:
            break
    return out


def correct_line(words: Sequence[Word], lex: Lexicon | None = None, following: str | None = None, *,
                 before: Sequence[str] = (), after: Sequence[str] | None = None,
                 audit: list[Repair] | None = None) -> list[Word]:
    """One reading-order line, left to right; the left neighbour is the corrected one. `following` is
    the first word of the next line, the right neighbour of the last word when the sentence runs on;
    `before` / `after` the previous line's last syllables and the next line's first ones (`after`
    defaults to `following`), where the dictionary's words are looked up across the line break.
    `audit`, when given, receives a Repair for every word changed."""
    lex = lex or lexicon()
    words = _join_fragments(words, lex)
    in_name = _name_runs(words)
    after = list(after) if after is not None else [following] if following else []
    out: list[Word] = []
    keys = [_key(nfc(w.text)) for w in words]
    for i, w in enumerate(words):
        text = nfc(w.text).replace("Ð", "Đ").replace("ð", "đ")
        parts = _split(text)
        if parts is None or keys[i] is None:
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        lead, core, trail = parts
        if _abbreviation(core):
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        # Punctuation between words breaks the context (",", ";", "." end a phrase).
        previous = _split(out[-1].text) if out else None
        prev = previous[1].lower() if previous and not previous[2] and not lead else None
        nxt = (keys[i + 1] if i + 1 < len(words) else following) if not trail else None
        # The dictionary's context: the corrected words before, the words as read after, across the
        # line break when the sentence runs on; none for a person's name, and a name is no context.
        left: list[str] = []
        right: list[str] = []
        if not in_name[i]:
            if not lead:
                left = _context_before(out, _name_runs(out))
                first = _split(out[0].text) if out else None
                if len(left) == len(out) and not (first and first[0]):  # back to the line's start
                    left = [*before, *left][-_REACH:]
            if not trail:
                right = _context_after(words[i + 1:], in_name[i + 1:])
                if len(right) == len(words) - i - 1:
                    right = [*right, *after][:_REACH]
        pick = choose(core.lower(), prev, nxt, lex, left, right)
        if pick is None:
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        best, was_known = pick
        if was_known and in_name[i]:
            # A person's name is no context for the pair counts of administrative text: "HOÀNG PHƯƠNG
            # HÀ" would become "PHƯỜNG" for "phường Hà …", "HỒ ĐÌNH THẮNG" "THÁNG" before "năm".
            out.append(replace(w, text=text) if text != w.text else w)
            continue
        cap = CORRECTED_VALID_CAP if was_known else CORRECTED_INVALID_CAP
        confidence = min(w.confidence, cap)
        if " " in best:
            new = _split_word(w, lead, core, trail, best, confidence)
        else:
            new = [replace(w, text=lead + _cased(best, core) + trail, confidence=confidence)]
        out += new
        _log.debug("line %d: %r read, %r written (confidence %.2f)", w.line, w.text, " ".join(n.text for n in new),
                   confidence)
        if audit is not None:
            audit += [Repair(w.text, n.text, w.line, n.bbox, n.confidence) for n in new]
    return out


def _split_word(w: Word, lead: str, core: str, trail: str, reading: str, confidence: float) -> list[Word]:
    """Two words for one with a missed space; the box is cut in proportion to the letters, with a narrow
    space between the halves (a text layer with touching boxes reads back as one word)."""
    left, right = reading.split(" ")
    cut = len(lead) + len(left)
    total = len(lead) + len(core) + len(trail)
    x0, y0, x1, y1 = w.bbox
    mid = x0 + round((x1 - x0) * cut / total)
    space = min(max(1, round(0.1 * (y1 - y0))), (x1 - x0) // (2 * total) or 1)
    return [replace(w, text=lead + _cased(left, core[:len(left)]), confidence=confidence,
                    bbox=(x0, y0, max(x0 + 1, mid - space), y1)),
            replace(w, text=_cased(right, core[len(left):]) + trail, confidence=confidence,
                    bbox=(min(x1 - 1, mid + space), y0, x1, y1))]


def correct(words: Sequence[Word], audit: list[Repair] | None = None) -> list[Word]:
    """Every line of a page (words grouped by `line`, order kept); `audit` receives every repair."""
    lex = lexicon()
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    order = sorted(lines)
    out: list[Word] = []
    done: list[Word] = []
    for i, n in enumerate(order):
        following = _key(nfc(lines[order[i + 1]][0].text)) if i + 1 < len(order) else None
        after = _context_after(lines[order[i + 1]], _name_runs(lines[order[i + 1]])) if i + 1 < len(order) else []
        done = correct_line(lines[n], lex, following, before=_context_before(done, _name_runs(done)), after=after, audit=audit)
        out += done
    return out
