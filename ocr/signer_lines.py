"""The signature block and the recipients list read a second time, by the second recogniser, as evidence.

The seal is stamped over the signer's authority lines and reaches the name; Tesseract's words there
are capped at 0.6 (ocr.marks.UNDER_MARK_CAP). A 0.6 is no probability that the value is right, so the
signer's fields were signed at a lowered threshold, and on an unseen template family wrong titles and
authority lines passed it. Here each line of a signature block (authority lines, the name line) and
of the "Nơi nhận:" / "Kính gửi:" list is read again by AsterOCR (ocr.aster_engine); words the two
engines read alike (NFC, case aside, marks included: "Tuân" is not "Tuấn") get at least AGREE_FLOOR:
two recognisers of different make agreeing letter for letter is evidence, seal or not. A word only
one engine read that way is capped at DISAGREE_CAP: a person looks. Words are never replaced
(Tesseract's boxes are exact, and which reading is right is not known), so the line finders and the
extractor read the page as before; only confidences move.

It runs after the seal cap (ocr.tesseract_engine: marks, then this), which the agreement overrides.
`confirm_words` is what the Tesseract engine calls (its `signer_lines` option)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from difflib import SequenceMatcher

import cv2
import numpy as np
from PIL import Image

from core.text import nfc
from ocr.aster_engine import read_line
from ocr.model import Box, PageText, Word
from ocr.preprocess import as_rgb_array
from ocr.quality import PageQuality
from ocr.recipient_list import NOI_NHAN

AGREE_FLOOR = 0.9  # both engines read the word alike
DISAGREE_CAP = 0.6  # only Tesseract read it so: a reason for review
# Crops around a line (top, bottom, sides) in median word heights, read in turn until one agrees on
# every word: a neighbouring line in the strip confuses a one-line recogniser, a tight crop cuts marks.
CROPS: tuple[tuple[float, float, float], ...] = ((0.15, 0.15, 0.5), (0.35, 0.35, 0.5))
# The signer's name line, when the two crops did not agree with Tesseract: a wider one (the seal or
# the signature can hide the first letters from Tesseract, whose box then starts late).
NAME_CROP: tuple[float, float, float] = (0.35, 0.35, 1.5)
_LIST_LABEL = re.compile(r"^\s*(?:(?P<noi>" + NOI_NHAN + r")|kinh gui)\s*[:;.]?")


def _key(text: str) -> str:
    """A word as compared: NFC, case folded, punctuation around it dropped ("TM." and "TM" agree)."""
    return nfc(text).casefold().strip(" .,;:-–—_|'\"()[]*•+")


def _lettered(w: Word) -> bool:
    return any(c.isalpha() or c.isdigit() for c in w.text)


def find_lines(words: Sequence[Word], width: int, height: int) -> list[tuple[Word, ...]]:
    """The lines of the page's signature blocks (authority lines and name, as the extractor finds
    them) and of its recipients list, each as Tesseract's words left to right."""
    return [line for line, _ in _find_lines(words, width, height)]


def _find_lines(words: Sequence[Word], width: int, height: int,
                nameless: list[tuple[Word, ...]] | None = None) -> list[tuple[tuple[Word, ...], bool]]:
    """(line, is the signer's name line) of find_lines. A name line Tesseract read too badly to be a
    name ("Lê +ân Dũng") is found where the extractor finds it (ocr.extract._damaged_name). The
    authority lines of a block with no name line at all are added to `nameless`."""
    from ocr.extract import _damaged_name, _signature_blocks, segments

    page = PageText(number=2, width=width, height=height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.0, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=not words))
    segs = segments(page)  # page 2: no header column split (the header is not read here)
    out: list[tuple[Word, ...]] = []
    names: set[tuple[int, ...]] = set()
    for titles, name in _signature_blocks(segs):
        out += [t.words for t in titles]
        name = name or _damaged_name(titles, segs)
        if name is not None:
            out.append(name.words)
            names.add(tuple(sorted(id(w) for w in name.words)))
        elif nameless is not None:
            nameless.append(tuple(w for t in titles for w in t.words))
    for i, s in enumerate(segs):
        label = _LIST_LABEL.match(s.folded)
        if not label:
            continue
        out.append(s.words)
        prev = s
        # The list's lines as the extractor takes them (ocr.extract._recipients): a "Kính gửi:" list
        # ends at the first line that is no item and starts left of the label (the body begins).
        for t in segs[i + 1:]:
            if t.top < prev.top or t.top - prev.bottom > 1.2 * prev.line_height:
                break
            if label.group("noi") and t.box[0] > 0.45 * width:
                continue  # the signature block beside the list
            if not label.group("noi") and not t.text.lstrip().startswith(("-", "+", "•")) \
                    and t.box[0] < s.box[0]:
                break
            out.append(t.words)
            prev = t
    seen: set[tuple[int, ...]] = set()
    unique = []
    for line in out:
        key = tuple(sorted(id(w) for w in line))
        if key not in seen and any(_lettered(w) for w in line):
            seen.add(key)
            unique.append((tuple(sorted(line, key=lambda w: w.bbox[0])), key in names))
    return unique


def _crop(line: Sequence[Word], margins: tuple[float, float, float]) -> Box:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in line)
    h = heights[len(heights) // 2]
    top, bottom, side = margins
    x0, y0 = min(w.bbox[0] for w in line), min(w.bbox[1] for w in line)
    x1, y1 = max(w.bbox[2] for w in line), max(w.bbox[3] for w in line)
    return (round(x0 - side * h), round(y0 - top * h), round(x1 + side * h), round(y1 + bottom * h))


def agreed(line: Sequence[Word], other: Sequence[str]) -> set[int]:
    """Indices of Tesseract's words (`line`) that the other reading has too, in the same order."""
    mine = [(i, _key(w.text)) for i, w in enumerate(line) if _lettered(w)]
    theirs = [k for k in (_key(t) for t in other) if k]
    match = SequenceMatcher(None, [k for _, k in mine], theirs, autojunk=False)
    out: set[int] = set()
    for a, _, n in match.get_matching_blocks():
        out.update(mine[a + k][0] for k in range(n))
    return out


def confirm_line(line: Sequence[Word], image: np.ndarray, *, name: bool = False, file: str = "<page>") -> list[Word]:
    """The line's words with confidences set by the second reading (see the module's docstring).

    The signer's name line (`name`) whose readings differ (a third, wider crop read too): when two
    crops gave the second recogniser the same personal name (spaces aside), as many words as
    Tesseract's, the line takes those words in Tesseract's boxes, capped at DISAGREE_CAP. Either way the value goes to a person (the engines
    disagree); on the development pages the second reading was the right one where a seal was over
    the name ("Lê +ân Dũng", "Hoàng Văn Thuần" and "Nguyễn Thị Kim Chỉ" for "Thuân" and "Chi"),
    so the person gets the better value to check. Independent of Tesseract's confidence, so the
    step gives the same words when run again over its own output."""
    best: set[int] = set()
    wanted = {i for i, w in enumerate(line) if _lettered(w)}
    texts: list[str] = []
    for margins in CROPS + ((NAME_CROP,) if name else ()):
        if margins is NAME_CROP and best >= wanted:
            break
        reading = read_line(image, _crop(line, margins), file=file)
        texts.append(reading.text)
        got = agreed(line, reading.text.split())
        if len(got) > len(best):
            best = got
        if best >= wanted:
            break
    if name and not best >= wanted:
        replaced = _name_replaced(line, texts)
        if replaced is not None:
            return replaced
    out = []
    for i, w in enumerate(line):
        if i not in wanted:
            out.append(w)  # punctuation, specks: nothing to compare
        elif i in best:
            out.append(replace(w, confidence=round(max(w.confidence, AGREE_FLOOR), 4)))
        else:
            out.append(replace(w, confidence=round(min(w.confidence, DISAGREE_CAP), 4)))
    return out


def _name_replaced(line: Sequence[Word], texts: list[str]) -> list[Word] | None:
    from ocr.extract import _clean_value, is_personal_name

    lettered = [w for w in line if _lettered(w)]
    # A personal name with as many words as Tesseract's line, given by two crops at least (spaces
    # aside: a tight crop runs "Lê Tấn" together).
    names = [_clean_value(t) for t in texts]
    other = next((n for n in names if is_personal_name(n) and len(n.split()) == len(lettered)
                  and sum(m.replace(" ", "") == n.replace(" ", "") for m in names) >= 2), None)
    if other is None:
        return None
    theirs = other.split()
    by_id = {id(w): t for w, t in zip(lettered, theirs, strict=True)}
    return [replace(w, text=by_id[id(w)], confidence=round(min(w.confidence, DISAGREE_CAP), 4)) if id(w) in by_id
            else w for w in line]


def confirm_words(words: list[Word], image: np.ndarray | Image.Image, width: int, height: int, *,
                  file: str = "<page>") -> list[Word]:
    """The page's words, those of its signature blocks and recipients list confirmed or doubted by
    the second recogniser. It reads the brightest channel, as Tesseract does (ocr.preprocess,
    ink="max"): a red seal fades, black print stays."""
    nameless: list[tuple[Word, ...]] = []
    lines = _find_lines(words, width, height, nameless)
    if not lines:
        return words
    rgb = as_rgb_array(image)
    # cv2.max: numpy's max(axis=2) took ~0.5 s a page (ocr.preprocess does the same)
    r, g, b = cv2.split(np.ascontiguousarray(rgb[..., :3]))
    bright = cv2.merge([cv2.max(cv2.max(r, g), b)] * 3)
    changed: dict[int, Word] = {}
    for line, name in lines:
        for old, new in zip(line, confirm_line(line, bright, name=name, file=file), strict=True):
            changed[id(old)] = new
    out = [changed.get(id(w), w) for w in words]
    next_line = 1 + max((w.line for w in words), default=0)
    for block in nameless:
        found = read_missing_name(block, bright, width, height, line=next_line, file=file)
        if found:
            out += found
            next_line += 1
    return out


def _bands(dark: np.ndarray, min_rows: int) -> list[tuple[int, int]]:
    """Runs of rows holding ink (row index ranges, end exclusive) at least `min_rows` tall."""
    rows = dark.sum(axis=1) > max(2, 0.01 * dark.shape[1])
    out, start = [], None
    for y, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if y - start >= min_rows:
                out.append((start, y))
            start = None
    return out


def read_missing_name(block: Sequence[Word], bright: np.ndarray, width: int, height: int, *, line: int,
                      file: str = "<page>") -> list[Word]:
    """The signer's name of a block whose name line Tesseract did not read at all (under the
    signature and seal, or too faint): the printed lines below the block, within a third of the page
    (where the extractor looks), in the brightest channel (a blue signature and a red seal fade, the
    black print stays), read by the second recogniser from the nearest up; the first that reads as a
    personal name is added as that line's words, capped at DISAGREE_CAP (one engine read it)."""
    from ocr.extract import _clean_value, is_personal_name

    heights = sorted(w.bbox[3] - w.bbox[1] for w in block)
    h = heights[len(heights) // 2]
    x0, x1 = min(w.bbox[0] for w in block), max(w.bbox[2] for w in block)
    cx, half = (x0 + x1) / 2, max(x1 - x0, 8 * h) / 2 + h
    left, right = max(0, round(cx - half)), min(width, round(cx + half))
    top, bottom = max(w.bbox[3] for w in block) + round(0.5 * h), min(height, max(w.bbox[3] for w in block) + height // 3)
    if bottom - top < 2 * h or right - left < 4 * h:
        return []
    grey = bright[top:bottom, left:right, 0]
    dark = grey < 110
    for b0, b1 in _bands(dark, max(3, round(0.5 * h))):
        if b1 - b0 > 2.2 * h:
            continue  # a signature's strokes or a seal's ring still dark here, not a printed line
        cols = np.nonzero(dark[b0:b1].any(axis=0))[0]
        if cols.size == 0:
            continue
        box = (left + int(cols[0]) - round(0.5 * h), top + b0 - round(0.2 * h),
               left + int(cols[-1]) + round(0.5 * h), top + b1 + round(0.2 * h))
        reading = read_line(bright, box, file=file)
        text = _clean_value(reading.text)
        if is_personal_name(text) and len(reading.words) == len(text.split()):
            return [replace(w, text=t, confidence=round(min(w.confidence, DISAGREE_CAP), 4), line=line, block=0)
                    for w, t in zip(reading.words, text.split(), strict=True)]
    return []
