"""The holder's labelled lines read a second time, by the second recogniser, as evidence.

A certificate's holder lines ("Họ và tên: NGUYỄN VĂN AN", "Sinh ngày: 26/10/1992", "Số CCCD: …",
"Mã số hộ kinh doanh: …", "Tên hộ kinh doanh: …") are printed, yet Tesseract's `vie` model is
often unsure of them: a date read right at 0.45, a name's syllables at 0.6. Calibration never lifts
a value above its raw confidence, so such a record waited for a person although every value was
right. Here the value part of each such line (the words after the label, found as the extractor
finds them: ocr.labelled's label patterns) is cropped and read again by AsterOCR
(ocr.aster_engine). As in ocr.signer_lines:

- a word both engines read alike (NFC, case aside, marks included: "Tuân" is not "Tuấn") gets at
  least AGREE_FLOOR: two recognisers of different make agreeing letter for letter is evidence;
- a word only Tesseract read so is capped at DISAGREE_CAP: a person looks.

A date or a number whose characters both engines read alike but split into words differently
("26/10/ 1992" against "26/10/1992") agrees too: spaces aside, the value's characters must appear in
the second reading, contiguous. A name's spaces matter: Tesseract's "KIMNGÂN" does not agree with
"KIM NGÂN".

Which words are the value is the extractor's own choice (its readers of these fields are called on
the page's words): the label found, the line chosen among several, the value cut where it ends.

Words are never replaced (Tesseract's boxes are exact, and which reading is right is not known), so
the extractor reads the page as before; only confidences move, and the calibration (ocr.calibrate,
refitted on readings with this step) turns them into probabilities.
`confirm_holder_words` is what the Tesseract engine calls (its `holder_lines` option)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr.aster_engine import read_line
from ocr.labelled import (
    labelled_text,
    read_holder_birth_date,
    read_holder_id,
    read_holder_name,
    read_registration,
)
from ocr.model import Box, PageText, Word
from ocr.quality import PageQuality, as_rgb_array
from ocr.segments import segments
from ocr.signer_lines import agreed, is_lettered, word_key

AGREE_FLOOR = 0.9  # both engines read the word alike
DISAGREE_CAP = 0.6  # only Tesseract read it so: a reason for review
# The labelled fields whose lines are read again: the holder's (contract fields) and a household
# business's identity (it files the result when there is no CCCD: schemas HOLDER_IDENTITY_FIELDS).
FIELDS: tuple[str, ...] = ("holder_name", "holder_birth_date", "holder_id_number", "registration_number",
                           "business_name")
# The crop runs this many word heights right of the value (up to the next word Tesseract read): a
# name or a business name cut short by Tesseract ("TRẦN XUÂN" for "TRẦN XUÂN SƠN" on a phone capture)
# shows as letters the second recogniser reads after it; the value is then not confirmed.
TAIL = 2.5
ROOM = 1.2  # room for a lost word: more than a word space and a letter
# Values written without meaningful spaces: their characters agree whatever the word split.
UNSPACED: frozenset[str] = frozenset({"holder_birth_date", "holder_id_number", "registration_number"})
# Crops around the value's words (top, bottom, sides) in median word heights, read in turn until one
# agrees on every word: a tight crop cuts marks above capitals, a loose one takes in the next line.
CROPS: tuple[tuple[float, float, float], ...] = ((0.15, 0.15, 0.5), (0.35, 0.35, 0.5))


@dataclass(frozen=True)
class ValueLine:
    field: str
    words: tuple[Word, ...]  # Tesseract's words after the label, left to right (one line)
    # Where the crop may reach on the right: the next word Tesseract read on the line, or the page's
    # edge (a word Tesseract lost after the value is read by the second recogniser there).
    right: int | None = None


def _finders() -> dict[str, Callable[[list[Any]], Any]]:
    """Each field's reader in the extractor (ocr.extract): the same labels, the same choice among
    several labelled lines, the same cut of the value."""

    return {"holder_name": read_holder_name, "holder_birth_date": read_holder_birth_date, "holder_id_number": read_holder_id,
            "registration_number": read_registration,
            "business_name": lambda segs: labelled_text(segs, "business_name")}


def find_value_lines(words: Sequence[Word], width: int, height: int) -> list[ValueLine]:
    """The value of each labelled holder field of the page (FIELDS) as the extractor reads it, as
    Tesseract's words line by line (a business name can wrap)."""

    if not words:
        return []
    page = PageText(number=2, width=width, height=height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.0, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=False))
    segs = segments(page)  # page 2: no header column split (the header is not read here)
    out: list[ValueLine] = []
    seen: set[int] = set()
    for name, finder in _finders().items():
        field = finder(segs)
        if not field.value or field.bbox is None:
            continue
        x0, y0, x1, y1 = field.bbox
        inside = [w for w in words if id(w) not in seen and is_lettered(w)
                  and x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1]
        by_line: dict[int, list[Word]] = {}
        for w in inside:
            by_line.setdefault(w.line, []).append(w)
            seen.add(id(w))
        for _, ws in sorted(by_line.items()):
            ws.sort(key=lambda w: w.bbox[0])
            # Tesseract may put a field at a tab stop ("Giới tính: Nam") on a line of its own: the
            # next word is any word of the same row.
            top, bottom = min(w.bbox[1] for w in ws), max(w.bbox[3] for w in ws)
            after = [w.bbox[0] for w in words if w.bbox[0] >= ws[-1].bbox[2] and id(w) not in seen
                     and top <= (w.bbox[1] + w.bbox[3]) / 2 <= bottom]
            out.append(ValueLine(name, tuple(ws), min(after, default=width)))
    return out


def crop_box(words: Sequence[Word], margins: tuple[float, float, float], right: int | None = None) -> Box:
    """The words' box widened by `margins` (top, bottom, sides) in median word heights; given
    `right` (the next word Tesseract read on the line) at least ROOM word heights away, the box
    runs up to TAIL word heights right of the value, stopping short of that word, so that a lost end
    of the value is read."""
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    h = heights[len(heights) // 2]
    top, bottom, side = margins
    x0, y0 = min(w.bbox[0] for w in words), min(w.bbox[1] for w in words)
    x1, y1 = max(w.bbox[2] for w in words), max(w.bbox[3] for w in words)
    end = x1 + side * h if right is None or right - x1 < ROOM * h else min(x1 + TAIL * h, right - 0.3 * h)
    return (round(x0 - side * h), round(y0 - top * h), round(end), round(y1 + bottom * h))


def _lettered_text(token: str) -> bool:
    return any(c.isalnum() for c in token)


def cut_short(words: Sequence[Word], other: str, *, unspaced: bool = False) -> bool:
    """Whether the other reading goes on after the value: Tesseract lost the value's end ("TRẦN
    XUÂN" where "TRẦN XUÂN SƠN" is printed, "03819151" for a 12-digit number; the crop held no
    other word Tesseract read)."""
    theirs = [k for k in (word_key(t) for t in other.split()) if k]
    mine = [word_key(w.text) for w in words]
    if unspaced:
        # A date or a number goes on with digits; letters after it are the next label ("Dân tộc").
        joined, line = "".join(mine), "".join(theirs)
        at = line.find(joined) if joined else -1
        return at >= 0 and any(c.isdigit() for c in line[at + len(joined):at + len(joined) + 2])
    blocks = [b for b in SequenceMatcher(None, mine, theirs, autojunk=False).get_matching_blocks() if b.size]
    if not blocks or blocks[-1].a + blocks[-1].size != len(mine):
        return False  # the value's last word not read alike: not confirmed anyway
    return any(_lettered_text(t) for t in theirs[blocks[-1].b + blocks[-1].size:])


def agreeing(words: Sequence[Word], other: str, *, unspaced: bool = False) -> set[int]:
    """Indices of `words` the other reading has alike: word by word in order (ocr.signer_lines), or,
    for a value without meaningful spaces (`unspaced`: a date, an ID number), all of them when its
    characters stand contiguous in the other reading, spaces aside. A name's spaces matter
    ("KIMNGÂN" is no reading of "KIM NGÂN")."""
    got = agreed(words, other.split())
    if not unspaced:
        return got
    joined = "".join(word_key(w.text) for w in words)
    theirs = "".join(word_key(t) for t in other.split())
    if joined and joined in theirs:
        got = set(range(len(words)))
    return got


def confirm_value(line: ValueLine, image: np.ndarray | Image.Image, *, file: str = "<page>") -> tuple[list[Word], str]:
    """The value's words with confidences set by the second reading, and the reading that agreed
    best (the crops of CROPS read in turn, stopping at one that agrees on every word)."""
    rgb = as_rgb_array(image)
    wanted = set(range(len(line.words)))
    best: set[int] = set()
    best_text = ""
    unspaced = line.field in UNSPACED
    # Only where Tesseract read nothing right of the value for ROOM word heights: a word it read
    # right after ends the value (the extractor cut it at a label or a semicolon), its first letter
    # in the crop's margin is no lost end; a word it read further ("Giới tính" at a tab) is kept out
    # of the crop.
    heights = sorted(w.bbox[3] - w.bbox[1] for w in line.words)
    tail = line.right is not None and line.right >= line.words[-1].bbox[2] + ROOM * heights[len(heights) // 2]
    for margins in CROPS:
        text = read_bright(rgb, crop_box(line.words, margins, line.right), file=file)
        got = agreeing(line.words, text, unspaced=unspaced)
        if tail and cut_short(line.words, text, unspaced=unspaced):
            got = set()  # the value Tesseract gives is not all that is printed
        if len(got) > len(best) or not best_text:
            best, best_text = got, text
        if best >= wanted:
            break
    out = [replace(w, confidence=round(max(w.confidence, AGREE_FLOOR), 4)) if i in best
           else replace(w, confidence=round(min(w.confidence, DISAGREE_CAP), 4))
           for i, w in enumerate(line.words)]
    return out, best_text


def read_bright(rgb: np.ndarray, box: Box, *, file: str = "<page>") -> str:
    """The second recogniser's reading of `box`, in the brightest channel of the page as Tesseract
    reads it (ocr.preprocess, ink="max"): a red seal or a blue stamp over a line fades, black print
    stays. Only the crop is turned grey (the whole page cost a quarter of a second)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return ""
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
    r, g, b = cv2.split(crop)
    bright = cv2.merge([cv2.max(cv2.max(r, g), b)] * 3)
    return read_line(bright, (0, 0, x1 - x0, y1 - y0), file=file).text


def confirm_holder_words(words: list[Word], image: np.ndarray | Image.Image, width: int, height: int, *,
                         file: str = "<page>") -> list[Word]:
    """The page's words, those of its holder lines' values confirmed or doubted by the second
    recogniser (other words untouched, in their order)."""
    lines = find_value_lines(words, width, height)
    if not lines:
        return words
    rgb = as_rgb_array(image)
    changed: dict[int, Word] = {}
    for line in lines:
        new, _ = confirm_value(line, rgb, file=file)
        for old, w in zip(line.words, new, strict=True):
            changed[id(old)] = w
    return [changed.get(id(w), w) for w in words]
