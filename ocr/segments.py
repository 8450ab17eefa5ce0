"""A page's lines as segments (Tesseract lines cut at wide gaps and at the header's column boundary)
and the page geometry read from them: the first page's header, a place-and-date line in the right
half, pieces of one printed line.

Below the extractor (ocr.extract) and the second readings (ocr.signer_lines, ocr.holder_lines,
ocr.recipient_list, ocr.key_lines), which all cut a page into lines this way."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from core.text import fold, nfc
from ocr._text import parse_vn_date
from ocr.labels import DATE_LINE, MOTTO, NUMBER_LABEL
from ocr.model import Box, PageText, Word


@dataclass(frozen=True)
class Segment:
    page: int
    width: int
    height: int
    words: tuple[Word, ...]
    text: str
    folded: str
    starts: tuple[int, ...]  # char offset of each word in `text`

    @property
    def box(self) -> Box:
        return union(w.bbox for w in self.words)

    @property
    def xc(self) -> float:
        b = self.box
        return (b[0] + b[2]) / 2

    @property
    def top(self) -> int:
        return self.box[1]

    @property
    def bottom(self) -> int:
        return self.box[3]

    @property
    def line_height(self) -> float:
        return median(w.bbox[3] - w.bbox[1] for w in self.words)

    def words_in(self, a: int, b: int) -> list[Word]:
        return [w for w, s in zip(self.words, self.starts, strict=True) if s < b and s + len(w.text) > a]


def union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def segment_of(words: list[Word], page: PageText) -> Segment:
    texts = [nfc(w.text) for w in words]
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    text = " ".join(texts)
    return Segment(page.number, page.width, page.height, tuple(words), text, fold(text), tuple(starts))


def _header_split(ws: list[Word], page: PageText, h: float) -> int | None:
    """Where a header line crosses from the issuing-body column to the motto column (index or None).

    The two columns can be closer than two line heights, so the cut is the widest gap near the middle."""
    if ws[0].bbox[1] > 0.2 * page.height:
        return None
    best, at = 0.6 * h, None
    for i in range(1, len(ws)):
        gap = ws[i].bbox[0] - ws[i - 1].bbox[2]
        if gap > best and 0.3 * page.width < (ws[i].bbox[0] + ws[i - 1].bbox[2]) / 2 < 0.65 * page.width:
            best, at = gap, i
    return at


def segments(page: PageText) -> list[Segment]:
    """Tesseract lines cut at wide gaps (> 2 line heights) and at the header's column boundary."""
    out: list[Segment] = []
    for line in page.lines():
        ws = sorted(line, key=lambda w: w.bbox[0])
        h = median(w.bbox[3] - w.bbox[1] for w in ws) or 1
        cut = _header_split(ws, page, h) if page.number == 1 else None
        cur: list[Word] = [ws[0]]
        for i, w in enumerate(ws[1:], start=1):
            if i == cut or w.bbox[0] - cur[-1].bbox[2] > 2.0 * max(h, page.dpi / 15):
                out.append(segment_of(cur, page))
                cur = []
            cur.append(w)
        out.append(segment_of(cur, page))
    return out


def clean_value(text: str) -> str:
    """A value's text with runs of spaces made one and the punctuation around it dropped."""
    return re.sub(r"\s+", " ", text).strip(" .,;:-–—_|'\"")


def has_page_header(segs: Iterable[Segment], height: int) -> bool:
    """Does the page carry a first page's header (motto, "Số:" line) in its top quarter? A continuation
    page has none, and its signature block and recipients may stand right under its page number."""
    return any(s.top < 0.25 * height and (MOTTO.search(s.folded) or NUMBER_LABEL.match(s.folded)) for s in segs)


def same_line(prev: Box, box: Box, prev_text: str, text: str) -> bool:
    """`box` (reading `text`) is a later piece of the printed line `prev` (reading `prev_text`) is on:
    level with it (each one's middle within the other's span) and to its right, in the list's column.
    The page's reading cuts a line at a word gap over two word heights, and a short upper-case word
    ("UBND") gives a low word height. Specks (fewer than two letters) are no piece of an item."""
    if min(sum(c.isalpha() for c in t) for t in (prev_text, text)) < 2:
        return False
    mid, prev_mid = (box[1] + box[3]) / 2, (prev[1] + prev[3]) / 2
    level = prev[1] <= mid <= prev[3] or box[1] <= prev_mid <= box[3]
    return level and box[0] >= prev[2] and box[0] - prev[2] < 4 * max(prev[3] - prev[1], box[3] - box[1])


def right_date_line(part: Sequence[Word], width: int) -> bool:
    """A place-and-date line in the page's right half: it starts right of 30 % of the width, its
    centre right of 45 %, a comma after the place (a body line "ngày 05 tháng 11 năm 2021, …" starts
    at the left margin)."""
    text = " ".join(w.text for w in part)
    centre = (part[0].bbox[0] + part[-1].bbox[2]) / 2
    return part[0].bbox[0] > 0.3 * width and centre > 0.45 * width and is_date_line(text) and "," in text[:40]


def is_date_line(text: str) -> bool:
    """A "<place>, ngày … tháng … năm yyyy" line, read with OCR slack."""
    return bool(DATE_LINE.search(fold(nfc(text))) or (parse_vn_date(text)[0] and "," in text[:40]))
