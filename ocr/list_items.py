"""The "Nơi nhận:" list's item lines read a second time, by the second recogniser, for their words.

Tesseract misreads the list's small type in some faces where the second recogniser (AsterOCR,
ocr.aster_engine) reads it right, and the other way round: "ĐCTFLUBXD" for "PCT UBND", "HỮU, VI,
LI]." for "Lưu: VT, HT.", a row cut after "Lưu:". ocr.signer_lines already reads the list's lines
again to move confidences, never words. Here a row of the list whose Tesseract reading holds a token
that is no word (`is_word`) is read by the second recogniser across the list's column (a row
Tesseract cut in pieces or short is read whole), the two readings are aligned token by token, and
where they differ the side with fewer non-words wins that span: a word beats a non-word, never the
other way, and tokens both engines read alike stay as they are. Replaced or added words take the
second recogniser's text at no more than DISAGREE_CAP (one engine read them so: a person looks), so a
list so repaired is never signed unseen; words Tesseract read are kept with the confidence the
signature-block step gave them (agreement raised, disagreement capped).

Rows whose tokens are all words are not read again (the cost stays on the lists Tesseract garbled).
`reread_items` is what the Tesseract engine calls (its `list_items` option), after ocr.signer_lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from difflib import SequenceMatcher

import cv2
import numpy as np
from PIL import Image

from core.text import fold, nfc
from ocr.aster_engine import read_line
from ocr.correct import is_syllable, lexicon
from ocr.labels import NOI_NHAN_LABEL
from ocr.model import Box, Word
from ocr.quality import as_rgb_array
from ocr.recipient_list import (
    _OTHER_ABBREVIATIONS,
    LIST_ABBREVIATIONS,
    LIST_SYLLABLES,
    OFFICE_CODES,
    _segments,
    _wide,
    list_words_fixed,
)

DISAGREE_CAP = 0.6  # a word only the second recogniser read so (as ocr.signer_lines caps one only Tesseract read)
# A syllable counts as a word when the administrative corpus has it this often (ocr.correct's
# lexicon): "tỉnh", "cấp", "Phù Cát"; not the recognisers' "cắc", "lữu", "rinh".
SEEN = 2
# Upper-case tokens in a list are abbreviations ("UBND", "TCKH"); one that is no known abbreviation
# counts as a word only as a common syllable in capitals (a misread "TÊNH" is a rare one).
COMMON = 15
# Crops around a row (top, bottom, sides) in its word height, read in turn while non-words remain.
CROPS: tuple[tuple[float, float, float], ...] = ((0.15, 0.15, 0.5), (0.35, 0.35, 0.5))
# A token Tesseract read below this, which the second recogniser did not confirm, counts as a non-word:
# a garbled row of short common syllables ("li nó là 4 Mỗi Báo") reads as words but not surely.
UNSURE = 0.5
ROW_GAP = 1.5  # line heights between two rows of one list
_PUNCT = " .,;:-–—_|'\"()[]{}*•+~"
_FORMS = frozenset({"b/c", "để b/c"})  # "(b/c)": báo cáo
_LIST_WORDS = frozenset(LIST_SYLLABLES)


def _core(text: str) -> str:
    return nfc(text).strip(_PUNCT)


def is_word(text: str) -> bool:
    """A token of a list item that needs no second look: a syllable the corpus knows, a known list
    or office abbreviation, a number, "(b/c)"; a token joined by inner punctuation ("VT,HT") is a word
    when each of its parts is."""
    core = _core(text)
    if not core or core.lower() in _FORMS or core.isdigit() or core in _ABBREVIATIONS:
        return True  # "GD&ĐT" whole, before its parts are looked at
    parts = [p for p in re.split(r"[^\w]+", core) if p]
    if len(parts) > 1:
        return all(is_word(p) for p in parts)
    if any(c.isdigit() for c in core):
        return False
    if len(core) == 1:
        return False  # a lone letter: a speck or a broken word
    counts = lexicon().uni
    lower = core.lower()
    if core.isupper():
        # Short capitals in a list are abbreviations ("VT", "HT"): "VI", "HỮU" are misreads of one.
        return core in _ABBREVIATIONS or (len(core) > 3 and is_syllable(core) and counts.get(lower, 0) >= COMMON)
    return lower in _LIST_WORDS or (is_syllable(core) and counts.get(lower, 0) >= SEEN)


_ABBREVIATIONS = frozenset((*LIST_ABBREVIATIONS, *OFFICE_CODES, *_OTHER_ABBREVIATIONS))


def _fine(text: str) -> bool:
    """A word, or a token the list's repairs put back as words (ocr.recipient_list: "PCTUBND" is
    "PCT UBND", "UBXD" "UBND"; `_listed`: "Lữu" is "Lưu")."""
    if is_word(text) or is_word(_listed(text)):
        return True
    core = _core(text)
    fixed = list_words_fixed(core)
    return fixed != core and all(is_word(p) for p in fixed.split())


def _listed(text: str) -> str:
    """The second recogniser's token put in the list's spelling where it is a syllable no text has
    with the letters of one list word ("Lữu:" is "Lưu:", "cắc" "các"): its marks misread. Case and
    punctuation kept. Applied only to words taken from the second reading (held below the signing
    band); Tesseract's own words are repaired by the extractor's rules."""
    core = _core(text)
    if len(core) < 3 or not (core.islower() or core[1:].islower()) or lexicon().uni.get(core.lower(), 0):
        return text
    same = [s for s in LIST_SYLLABLES if fold(s) == fold(core)]
    if len(same) != 1:
        return text
    word = same[0] if core.islower() else same[0].capitalize()
    return text.replace(core, word, 1)


def _bad(texts: Sequence[str]) -> int:
    return sum(not _fine(t) for t in texts)


def _doubtful(words: Sequence[Word]) -> int:
    """Tesseract's tokens that need a second look: no word, or read below UNSURE (the signature-block
    step left such a word there only when the second recogniser did not read it alike)."""
    return sum(not _fine(w.text) or w.confidence < UNSURE for w in words)


def list_rows(words: Sequence[Word], width: int, height: int) -> list[list[Word]]:
    """The rows of the page's "Nơi nhận:" list, label row first, each as Tesseract's words left to
    right: left-column lines under the label, pieces of one printed row (level with each other)
    joined, until a gap of more than ROW_GAP line heights or a line across the page."""
    segs = [s for s in _segments(words, width, height) if s.text.strip()]
    label = next((s for s in segs if NOI_NHAN_LABEL.match(s.folded) and s.box[0] < 0.45 * width), None)
    if label is None:
        return []
    column = sorted((s for s in segs if s.box[0] < 0.45 * width and s.top >= label.top - 0.5 * label.line_height),
                    key=lambda s: s.top)
    rows: list[list] = []
    for s in column:
        if rows and any(_level(s, t) for t in rows[-1]):
            rows[-1].append(s)
            continue
        if not rows and s is not label and not _level(s, label):
            continue
        if rows:
            prev = rows[-1]
            if s.top - max(t.bottom for t in prev) > ROW_GAP * max(t.line_height for t in prev):
                break
        if _wide(s, width):
            break
        rows.append([s])
    return [sorted((w for s in row for w in s.words if (w.bbox[0] + w.bbox[2]) / 2 < 0.5 * width),
                   key=lambda w: w.bbox[0]) for row in rows]


def _level(a: object, b: object) -> bool:
    at, ab, bt, bb = a.top, a.bottom, b.top, b.bottom  # type: ignore[attr-defined]
    return at <= (bt + bb) / 2 <= ab or bt <= (at + ab) / 2 <= bb


def _height(row: Sequence[Word]) -> int:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in row)
    return max(1, heights[len(heights) // 2])


def _key(text: str) -> str:
    return _core(text).casefold()


def merged(row: Sequence[Word], other: Sequence[Word], *, fine: Callable[[str], bool] = _fine,
           spelled: Callable[[str], str] = _listed, sure: float = 0.0) -> list[Word] | None:
    """`row` (Tesseract's words) with each span where `other` (the second reading's words) differs
    taken from `other` when Tesseract's span holds a doubtful token (`_doubtful`) and the other's
    tokens are all words; where the other's span holds a non-word too and both read as many tokens,
    token for token. None when nothing is taken.

    Spans are aligned on the tokens without their punctuation (case aside); a span Tesseract read
    and the other did not is kept; a span only the other read is added when all its tokens are
    words. Taken words: the other's text, Tesseract's boxes when as many, the other's otherwise, at
    no more than DISAGREE_CAP. `fine` says which tokens are words (a list's by default; the header's
    step passes its own), `spelled` puts a taken token in the text's spelling, and a token of the
    other reading below `sure` counts as no word (the other engine unsure of it is no evidence)."""

    def bad(ws: Sequence[Word]) -> int:
        return sum(not fine(w.text) or w.confidence < sure for w in ws)

    def doubtful(words: Sequence[Word]) -> int:
        return sum(not fine(w.text) or w.confidence < UNSURE for w in words)

    mine = [w for w in row if _key(w.text)]
    theirs = [w for w in other if _key(w.text)]
    if not mine or not theirs:
        return None
    top, bottom = min(w.bbox[1] for w in row), max(w.bbox[3] for w in row)
    first = row[0]
    match = SequenceMatcher(None, [_key(w.text) for w in mine], [_key(w.text) for w in theirs], autojunk=False)
    swap: dict[int, list[Word]] = {}  # id of Tesseract's first word of a span -> what stands for the span
    gone: set[int] = set()
    added: list[Word] = []
    for op, i1, i2, j1, j2 in match.get_opcodes():
        if op in ("equal", "delete"):
            continue
        t, o = mine[i1:i2], theirs[j1:j2]
        if bad(o):
            # Token for token where both read as many: each doubtful one of Tesseract's taken where
            # the other read a word there ("CT" kept against "CẾ", "LBXĐ" taken from "UBND").
            if len(t) == len(o):
                for a, b in zip(t, o, strict=True):
                    if doubtful([a]) and not bad([b]):
                        swap[id(a)] = [replace(a, text=spelled(b.text), confidence=round(min(b.confidence, DISAGREE_CAP), 4))]
            continue
        if t and not doubtful(t):
            continue  # words against words: Tesseract's stand (the signature-block step capped them)
        if len(t) == len(o):
            new = [replace(a, text=spelled(b.text), confidence=round(min(b.confidence, DISAGREE_CAP), 4))
                   for a, b in zip(t, o, strict=True)]
        else:
            new = [replace(b, text=spelled(b.text), confidence=round(min(b.confidence, DISAGREE_CAP), 4), bbox=(b.bbox[0], top, b.bbox[2], bottom),
                           line=first.line, block=first.block) for b in o]
        if t:
            swap[id(t[0])] = new
            gone |= {id(w) for w in t[1:]}
        else:
            added += new
    if not swap and not added:
        return None
    out = [x for w in row if id(w) not in gone for x in swap.get(id(w), [w])]
    return sorted(out + added, key=lambda w: w.bbox[0])


def _crop(row: Sequence[Word], right: int, margins: tuple[float, float, float], left: int | None = None) -> Box:
    h = _height(row)
    top, bottom, side = margins
    return (round((min(w.bbox[0] for w in row) if left is None else left) - side * h), round(min(w.bbox[1] for w in row) - top * h),
            round(right + side * h), round(max(w.bbox[3] for w in row) + bottom * h))


def reread_row(row: Sequence[Word], image: np.ndarray, right: int, *, offset: tuple[int, int] = (0, 0),
               file: str = "<page>", left: int | None = None, fine: Callable[[str], bool] = _fine,
               spelled: Callable[[str], str] = _listed, sure: float = 0.0) -> list[Word] | None:
    """A list row with its doubtful spans taken from the second reading where that reads words (see
    the module's docstring), or None when nothing changed. Crops (CROPS) are read in turn until one
    leaves no non-word; of the merged rows, the one with the fewest non-words is kept."""
    best: list[Word] | None = None
    for margins in CROPS:
        # `image` may be a part of the page, `offset` its top left corner in page pixels.
        dx, dy = offset
        x0, y0, x1, y1 = _crop(row, right, margins, left)
        reading = read_line(image, (x0 - dx, y0 - dy, x1 - dx, y1 - dy), file=file)
        other = [replace(w, bbox=(w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2] + dx, w.bbox[3] + dy)) for w in reading.words]
        new = merged(row, other, fine=fine, spelled=spelled, sure=sure)
        if new is not None and (best is None or _count_bad(new, fine) < _count_bad(best, fine)):
            best = new
        if best is not None and not _count_bad(best, fine):
            break
    return best


def _count_bad(words: Sequence[Word], fine: Callable[[str], bool]) -> int:
    return sum(not fine(w.text) for w in words)


def _closing_cut(row: Sequence[Word]) -> bool:
    """The file copy's row cut after its label ("Lưu:" and no more): what follows was lost."""
    lettered = [w for w in row if _key(w.text)]
    return bool(lettered) and _key(lettered[0].text) in ("lưu", "luu") and len(lettered) < 3


def reread_items(words: list[Word], image: np.ndarray | Image.Image, width: int, height: int, *,
                 file: str = "<page>") -> list[Word]:
    """The page's words with the recipients list's garbled rows repaired from the second reading
    (unchanged when the page has no "Nơi nhận:" list or its rows read as words). It reads the
    brightest channel, as ocr.signer_lines does: a red seal fades, black print stays."""
    rows = list_rows(words, width, height)
    todo = [r for r in rows if r and (_doubtful(r) or _closing_cut(r))]
    if not todo:
        return words
    # The list's column: as far right as its widest row reaches, short of the page's middle and of a
    # word beside the list (the signature block).
    reach = max(w.bbox[2] for row in rows for w in row)
    boxes: list[tuple[list[Word], int]] = []
    for row in todo:
        top, bottom = min(w.bbox[1] for w in row), max(w.bbox[3] for w in row)
        beside = [w.bbox[0] for w in words if w.bbox[0] > reach and top <= (w.bbox[1] + w.bbox[3]) / 2 <= bottom]
        boxes.append((row, round(min([reach + _height(row), 0.5 * width, *(x - 0.5 * _height(row) for x in beside)]))))
    # The brightest channel of the rows' region only (the whole page's cost ~30 ms at 300 dpi).
    rgb = as_rgb_array(image)
    crops = [_crop(row, right, m) for row, right in boxes for m in CROPS]
    x0, y0 = max(0, min(c[0] for c in crops)), max(0, min(c[1] for c in crops))
    x1, y1 = min(rgb.shape[1], max(c[2] for c in crops)), min(rgb.shape[0], max(c[3] for c in crops))
    r, g, b = cv2.split(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]))
    bright = cv2.merge([cv2.max(cv2.max(r, g), b)] * 3)
    changed: dict[int, list[Word]] = {}
    for row, right in boxes:
        new = reread_row(row, bright, right, offset=(x0, y0), file=file)
        if new is None:
            continue
        changed[id(row[0])] = new
        changed.update({id(w): [] for w in row[1:]})
    if not changed:
        return words
    return [x for w in words for x in changed.get(id(w), [w])]
