"""The header's issuing-body lines read a second time, by the second recogniser, for their words.

The left header block ("ỦY BAN NHÂN DÂN" / "TỈNH KHÁNH HÒA", "BỘ CÔNG THƯƠNG", superior body first,
above the "Số:" line) is printed in bold capitals, which Tesseract garbles in some faces ("ỦY BAN
NHẦN DẦN", "SỞ TẢI CHÍNH") where the second recogniser (AsterOCR, ocr.aster_engine) reads them right.
As ocr.list_items does for the recipients list: a line of the block whose Tesseract reading holds a
doubtful token (no word by the corpus, the body abbreviations or the administrative catalogue's unit
names; or a token read below list_items.UNSURE) is read by the second recogniser across the block,
the two readings are aligned token by token (list_items.merged) and a span is taken from the second
reading only where Tesseract's holds a doubtful token and the second reading's is all words it read
at UNSURE or above (bold capitals misread as other words, "PHÙNG" for "PHÒNG", come unsure). Taken
words are capped at list_items.DISAGREE_CAP (one engine read them so): a header so repaired goes to
a person. Lines read as words are not read again.

`reread_header` is what the Tesseract engine calls (its `header_body` option), after the list's step."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from core.text import fold, nfc
from core.units import place_name_keys
from ocr._text import is_upper_text
from ocr.correct import is_syllable, lexicon
from ocr.labels import MOTTO, NUMBER_LABEL
from ocr.list_items import COMMON, SEEN, UNSURE, reread_row
from ocr.model import PageText, Word
from ocr.quality import PageQuality, as_rgb_array
from ocr.recipient_list import LIST_ABBREVIATIONS, OFFICE_CODES
from ocr.segments import Segment, segments
from ocr.signature import ABBREVIATIONS

_PUNCT = " .,;:-–—_|'\"()[]{}*•+~"
# The block sits in the page's top part; below it the title and the body start.
TOP = 0.3


@lru_cache(maxsize=1)
def _unit_syllables() -> frozenset[str]:
    """Every syllable of the administrative catalogue's unit names, lower case ("khánh", "hòa",
    "nậm", "pồ"): a rare place syllable the corpus lacks is still a word in a header."""
    return frozenset(s for key in place_name_keys() for s in key.split())


def is_body_word(text: str) -> bool:
    """A token of an issuing body that needs no second look: a syllable the corpus knows (capitals
    as often as list_items.COMMON, others SEEN), a syllable of a catalogue unit name, a body or
    office abbreviation ("UBND", "GD&ĐT"), a number; a token joined by inner punctuation ("UBND/TỈNH")
    is a word when each of its parts is."""
    core = nfc(text).strip(_PUNCT)
    if not core or core.isdigit() or core in _ABBREVIATIONS:
        return True
    if fold(core) in ABBREVIATIONS and fold(core) == _plain(core).lower():
        return True  # "UBND", "GD&ĐT"; not "ŨBND", a mark no abbreviation has
    parts = [p for p in re.split(r"[^\w]+", core) if p]
    if len(parts) > 1:
        return all(is_body_word(p) for p in parts)
    if any(c.isdigit() for c in core) or len(core) == 1:
        return False  # a speck, a broken word
    lower = core.lower()
    if lower in _unit_syllables():
        return True
    return is_syllable(core) and lexicon().uni.get(lower, 0) >= (COMMON if core.isupper() else SEEN)


_ABBREVIATIONS = frozenset((*LIST_ABBREVIATIONS, *OFFICE_CODES))


def _plain(text: str) -> str:
    return text.replace("Đ", "D").replace("đ", "d")


def _as_read(text: str) -> str:
    return text  # the list's spellings are no header's words


def _doubtful(row: Sequence[Word]) -> bool:
    return any(not is_body_word(w.text) or w.confidence < UNSURE for w in row)


def header_rows(words: Sequence[Word], width: int, height: int) -> list[list[Word]]:
    """The lines of the page's left header block, top first, each as Tesseract's words left to
    right: capitals lines in the left half of the page's top TOP, above the "Số:" line (the block
    ends there), the motto and rules left out. Empty when no "Số:" line is read (no header to
    bound)."""
    page = PageText(number=1, width=width, height=height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.0, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=not words))
    segs = [s for s in segments(page) if s.text.strip() and s.top < TOP * height]
    number = next((s for s in sorted(segs, key=lambda s: s.top)
                   if s.xc < 0.55 * width and s.box[0] < 0.4 * width and NUMBER_LABEL.match(s.folded)), None)
    if number is None:
        return []
    rows: list[list[Segment]] = []
    for s in sorted(segs, key=lambda s: s.top):
        if s.bottom > number.top + 0.3 * s.line_height or s.xc >= 0.5 * width or MOTTO.match(s.folded):
            continue
        if sum(c.isalpha() for c in s.text) < 2 or not is_upper_text(s.text, 0.7):
            continue
        if rows and any(_level(s, t) for t in rows[-1]):
            rows[-1].append(s)
        else:
            rows.append([s])
    return [sorted((w for s in row for w in s.words), key=lambda w: w.bbox[0]) for row in rows]


def _level(a: Segment, b: Segment) -> bool:
    return a.top <= (b.top + b.bottom) / 2 <= a.bottom or b.top <= (a.top + a.bottom) / 2 <= b.bottom


def _split(word: Word) -> list[Word]:
    """A taken token whose words the second recogniser joined with a slash or comma ("HUYỆN/TUY"):
    no body's name holds one, and a slash would read as a document symbol's ("…/UBND")."""
    parts = [p for p in re.split(r"(?<=[^\W\d_])[/,](?=[^\W\d_])", word.text) if p]
    if len(parts) < 2:
        return [word]
    x0, y0, x1, y1 = word.bbox
    step = (x1 - x0) / sum(len(p) + 1 for p in parts)
    out, at = [], float(x0)
    for p in parts:
        end = at + step * len(p)
        out.append(replace(word, text=p, bbox=(round(at), y0, round(end), y1)))
        at = end + step
    return out


def reread_header(words: list[Word], image: np.ndarray | Image.Image, width: int, height: int, *,
                  file: str = "<page>") -> list[Word]:
    """The page's words with the header block's garbled lines repaired from the second reading
    (unchanged when no block is found or its lines read as words). Each line is read across the
    block's width (a centred line Tesseract cut short is read whole), in the brightest channel."""
    rows = header_rows(words, width, height)
    todo = [r for r in rows if r and _doubtful(r)]
    if not todo:
        return words
    left = min(w.bbox[0] for r in rows for w in r)
    right = min(max(w.bbox[2] for r in rows for w in r), round(0.5 * width))
    rgb = as_rgb_array(image)
    pad = max(w.bbox[3] - w.bbox[1] for r in todo for w in r)
    x0, y0 = max(0, left - pad), max(0, min(w.bbox[1] for r in todo for w in r) - pad)
    x1 = min(rgb.shape[1], right + pad)
    y1 = min(rgb.shape[0], max(w.bbox[3] for r in todo for w in r) + pad)
    r, g, b = cv2.split(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]))
    bright = cv2.merge([cv2.max(cv2.max(r, g), b)] * 3)
    changed: dict[int, list[Word]] = {}
    for row in todo:
        new = reread_row(row, bright, right, offset=(x0, y0), file=file, left=left, fine=is_body_word,
                         spelled=_as_read, sure=UNSURE)
        if new is None:
            continue
        kept = {id(w) for w in row}
        changed[id(row[0])] = [p for w in new for p in ([w] if id(w) in kept else _split(w))]
        changed.update({id(w): [] for w in row[1:]})
    if not changed:
        return words
    return [x for w in words for x in changed.get(id(w), [w])]

