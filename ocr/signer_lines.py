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
from collections.abc import Callable, Sequence
from dataclasses import replace
from difflib import SequenceMatcher

import cv2
import numpy as np
from PIL import Image

from core.text import fold, nfc
from ocr._text import edit_distance, is_upper_text
from ocr.aster_engine import LineReading, read_line
from ocr.labels import LIST_LABEL, SIGNER_HINT
from ocr.model import Box, PageText, Word
from ocr.quality import PageQuality, as_rgb_array
from ocr.segments import Segment, clean_value, right_date_line, segments
from ocr.signature import (
    authority_start,
    body_parses,
    damaged_name,
    is_personal_name,
    names_office,
    signature_blocks,
)

TALL_MARK = 2.2  # line heights: a mark taller than this under a block is a seal's or signature's, not print
AGREE_FLOOR = 0.9  # both engines read the word alike
DISAGREE_CAP = 0.6  # only Tesseract read it so: a reason for review
# Crops around a line (top, bottom, sides) in median word heights, read in turn until one agrees on
# every word: a neighbouring line in the strip confuses a one-line recogniser, a tight crop cuts marks.
CROPS: tuple[tuple[float, float, float], ...] = ((0.15, 0.15, 0.5), (0.35, 0.35, 0.5))
# The signer's name line, when the two crops did not agree with Tesseract: a wider one (the seal or
# the signature can hide the first letters from Tesseract, whose box then starts late).
NAME_CROP: tuple[float, float, float] = (0.35, 0.35, 1.5)


def word_key(text: str) -> str:
    """A word as compared: NFC, case folded, punctuation around it dropped ("TM." and "TM" agree)."""
    return nfc(text).casefold().strip(" .,;:-–—_|'\"()[]*•+")


def is_lettered(w: Word) -> bool:
    return any(c.isalpha() or c.isdigit() for c in w.text)


def find_lines(words: Sequence[Word], width: int, height: int) -> list[tuple[Word, ...]]:
    """The lines of the page's signature blocks (authority lines and name, as the extractor finds
    them) and of its recipients list, each as Tesseract's words left to right."""
    return [line for line, _ in _find_lines(words, width, height)]


def _segments(words: Sequence[Word], width: int, height: int) -> list[Segment]:
    page = PageText(number=2, width=width, height=height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.0, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=not words))

    return segments(page)  # page 2: no header column split (the header is not read here)


def _find_lines(words: Sequence[Word], width: int, height: int,
                nameless: list[tuple[Word, ...]] | None = None) -> list[tuple[tuple[Word, ...], float | None]]:
    """(line, the block's axis when it is the signer's name line, else None) of find_lines. A name
    line Tesseract read too badly to be a name ("Lê +ân Dũng") is found where the extractor finds it
    (ocr.signature.damaged_name). The authority lines of a block with no name line at all are added to
    `nameless`."""

    segs = _segments(words, width, height)
    out: list[tuple[Word, ...]] = []
    names: dict[tuple[int, ...], float] = {}
    for titles, name in signature_blocks(segs):
        out += [t.words for t in titles]
        name = name or damaged_name(titles, segs)
        if name is not None:
            out.append(name.words)
            axis = (min(t.box[0] for t in titles) + max(t.box[2] for t in titles)) / 2
            names[tuple(sorted(id(w) for w in name.words))] = axis
        elif nameless is not None:
            nameless.append(tuple(w for t in titles for w in t.words))
    for i, s in enumerate(segs):
        label = LIST_LABEL.match(s.folded)
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
        if key not in seen and any(is_lettered(w) for w in line):
            seen.add(key)
            unique.append((tuple(sorted(line, key=lambda w: w.bbox[0])), names.get(key)))
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
    mine = [(i, word_key(w.text)) for i, w in enumerate(line) if is_lettered(w)]
    theirs = [k for k in (word_key(t) for t in other) if k]
    match = SequenceMatcher(None, [k for _, k in mine], theirs, autojunk=False)
    out: set[int] = set()
    for a, _, n in match.get_matching_blocks():
        out.update(mine[a + k][0] for k in range(n))
    return out


def name_completed(tesseract: Sequence[str], reading: str) -> list[str] | None:
    """The signer's name as the second recogniser read it on a crop centred on the block's axis, where
    that reading shows Tesseract's lost or broke the name's first word under the seal: Tesseract's
    words are the reading's after its first ("Huy Nam Sơn" of "Phạm Huy Nam Sơn"), or all but the
    first match and Tesseract's first is no family name ("an Ngọc Thướng", "Tế Trung Chỉnh" against
    "Phạm Ngọc Thưởng", "Lê Trung Chinh"; folded, the marks of the rest may differ). The reading must
    be a personal name opening with a common family name (`SURNAMES`, put in its printed form).
    None otherwise: Tesseract's own first word stands."""
    from ocr._lexicon import SURNAMES, surname_fixed

    theirs = surname_fixed(clean_value(reading)).split()
    mine = [t for t in tesseract if any(c.isalpha() for c in t)]
    surnames = {fold(s) for s in SURNAMES}
    if not mine or not is_personal_name(" ".join(theirs)) or theirs[0] not in SURNAMES:
        return None
    if len(theirs) == len(mine) + 1 and [fold(t) for t in theirs[1:]] == [fold(t) for t in mine]:
        return theirs
    first = fold(mine[0])
    broken = mine[0][:1].islower() or (first not in surnames and edit_distance(first, fold(theirs[0])) <= 1)
    if len(theirs) == len(mine) > 1 and broken and [fold(t) for t in theirs[1:]] == [fold(t) for t in mine[1:]]:
        return theirs
    return None


def _centred_name(line: Sequence[Word], image: np.ndarray, axis: float, file: str) -> list[Word] | None:
    """The name line's words from `name_completed` on a crop centred on `axis` (Decree 30 centres the
    name under the authority lines, so the crop holds what Tesseract lost at the line's start), in the
    second reading's boxes at the line's height, capped at DISAGREE_CAP; None when it does not apply."""
    heights = sorted(w.bbox[3] - w.bbox[1] for w in line)
    h = heights[len(heights) // 2]
    x0, y0 = min(w.bbox[0] for w in line), min(w.bbox[1] for w in line)
    x1, y1 = max(w.bbox[2] for w in line), max(w.bbox[3] for w in line)
    half = max(axis - x0, x1 - axis) + 0.5 * h
    reading = read_line(image, (round(axis - half), round(y0 - 0.35 * h), round(axis + half), round(y1 + 0.35 * h)),
                        file=file)
    found = name_completed([w.text for w in line], reading.text)
    words = [w for w in reading.words if any(c.isalpha() for c in w.text)]
    if found is None or len(words) != len(found):
        return None
    first = line[0]
    return [replace(w, text=t, confidence=round(min(w.confidence, DISAGREE_CAP), 4), bbox=(w.bbox[0], y0, w.bbox[2], y1),
                    line=first.line, block=first.block) for w, t in zip(words, found, strict=True)]


def confirm_line(line: Sequence[Word], image: np.ndarray, *, name: bool = False, axis: float | None = None,
                 file: str = "<page>") -> list[Word]:
    """The line's words with confidences set by the second reading (see the module's docstring).

    The signer's name line (`name`) whose readings differ (a third, wider crop read too): when two
    crops gave the second recogniser the same personal name (spaces aside), as many words as
    Tesseract's, the line takes those words in Tesseract's boxes, capped at DISAGREE_CAP. Either way the value goes to a person (the engines
    disagree); on the development pages the second reading was the right one where a seal was over
    the name ("Lê +ân Dũng", "Hoàng Văn Thuần" and "Nguyễn Thị Kim Chỉ" for "Thuân" and "Chi"),
    so the person gets the better value to check. Independent of Tesseract's confidence, so the
    step gives the same words when run again over its own output.

    With the block's `axis`, the name line is first read on a crop centred on it (`name_completed`):
    a first word lost or broken under the seal comes back, capped at DISAGREE_CAP."""
    if name and axis is not None and (centred := _centred_name(line, image, axis, file)) is not None:
        return centred
    best: set[int] = set()
    wanted = {i for i, w in enumerate(line) if is_lettered(w)}
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

    lettered = [w for w in line if is_lettered(w)]
    # A personal name with as many words as Tesseract's line, given by two crops at least (spaces
    # aside: a tight crop runs "Lê Tấn" together).
    names = [clean_value(t) for t in texts]
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
    rgb = as_rgb_array(image)
    # cv2.max: numpy's max(axis=2) took ~0.5 s a page (ocr.preprocess does the same)
    r, g, b = cv2.split(np.ascontiguousarray(rgb[..., :3]))
    bright = cv2.merge([cv2.max(cv2.max(r, g), b)] * 3)
    added = read_missing_block(words, bright, width, height, file=file)
    words = words + added
    marks, debris = read_mark_above(words, bright, width, height, file=file)
    words = [w for w in words if id(w) not in debris] + marks
    added += marks
    nameless: list[tuple[Word, ...]] = []
    # Lines the second recogniser read alone are not confirmed by it again: one engine, not two.
    own = {id(w) for w in added}
    lines = [(line, axis) for line, axis in _find_lines(words, width, height, nameless)
             if not any(id(w) in own for w in line)]
    if not lines and not added:
        return words
    changed: dict[int, list[Word]] = {}
    for line, axis in lines:
        new = confirm_line(line, bright, name=axis is not None, axis=axis, file=file)
        if len(new) == len(line):
            for old, one in zip(line, new, strict=True):
                changed[id(old)] = [one]
        else:  # the name's words from the centred reading: in place of the line's first word, the rest dropped
            changed.update({id(old): [] for old in line})
            changed[id(line[0])] = new
    out = [x for w in words for x in changed.get(id(w), [w])]
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


def without_tall_marks(dark: np.ndarray, h: int) -> np.ndarray:
    """`dark` without its connected marks taller than TALL_MARK line heights `h`: a seal's ring and
    a signature's strokes, not printed letters. A seal that stays dark (a photocopy turns its red
    grey, and the brightest channel no longer fades it) touches the name printed under it, and the
    rows of ring and name made one band too tall to be a line, so the name was never read."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark.astype(np.uint8), connectivity=8)
    tall = np.flatnonzero(stats[:, cv2.CC_STAT_HEIGHT] > TALL_MARK * h)
    tall = tall[tall > 0]
    if not tall.size:
        return dark
    return np.asarray(dark & ~np.isin(labels, tall))


def read_missing_name(block: Sequence[Word], bright: np.ndarray, width: int, height: int, *, line: int,
                      file: str = "<page>") -> list[Word]:
    """The signer's name of a block whose name line Tesseract did not read at all (under the
    signature and seal, or too faint): the printed lines below the block, within a third of the page
    (where the extractor looks), in the brightest channel (a blue signature and a red seal fade, the
    black print stays), read by the second recogniser from the nearest up; the first that reads as a
    personal name is added as that line's words, capped at DISAGREE_CAP (one engine read it)."""

    heights = sorted(w.bbox[3] - w.bbox[1] for w in block)
    h = heights[len(heights) // 2]
    x0, x1 = min(w.bbox[0] for w in block), max(w.bbox[2] for w in block)
    cx, half = (x0 + x1) / 2, max(x1 - x0, 8 * h) / 2 + h
    left, right = max(0, round(cx - half)), min(width, round(cx + half))
    top, bottom = max(w.bbox[3] for w in block) + round(0.5 * h), min(height, max(w.bbox[3] for w in block) + height // 3)
    if bottom - top < 2 * h or right - left < 4 * h:
        return []
    grey = bright[top:bottom, left:right, 0]
    dark = without_tall_marks(grey < 110, h)
    for b0, b1 in _name_bands(dark, h):
        cols = np.flatnonzero(dark[b0:b1].any(axis=0))
        if cols.size == 0:
            continue
        # The inked columns, then the widest run of them (a seal's star or arc set apart by a gap),
        # then that run widened (a first letter joined to the ring went with it, `without_tall_marks`).
        # Of these readings, the name with the most syllables (a name's first letters lost to the
        # ring read "ân Dũng": every syllable of a name starts with a capital).
        run = max(np.split(cols, np.flatnonzero(np.diff(cols) > h) + 1), key=lambda c: c[-1] - c[0])
        best: list[Word] = []
        for c0, c1, pad in ((cols[0], cols[-1], 0.5), (run[0], run[-1], 0.5), (run[0], run[-1], 1.5)):
            box = (left + int(c0) - round(pad * h), top + b0 - round(0.2 * h),
                   left + int(c1) + round(pad * h), top + b1 + round(0.2 * h))
            read = lettered_span(read_line(bright, box, file=file).words)
            text = clean_value(" ".join(w.text for w in read))
            if is_personal_name(text) and len(read) == len(text.split()) > len(best) \
                    and all(t[0].isupper() for t in text.split()):
                best = [replace(w, text=t) for w, t in zip(read, text.split(), strict=True)]
        if best:
            return [replace(w, confidence=round(min(w.confidence, DISAGREE_CAP), 4), line=line, block=0)
                    for w in best]
    return []


def _name_bands(dark: np.ndarray, h: int) -> list[tuple[int, int]]:
    """Rows of `dark` (the region under a block, tall marks removed) that may be a printed line, top
    first. Rows too tall for one line (a seal's emblem and inner ring beside the name) are split again
    on their right half alone: Decree 30 puts the seal over the left of the signature, so the name's
    right part is clear of it."""
    out: list[tuple[int, int]] = []
    min_rows = max(3, round(0.5 * h))
    for b0, b1 in _bands(dark, min_rows):
        if b1 - b0 <= TALL_MARK * h:
            out.append((b0, b1))
            continue
        out += [(b0 + s0, b0 + s1) for s0, s1 in _bands(dark[b0:b1, dark.shape[1] // 2:], min_rows)
                if s1 - s0 <= TALL_MARK * h]
    return out


def lettered_span(words: Sequence[Word]) -> list[Word]:
    """`words` without the tokens at either end that hold no letter: a seal's star or a signature's
    tail read as "+" or "*" beside the name ("+ Lê Quân")."""
    out = list(words)
    while out and not any(c.isalpha() for c in out[0].text):
        out.pop(0)
    while out and not any(c.isalpha() for c in out[-1].text):
        out.pop()
    return out


# A signature block Tesseract did not read at all (its lines joined to the seal's ring, or a phone
# photo's lower part given up on) is looked for in the printed rows where Decree 30 puts it: right of
# BLOCK_LEFT of the width, from level with the "Nơi nhận:" label (or under a place-and-date line of
# the page's lower part) down a third of the page. A row is ink darker than ROW_DARK of its
# neighbourhood's paper (a photo's shadow is paper, a red seal in the brightest channel nearly so).
BLOCK_LEFT = 0.45
ROW_DARK = 0.55
# A row's crop grown (up and down, to the sides) by these shares of its height, read in turn until one
# reads as a block's line: a one-line recogniser's reading of small print moves with a few pixels.
ROW_CROPS: tuple[tuple[float, float], ...] = ((0.0, 0.25), (0.15, 0.25), (0.0, 0.5), (0.15, 0.5), (0.0, 0.0))


def _ink_rows(bright: np.ndarray, region: Box, h: int) -> list[Box]:
    """Printed rows of ink inside `region` of the brightest channel, top first: ink darker than
    ROW_DARK of its neighbourhood's paper, rows 0.5-2.2 line heights `h` tall (a signature's strokes
    and a seal's ring run taller), each as the widest run of inked columns (gaps up to two line
    heights), at least two line heights wide, padded by half a line height."""
    left, top, right, bottom = region
    left, top, right, bottom = max(0, left), max(0, top), min(bright.shape[1], right), min(bright.shape[0], bottom)
    if bottom - top < h or right - left < 2 * h or h < 4:
        return []
    grey = bright[..., 0]
    k = max(15, int(3 * h) | 1)
    paper = cv2.morphologyEx(grey[top:bottom], cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    dark = (grey[top:bottom].astype(np.float32) < ROW_DARK * np.maximum(paper.astype(np.float32), 1))[:, left:right]
    rows = dark.sum(axis=1) > max(3, 0.02 * (right - left))
    out: list[Box] = []
    start = None
    for y, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            b0, b1, start = start, y, None
            if not 0.5 * h <= b1 - b0 <= 2.2 * h:
                continue  # a speck, or a signature's strokes and a seal's ring, not a printed line
            cols = np.flatnonzero(dark[b0:b1].sum(axis=0) > 0)
            best = max(np.split(cols, np.flatnonzero(np.diff(cols) > 2 * h) + 1), key=lambda c: c[-1] - c[0])
            if best[-1] - best[0] >= 2 * h:
                out.append((left + int(best[0]) - h // 2, top + b0 - round(0.2 * h), left + int(best[-1]) + h // 2,
                            top + b1 + round(0.2 * h)))
    return out


def _inside(w: Word, box: Box) -> bool:
    return box[0] <= (w.bbox[0] + w.bbox[2]) / 2 <= box[2] and box[1] <= (w.bbox[1] + w.bbox[3]) / 2 <= box[3]


def _line_height(words: Sequence[Word]) -> int:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    return heights[len(heights) // 2] if heights else 0


def unread_block_rows(words: Sequence[Word], bright: np.ndarray, width: int, height: int) -> list[Box]:
    """Boxes of the printed rows in the signature block's place that no word of `words` covers, top
    first; none when the page has a signature block already or no place for one (no "Nơi nhận:"
    label, no place-and-date line in its lower part)."""

    if not words:
        return []
    segs = _segments(words, width, height)
    if signature_blocks(segs):
        return []
    label = next((s for s in segs if (m := LIST_LABEL.match(s.folded)) and m.group("noi")
                  and s.box[0] < BLOCK_LEFT * width), None)
    dated = next((s for s in segs if s.top > 0.4 * height and right_date_line(list(s.words), width)), None)
    if label is not None:
        top = round(label.top - 1.5 * label.line_height)
    elif dated is not None:
        top = dated.bottom
    else:
        return []
    h = _line_height(words)
    region = (round(BLOCK_LEFT * width), max(0, top), round(0.97 * width), min(height, top + height // 3))
    if region[3] - region[1] < 2 * h:
        return []
    return [box for box in _ink_rows(bright, region, h) if not any(_inside(w, box) for w in words)]


def _read_row(bright: np.ndarray, box: Box, fits: Callable[[str, LineReading], bool], file: str) -> LineReading | None:
    """The second recogniser's reading of a row, its crop grown by ROW_CROPS in turn until a reading
    `fits`; None when none does."""
    h = box[3] - box[1]
    for grow, side in ROW_CROPS:
        pad, wide = round(grow * h), round(side * h)
        reading = read_line(bright, (box[0] - wide, box[1] - pad, box[2] + wide, box[3] + pad), file=file)
        if fits(reading.text, reading):
            return reading
    return None


def _row_words(reading: LineReading, box: Box, line: int) -> list[Word]:
    """A row's words as the second recogniser read them, at the row's height, capped at DISAGREE_CAP."""

    found = [w for w in reading.words if clean_value(w.text)]
    junk = " .,;:-–—_|'\""

    def trimmed(k: int, text: str) -> str:  # specks off the row's ends; "TM." keeps its full stop
        text = text.lstrip(junk) if k == 0 else text
        return text.rstrip(junk) if k == len(found) - 1 else text

    return [replace(w, text=trimmed(k, w.text), confidence=round(min(w.confidence, DISAGREE_CAP), 4),
                    bbox=(w.bbox[0], box[1], w.bbox[2], box[3]), line=line, block=0)
            for k, w in enumerate(found)]


# The delegation line that opens a block (Decree 30 Appendix I), folded: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ
# TỊCH", "TL. BỘ TRƯỞNG", "TUQ. GIÁM ĐỐC"; a biên bản's "ĐẠI DIỆN …".
_MARK_LINE = re.compile(r"^\s*(?:(?:tm|kt|tl|tuq)\s?[.,]\s*\S|dai dien\b|dd\b)")


def _is_junk(w: Word) -> bool:
    """Debris Tesseract made of a line it could not read ("}MU", "TT" at 0.31)."""
    from ocr.correct import is_syllable

    token = w.text.strip(".,:;-")
    return w.confidence < DISAGREE_CAP or not (len(token) > 1 and is_syllable(token))


def read_mark_above(words: Sequence[Word], bright: np.ndarray, width: int, height: int, *,
                    file: str = "<page>") -> tuple[list[Word], set[int]]:
    """The delegation line over a signature block whose first line read is the signer's own title
    ("CHỦ TỊCH" with no "TM. ỦY BAN NHÂN DÂN" above it): the row right above the block, centred on
    its axis and as wide as such a line, read by the second recogniser where Tesseract read nothing
    there or only debris. Kept when it reads as a delegation line in capitals naming an office or a
    body. Returns the new words (capped at DISAGREE_CAP) and the ids of the debris words they replace."""

    segs = _segments(words, width, height)
    added: list[Word] = []
    gone: set[int] = set()
    line = 1 + max((w.line for w in words), default=0)
    for titles, _ in signature_blocks(segs):
        first = titles[0]
        if _MARK_LINE.match(first.folded):
            continue
        h = round(first.line_height)
        x0, x1 = min(t.box[0] for t in titles), max(t.box[2] for t in titles)
        axis, half = (x0 + x1) / 2, max(x1 - x0, 12 * h) / 2 + h
        region = (round(axis - half), first.top - round(2.6 * h), round(axis + half), first.top - round(0.1 * h))
        rows = _ink_rows(bright, region, h)
        if not rows:
            continue
        box = rows[-1]  # the nearest row above the block
        covering = [w for w in words if _inside(w, box)]
        if not all(_is_junk(w) for w in covering):
            continue  # Tesseract read a line there: not ours to replace

        def fits(text: str, _: LineReading) -> bool:
            text = clean_value(text)
            rest = re.sub(r"^(?:TM|KT|TL|TUQ)\s?[.,]\s*", "", text)
            return bool(_MARK_LINE.match(fold(text))) and is_upper_text(text) and rest != text \
                and (names_office(fold(rest)) or body_parses(rest) or fold(rest) == "uy ban nhan dan")

        reading = _read_row(bright, box, fits, file)
        if reading is None:
            continue
        new = _row_words(reading, box, line)
        seg_ok = authority_start(_part_of(new, width, height))
        if not seg_ok:
            continue
        added += new
        gone |= {id(w) for w in covering}
        line += 1
    return added, gone


def _part_of(words: list[Word], width: int, height: int) -> Segment:
    segs = _segments(words, width, height)
    return segs[0]


def read_missing_block(words: Sequence[Word], bright: np.ndarray, width: int, height: int, *,
                       file: str = "<page>") -> list[Word]:
    """The authority lines (and the name) of a signature block Tesseract did not read, from the rows
    of `unread_block_rows` read by the second recogniser: a row in capitals that names an office or
    delegation ("CHỦ TỊCH", "KT. CỤC TRƯỞNG") is an authority line, the first row under them that
    reads as a personal name is the name; reading stops there. Each is a new line of words capped at
    DISAGREE_CAP (one engine read it); none when no authority line reads so."""

    line = 1 + max((w.line for w in words), default=0)
    out: list[Word] = []

    def office(text: str) -> bool:
        text = clean_value(text)
        return is_upper_text(text) and bool(SIGNER_HINT.search(fold(text)) or names_office(fold(text))) \
            and all(c.isalpha() for c in text.replace(" ", "").replace(".", ""))

    def name(text: str, reading: LineReading) -> bool:
        text = clean_value(text)
        return bool(out) and is_personal_name(text) and len(reading.words) == len(text.split())

    for box in unread_block_rows(words, bright, width, height):
        reading = _read_row(bright, box, lambda t, r: office(t) or name(t, r), file)
        if reading is None:
            continue
        out += _row_words(reading, box, line)
        line += 1
        if not office(reading.text):
            break  # the name: the block ends there
    return out if any(is_upper_text(w.text) for w in out) else []
