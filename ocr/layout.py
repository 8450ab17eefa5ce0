"""Reading order for Decree-30 pages: two-column zones (header, recipients | signature) read column by column.

Tesseract (psm 3 or 4) reads a page line by line across the whole width, so the issuing body and the
national motto, or the recipients list and the signer's title, come out interleaved. Here the words are
regrouped: line pieces (cut at wide gaps) -> rows (pieces at the same height) -> zones (consecutive
rows that share a vertical gutter near the middle, at least one of them with text on both sides).
A zone is read left column first, then right column; every other row is read left to right.

Pure geometry on word boxes: no image access, so it works for any engine that gives boxes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median

from core.text import fold
from ocr.correct import is_syllable
from ocr.model import Word

# The gutter of a Decree-30 two-column zone lies between these fractions of the page width.
GUTTER_MIN, GUTTER_MAX = 0.25, 0.75


# Lines that always follow the two-column header of a Decree-30 letter or decision.
_ENDS_HEADER = re.compile(r"^\s*(kinh gui|can cu|quyet dinh|thong bao|to trinh|bao cao)\b")


@dataclass
class _Piece:
    words: list[Word]

    @property
    def x0(self) -> int:
        return min(w.bbox[0] for w in self.words)

    @property
    def x1(self) -> int:
        return max(w.bbox[2] for w in self.words)

    @property
    def y0(self) -> int:
        return min(w.bbox[1] for w in self.words)

    @property
    def y1(self) -> int:
        return max(w.bbox[3] for w in self.words)

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


def _height(words: Sequence[Word]) -> float:
    return median(w.bbox[3] - w.bbox[1] for w in words) or 1.0


_DASHES = ("-", "–", "—")


def _pieces(words: Sequence[Word], width: int, height: int) -> list[_Piece]:
    """Engine lines cut where words are far apart: at > 1.5 line heights, or, in the top quarter
    (the header), at the widest gap of > 0.6 line heights near the middle of the page."""
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    out: list[_Piece] = []
    for ws in by_line.values():
        ws.sort(key=lambda w: w.bbox[0])
        h = _height(ws)
        cut = None
        # A speck read as "_" or "." in the gutter must not bridge the columns; a dash between words
        # is part of the line ("TÀI CHÍNH - KẾ HOẠCH").
        solid = [w for w in ws if any(c.isalnum() for c in w.text) or w.text in _DASHES]
        if ws[0].bbox[1] < 0.25 * height and len(solid) > 2:
            # The column gap is wider than the line's word spaces ("TÀI CHÍNH - KẾ HOẠCH" is one line).
            spaces = sorted(solid[i].bbox[0] - solid[i - 1].bbox[2] for i in range(1, len(solid)))
            best = max(0.6 * h, 2.5 * spaces[len(spaces) // 2])
            for i in range(1, len(solid)):
                gap = solid[i].bbox[0] - solid[i - 1].bbox[2]
                mid = (solid[i].bbox[0] + solid[i - 1].bbox[2]) / 2
                if gap > best and GUTTER_MIN * width < mid < GUTTER_MAX * width:
                    best, cut = gap, solid[i].bbox[0]
        cur = [ws[0]]
        for i in range(1, len(ws)):
            if (cut is not None and ws[i - 1].bbox[0] < cut <= ws[i].bbox[0]) \
                    or ws[i].bbox[0] - ws[i - 1].bbox[2] > 1.5 * h:
                out.append(_Piece(cur))
                cur = []
            cur.append(ws[i])
        out.append(_Piece(cur))
    return out


def _rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Pieces whose vertical centre falls inside a row's span (and that do not overlap it
    horizontally) join that row; rows are returned top to bottom, pieces left to right."""
    rows: list[list[_Piece]] = []
    for p in sorted(pieces, key=lambda p: p.yc):
        for row in reversed(rows[-3:]):
            top, bottom = min(q.y0 for q in row), max(q.y1 for q in row)
            if top <= p.yc <= bottom and all(p.x1 <= q.x0 or p.x0 >= q.x1 for q in row):
                row.append(p)
                break
        else:
            rows.append([p])
    for row in rows:
        row.sort(key=lambda p: p.x0)
    rows.sort(key=lambda r: min(p.y0 for p in r))
    return rows


def _free(row: list[_Piece], lo: float, hi: float) -> list[tuple[float, float]]:
    """Parts of [lo, hi] that no piece of the row covers."""
    out, x = [], lo
    for p in sorted(row, key=lambda p: p.x0):
        if p.x0 > x:
            out.append((x, min(p.x0, hi)))
        x = max(x, p.x1)
        if x >= hi:
            break
    if x < hi:
        out.append((x, hi))
    return [(a, b) for a, b in out if b > a]


def _intersect(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo:
                out.append((lo, hi))
    return out


def _splits(row: list[_Piece], gaps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The gaps that have text on both sides in this row."""
    return [(a, b) for a, b in gaps if any(p.x1 <= a for p in row) and any(p.x0 >= b for p in row)]


def _is_mark(p: _Piece) -> bool:
    """Specks, dashes and seal debris: no say in where the columns are."""
    text = "".join(w.text for w in p.words)
    return sum(c.isalnum() for c in text) < 2 or max(w.confidence for w in p.words) < 0.3


# The recipients list's heading, and the signer's authority lines (TM., KT., Q., TL., titles).
_SIGNATURE_CUE = re.compile(r"[^a-z0-9]*(noi nhan|tm|kt|q|tl|th|pho|chu tich|giam doc|truong phong|truong ban|hieu truong)\b")


def _signer_row(row: list[_Piece], width: int) -> bool:
    """A row with the signer's authority line ("TM. ỦY BAN NHÂN DÂN") in the right half."""
    return any(p.x0 > 0.45 * width and not _is_mark(p)
               and _SIGNATURE_CUE.match(fold(" ".join(w.text for w in p.words)).replace(".", " ")) for p in row)


def _zones(rows: list[list[_Piece]], width: int) -> list[tuple[int, int, float]]:
    """Two-column zones as (first row, row after the last, x of the cut between the columns)."""
    lo, hi = GUTTER_MIN * width, GUTTER_MAX * width
    out: list[tuple[int, int, float]] = []
    i = 0
    while i < len(rows):
        solid = [p for p in rows[i] if not _is_mark(p)]
        gaps = _splits(solid, _free(solid, lo, hi)) if len(solid) > 1 else []
        if not gaps and _signer_row(rows[i], width):
            # Beside the signer's line the recipients' heading may read as specks ("hp tệ:"): it is
            # still the left column.
            gaps = _splits(rows[i], _free(rows[i], lo, hi))
        if not gaps:
            i += 1
            continue
        # A two-column zone: extend downwards while the rows keep a common gutter.
        allowed, j = gaps, i + 1
        while j < len(rows):
            solid_j = [p for p in rows[j] if not _is_mark(p)]
            if solid_j and _ENDS_HEADER.match(fold(" ".join(w.text for w in solid_j[0].words))):
                break
            nxt = _intersect(allowed, _free(solid_j, lo, hi)) if solid_j else allowed
            if not nxt:
                break
            allowed, j = nxt, j + 1
        gutter = max(allowed, key=lambda g: g[1] - g[0])
        cut = (gutter[0] + gutter[1]) / 2
        # And upwards over rows whose pieces keep to one side of the cut: a zone's first row is often
        # the one the engine misread ("Nơi nhận:" beside "TM. ỦY BAN NHÂN DÂN" read as specks).
        start = i
        while start > (out[-1][1] if out else 0) and all(p.x1 <= cut or p.x0 >= cut for p in rows[start - 1]) \
                and any(p.x0 >= cut for p in rows[start - 1] if not _is_mark(p)):
            start -= 1
        out.append((start, j, cut))
        i = j
    return out


def reading_order(words: Sequence[Word], width: int, height: int) -> list[list[Word]]:
    """The page's lines in reading order (each a list of words left to right)."""
    if not words:
        return []
    rows = _rows(_pieces(words, width, height))
    zones = {i: (j, cut) for i, j, cut in _zones(rows, width)}
    out: list[list[Word]] = []
    i = 0
    while i < len(rows):
        if i not in zones:
            out.append([w for p in rows[i] for w in p.words])
            i += 1
            continue
        j, cut = zones[i]
        left: list[list[Word]] = []
        right: list[list[Word]] = []
        for row in rows[i:j]:
            lw = [w for p in row if (p.x0 + p.x1) / 2 < cut for w in p.words]
            rw = [w for p in row if (p.x0 + p.x1) / 2 >= cut for w in p.words]
            if lw:
                left.append(lw)
            if rw:
                right.append(rw)
        out += left + right
        i = j
    return out


@dataclass(frozen=True)
class ColumnZone:
    """A band of the page printed in two columns, cut at `cut`."""
    kind: str  # "header" (issuing body | motto) or "signature" (recipients | signer), the Decree-30 zones
    top: int  # page pixels: the band runs from top to bottom
    bottom: int
    cut: int  # x of the cut, inside the gutter
    words: tuple[Word, ...]  # the words the engine read in the band



def column_zones(words: Sequence[Word], width: int, height: int) -> list[ColumnZone]:
    """The Decree-30 two-column zones of a page, for an engine that reads each column on its own (psm 4
    reads a row across both columns as one line, and misreads the smaller recipients list beside the
    signer). Other two-column bands (a form's "Họ và tên … Giới tính" rows) are not returned: they
    are rows of one text, and reading them column by column would cut their lines."""
    kept = [w for w in words if not is_debris(w)]
    if not kept:
        return []
    rows = _rows(_pieces(kept, width, height))
    out = []
    for n, (i, j, cut) in enumerate(_zones(rows, width)):
        band = [w for row in rows[i:j] for p in row for w in p.words]
        top = min(w.bbox[1] for w in band)
        lines = [fold(" ".join(w.text for w in p.words)).replace(".", " ") for row in rows[i:j] for p in row]
        if any(_SIGNATURE_CUE.match(line) for line in lines):
            kind = "signature"
        elif n == 0 and top < 0.25 * height:
            kind = "header"
        else:
            continue
        out.append(ColumnZone(kind, top, max(w.bbox[3] for w in band), round(cut), tuple(band)))
    return out


DEBRIS_CONFIDENCE = 0.4  # below this, a word without a letter or digit is a speck, a rule or seal debris


def is_debris(w: Word) -> bool:
    """What no reader would call a word: low-confidence runs of punctuation (specks, underlines) and
    the engine's near-zero-confidence non-words (seal rings, signature strokes read as "tkeứ")."""
    if w.confidence < DEBRIS_CONFIDENCE and not any(c.isalnum() for c in w.text):
        return True
    # Tesseract also gives 0 to good words of a line it misjudged ("-KẾ HOẠCH"): keep real syllables.
    core = "".join(c for c in w.text if c.isalpha())
    return w.confidence < 0.05 and not any(c.isdigit() for c in w.text) and not (core and is_syllable(core))


def reorder(words: Sequence[Word], width: int, height: int) -> tuple[list[Word], str]:
    """Words renumbered (`line` = reading-order line index) and the page text in reading order;
    debris (see `is_debris`) is left out of both."""
    lines = reading_order([w for w in words if not is_debris(w)], width, height)
    out: list[Word] = []
    for n, line in enumerate(lines):
        out += [replace(w, line=n) for w in line]
    return out, "\n".join(" ".join(w.text for w in line) for line in lines)


def row_text(words: Sequence[Word], width: int, height: int) -> str:
    """The page as printed rows across the whole width (columns side by side, no reading order):
    what a generator's row-by-row ground truth looks like."""
    if not words:
        return ""
    rows = _rows(_pieces(words, width, height))
    return "\n".join(" ".join(w.text for p in row for w in p.words) for row in rows)
