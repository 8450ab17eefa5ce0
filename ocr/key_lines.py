"""The number line and the date line read a second time, by a second recogniser, and reconciled.

Archives are full of numbers and days written by hand into printed blanks ("Số: 1595 /SGDĐT-CTrTT",
"Đà Nẵng, ngày 31 tháng 5 năm 2019"). Tesseract finds those lines well (the printed part) but reads
handwriting badly; AsterOCR (ocr.aster_engine), a line recogniser trained on handwriting too, reads
the crop of the line Tesseract found. Per line:

- the two readings give the same value (after folding): agreement is evidence, the value's words
  get at least AGREE_FLOOR;
- they differ: the reading whose value fits the expected form (ocr._text: the document-number
  pattern, the "ngày … tháng … năm …" grammar with a real calendar date) is kept, and its value's
  words never exceed DISAGREE_CAP: two engines disagreeing is a reason for a person to look.

The line's words in the PageText are replaced by the kept reading's words, so extraction reads the
page as before. `reread_words` is what the Tesseract engine calls (its `key_lines` option)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from core.identifiers import is_document_number
from core.text import fold, nfc
from ocr._text import clean_document_number, parse_vn_date
from ocr.aster_engine import LineReading, read_digits, read_line
from ocr.model import Box, PageText, Word

Kind = Literal["number", "date"]
AGREE_FLOOR = 0.9  # both engines read the same value
DISAGREE_CAP = 0.6  # the engines read different values: whichever is kept goes to review
UPPER = 0.4  # the header (number, place and date) is in the upper part of the page
# Crops around the line's word boxes, margins (top, bottom, sides) in median word heights:
# handwriting overflows the printed line, but a neighbouring line in the strip confuses a one-line
# recogniser. Each crop is read; the value most of them give (fitting the form) wins.
CROPS: tuple[tuple[float, float, float], ...] = ((0.1, 0.1, 0.5), (0.3, 0.3, 0.5), (0.0, 0.0, 0.3))

# "Số:" with OCR slack, on folded text (as ocr.extract reads it); what follows is the number. The
# colon may be lost in the blank's dots ("SỐ... 94.../GPXD").
_LABEL = re.compile(r"^\s*(?:s\s?[o0ô6óơ]|so|s6)\s*(?:[:;]\s*|[.,…]*\s*(?=\d|[o0il]\d|/))")
# The symbol after the number ("/QĐ-UBND", "/SGDĐT-CTrTT"): finds the number line when "Số" is lost
# under handwriting.
_SYMBOL = re.compile(r"/?[A-ZĐ]{1,12}(?:-[A-ZĐa-z0-9]{1,12}){1,3}-?$")
# "<place>, ngày … tháng … năm yyyy" with OCR slack (the day is often unreadable): a comma early on,
# then "tháng" and a four-digit year.
_DATE_LINE = re.compile(r"^[^,]{2,40},.*th\s?[a-z]{1,3}\s?n?g.*n\s?[a-z]{1,2}m?\s*[0-9oil|]{4}\b")

# The dots of a printed blank ("ngày ………… tháng"), which the engines read around a handwritten value.
_LEADERS = re.compile(r"[.…·_]{2,}|…")


@dataclass(frozen=True)
class KeyLine:
    kind: Kind
    words: tuple[Word, ...]  # Tesseract's words of the line

    @property
    def box(self) -> Box:
        return (min(w.bbox[0] for w in self.words), min(w.bbox[1] for w in self.words),
                max(w.bbox[2] for w in self.words), max(w.bbox[3] for w in self.words))

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Verdict:
    source: Literal["tesseract", "aster"]  # whose words the line keeps
    agree: bool  # both readings give the same value (folded)
    value: str | None  # the value the kept reading gives (number as cleaned, date as ISO)


def key_value(kind: Kind, text: str) -> str | None:
    """The value a line gives when it fits the expected form, else None (dot leaders of the blank
    left out)."""
    text = _LEADERS.sub(" ", text)
    if kind == "date":
        return parse_vn_date(nfc(text))[0]
    m = _LABEL.match(fold(nfc(text)))
    rest = text[m.end():] if m else text
    value = clean_document_number(rest)
    if not is_document_number(value) and len(rest.split()) > 1:
        value = clean_document_number(re.sub(r"\s+", "", rest))
    return value if is_document_number(value) else None


def _key_span(kind: Kind, text: str) -> tuple[int, int]:
    """Character span of the value in `text` (its words are the ones the verdict's confidence is for)."""
    folded = fold(nfc(text))
    if kind == "date":
        span = parse_vn_date(nfc(text))[1]
        if span:
            return span
        m = re.search(r"\bn\s?g", folded)
        if m:
            return (m.start(), len(text))
        # "Hà Nội, này24 tháng9 …": the place ends at its comma, whatever became of "ngày".
        comma = text.find(",")
        return (comma + 1, len(text)) if 0 <= comma < 40 else (0, len(text))
    m = _LABEL.match(folded)
    return (m.end() if m else 0, len(text))


def decide(kind: Kind, tesseract: str, aster: str, *, tesseract_confidence: float, aster_confidence: float) -> Verdict:
    """Which reading the line keeps. Equal values (folded): agreement; the exact spelling ("QĐ"
    against "QD") from the engine surer of its value. Different values: the one that fits the form;
    both fit: the surer engine's, Tesseract's on a tie (its word boxes are exact); neither fits:
    Tesseract's (garbage for garbage, the page text stays as the first engine read it)."""
    t, a = key_value(kind, tesseract), key_value(kind, aster)
    if t is not None and a is not None and fold(t) == fold(a):
        if t != a and aster_confidence > tesseract_confidence:
            return Verdict("aster", True, a)
        return Verdict("tesseract", True, t)
    if t is not None and a is None:
        return Verdict("tesseract", False, t)
    if a is not None and t is None:
        return Verdict("aster", False, a)
    if a is not None and aster_confidence > tesseract_confidence:
        return Verdict("aster", False, a)
    return Verdict("tesseract", False, t)


def find_key_lines(words: Sequence[Word], width: int, height: int) -> list[KeyLine]:
    """The first number line and the first date line in the upper part of a page's words."""
    found: dict[Kind, KeyLine] = {}
    for line in _lines(words):
        if line[0].bbox[1] > UPPER * height:
            continue
        for part in _columns(line):
            text = " ".join(w.text for w in part)
            left = (part[0].bbox[0] + part[-1].bbox[2]) / 2 < 0.55 * width
            if "number" not in found and left and (_LABEL.match(fold(nfc(text))) or _bare_number_line(part, height)):
                found["number"] = KeyLine("number", part)
            elif "date" not in found and _is_date_line(text):
                found["date"] = KeyLine("date", part)
    return [found[k] for k in ("number", "date") if k in found]


def _is_date_line(text: str) -> bool:
    return bool(_DATE_LINE.search(fold(nfc(text))) or (parse_vn_date(text)[0] and "," in text[:40]))


def _columns(line: tuple[Word, ...]) -> list[tuple[Word, ...]]:
    """Tesseract sometimes runs the left column's number line into the right column's date line:
    split where a date line starts after a gap wider than two word heights."""
    height = _median_height(line)
    for i in range(1, len(line)):
        if line[i].bbox[0] - line[i - 1].bbox[2] > 2 * height and _is_date_line(" ".join(w.text for w in line[i:])):
            return [line[:i], line[i:]]
    return [line]


def _lines(words: Sequence[Word]) -> list[tuple[Word, ...]]:
    out: dict[int, list[Word]] = {}
    for w in words:
        out.setdefault(w.line, []).append(w)
    return [tuple(ws) for _, ws in sorted(out.items())]


def _bare_number_line(words: tuple[Word, ...], height: int) -> bool:
    """A short upper-left line ending in a document symbol ("/BCT-ATMT"): the number line whose
    "Số:" was lost under the handwriting."""
    return len(words) <= 4 and words[0].bbox[1] < 0.25 * height and bool(_SYMBOL.search(words[-1].text))


def _median_height(words: Sequence[Word]) -> float:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    return float(heights[len(heights) // 2]) if heights else 0.0


def crop_box(line: KeyLine, margins: tuple[float, float, float] = CROPS[0]) -> Box:
    """The line's box widened by `margins` (top, bottom, sides) in median word heights; `read_line`
    clips it to the page."""
    top, bottom, side = margins
    h = _median_height(line.words)
    x0, y0, x1, y1 = line.box
    return (round(x0 - side * h), round(y0 - top * h), round(x1 + side * h), round(y1 + bottom * h))


def read_key_line(line: KeyLine, image: np.ndarray | Image.Image, *, model: Path | None = None,
                  file: str = "<page>") -> LineReading:
    """The second recogniser's reading of `line`: the crops of CROPS read in turn, stopping at one
    that gives Tesseract's value (agreement: most printed lines cost one crop); otherwise the value
    given by most crops wins (a reading giving it is returned), and when no crop fits the form the
    first crop's reading is."""
    mine = key_value(line.kind, line.text)
    readings: list[LineReading] = []
    votes: dict[str, list[LineReading]] = {}
    for margins in CROPS:
        reading = read_line(image, crop_box(line, margins), model=model, file=file)
        value = key_value(line.kind, reading.text)
        if value is not None and mine is not None and fold(value) == fold(mine):
            return reading
        readings.append(reading)
        if value is not None:
            votes.setdefault(fold(value), []).append(reading)
    if not votes:
        return readings[0]
    return max(votes.values(), key=len)[0]


def _key_confidence(kind: Kind, words: Sequence[Word]) -> float:
    text, spans = _spans(words)
    k0, k1 = _key_span(kind, text)
    key = [w for w, (s, e) in zip(words, spans, strict=True) if s < k1 and e > k0]
    return min((w.confidence for w in key), default=0.0)


def _spans(words: Sequence[Word]) -> tuple[str, list[tuple[int, int]]]:
    spans, pos = [], 0
    for w in words:
        spans.append((pos, pos + len(w.text)))
        pos += len(w.text) + 1
    return " ".join(w.text for w in words), spans


def unblank(words: Sequence[Word]) -> list[Word]:
    """Words with the printed blank's dot leaders taken out ("ngày....31..." -> "ngày", "31";
    "..3728/QĐ-UBND" -> "3728/QĐ-UBND"): the handwriting sits on the dots and both engines read
    them into the value. A word's pieces get boxes cut in proportion to their characters; a word
    of dots alone is kept."""
    out: list[Word] = []
    for w in words:
        cuts = [0, *(k for m in _LEADERS.finditer(w.text) for k in m.span()), len(w.text)]
        pieces = [(a, b, w.text[a:b]) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if w.text[a:b].strip(".…·_")]
        # "3708" + "/QĐ-UBND": the number and its symbol stay one word, as printed.
        for k in range(len(pieces) - 1, 0, -1):
            if pieces[k][2].startswith("/") or pieces[k - 1][2].endswith("/"):
                pieces[k - 1:k + 1] = [(pieces[k - 1][0], pieces[k][1], pieces[k - 1][2] + pieces[k][2])]
        if not pieces or (len(pieces) == 1 and pieces[0][2] == w.text):
            out.append(w)  # a blank left blank stays a word: the line keeps no gap there
            continue
        n = max(1, len(w.text))
        x0, x1 = w.bbox[0], w.bbox[2]
        # The dots are shared between their neighbours, so the pieces still cover the word's width
        # (a gap there would cut the line in two for the extractor).
        edges = [0.0, *((pieces[k - 1][1] + pieces[k][0]) / 2 for k in range(1, len(pieces))), float(n)]
        for k, (_, _, text) in enumerate(pieces):
            left, right = round(x0 + (x1 - x0) * edges[k] / n), round(x0 + (x1 - x0) * edges[k + 1] / n)
            out.append(replace(w, text=text, bbox=(left, w.bbox[1], max(left + 1, right), w.bbox[3])))
    return out


def reconcile(line: KeyLine, reading: LineReading, day: Word | None = None) -> tuple[Word, ...]:
    """The line's words after the verdict, confidences set by agreement. When the second reading is
    kept, only its value's words replace Tesseract's: the place before "ngày" and the "Số:" label
    stay as Tesseract read them (a one-line recogniser misreads a place's marks, "Lộc" as "Lốc", and
    the place is a field of its own)."""
    tess = unblank(line.words) or list(line.words)
    aster = unblank([replace(w, line=tess[0].line, block=tess[0].block) for w in reading.words])
    # Aster's boxes span the crop's height; the line's own top and bottom are the sensible ones.
    _, y0, _, y1 = line.box
    aster = [replace(w, bbox=(w.bbox[0], y0, w.bbox[2], y1)) for w in aster]
    if not aster:
        return line.words
    tess_text = " ".join(w.text for w in tess)
    verdict = decide(line.kind, tess_text, " ".join(w.text for w in aster),
                     tesseract_confidence=_key_confidence(line.kind, tess),
                     aster_confidence=_key_confidence(line.kind, aster))
    if verdict.source == "aster":
        aster = _spliced(line.kind, tess, aster)
    if day is not None and not verdict.agree:
        # A third reading of the day or number alone (digits only) settles a disagreement it sides
        # with, or gives the value when neither line reading did; the engines still disagree, so it
        # is capped.
        alt = _with_day(tess, day) if line.kind == "date" else _with_number(tess, day)
        d_value = key_value(line.kind, " ".join(w.text for w in alt)) if alt else None
        fits = [ws for ws in (tess, aster) if key_value(line.kind, " ".join(w.text for w in ws)) is not None]
        values = [key_value(line.kind, " ".join(w.text for w in ws)) for ws in fits]
        # With one reading that fits, the digits-only one wins when it found more digits: a digit the
        # line reading lost to the dots ("8" for a drawn "18") is the usual miss, not one made up.
        if alt and d_value is not None and (not fits or d_value in values
                                            or (len(fits) == 1 and len(day.text) > _blank_digits(line.kind, fits[0]))):
            verdict, aster = Verdict("aster", False, d_value), alt
    kept, other = (tess, aster) if verdict.source == "tesseract" else (aster, tess)
    same = _same_words(kept, other)
    text, spans = _spans(kept)
    k0, k1 = _key_span(line.kind, text)
    out = []
    for i, w in enumerate(kept):
        in_key = spans[i][0] < k1 and spans[i][1] > k0
        if verdict.source == "aster":
            # Aster's own probabilities run high; a word keeps Tesseract's confidence where the two
            # read it alike, and is a guess otherwise.
            conf = same[i].confidence if i in same else min(w.confidence, DISAGREE_CAP)
        else:
            conf = w.confidence
        if in_key:
            conf = max(conf, AGREE_FLOOR) if verdict.agree else min(conf, DISAGREE_CAP)
        elif i in same:
            conf = max(conf, AGREE_FLOOR)
        out.append(replace(w, confidence=round(conf, 4)))
    return tuple(out)


def _day_blank(words: Sequence[Word]) -> tuple[int, int] | None:
    """Indexes of "ngày" and of the "tháng" after it in a date line's words, or None."""
    i = next((k for k, w in enumerate(words) if fold(nfc(w.text)).startswith(("ngay", "ngy"))), None)
    if i is None:
        return None
    j = next((k for k in range(i + 1, len(words)) if fold(nfc(words[k].text)).startswith(("thang", "thng"))), None)
    return (i, j) if j is not None and j - i <= 4 else None


def read_day(line: KeyLine, image: np.ndarray | Image.Image, *, model: Path | None = None,
             file: str = "<page>") -> Word | None:
    """The day written between "ngày" and "tháng", read as digits only, as one word (its box the
    blank's); None when the line has no such blank or no one- or two-digit day reads there.
    Handwriting rises above the printed line, so the crop reaches 0.2 word heights above and below."""
    words = unblank(line.words)
    found = _day_blank(words)
    if found is None:
        return None
    i, j = found
    h = _median_height(line.words)
    _, y0, _, y1 = line.box
    box = (words[i].bbox[2], round(y0 - 0.2 * h), words[j].bbox[0], round(y1 + 0.2 * h))
    if box[2] - box[0] < 0.5 * h:
        return None
    digits, prob = read_digits(image, box, model=model, file=file)
    if not 1 <= len(digits) <= 2:
        return None
    return replace(words[i], text=digits, confidence=min(prob, DISAGREE_CAP), bbox=(box[0], y0, box[2], y1))


def _number_blank(words: Sequence[Word]) -> tuple[int, int, Box] | None:
    """The label word's index, the symbol word's index and the box between the label and the
    symbol's "/" of a number line ("Số:" … "/QĐ-UBND"), or None."""
    if not words or not re.fullmatch(r"(?:s\s?[o0ô6óơ]|s6)[:;.,]*", fold(nfc(words[0].text))):
        return None
    j = next((k for k in range(1, len(words)) if "/" in words[k].text), None)
    if j is None or j > 3:
        return None
    w = words[j]
    # The printed symbol's width from its letters (about 0.7 of the printed label's height each, one
    # more for the "/"): Tesseract's box for the word spans the handwriting too.
    m = re.search(r"/[^\W\d_][\w-]*$", w.text)
    if m is None:
        return None
    x = w.bbox[0] if m.start() == 0 else round(w.bbox[2] - 0.7 * (words[0].bbox[3] - words[0].bbox[1]) * (len(m.group()) + 1))
    return 0, j, (words[0].bbox[2], w.bbox[1], max(words[0].bbox[2], x), w.bbox[3])


def read_number_digits(line: KeyLine, image: np.ndarray | Image.Image, *, model: Path | None = None,
                       file: str = "<page>") -> Word | None:
    """The number written between "Số:" and the symbol's "/", read as digits only (as `read_day`)."""
    words = unblank(line.words)
    found = _number_blank(words)
    if found is None:
        return None
    h = _median_height(line.words)
    _, y0, _, y1 = line.box
    x0, _, x1, _ = found[2]
    if x1 - x0 < 0.5 * h:
        return None
    digits, prob = read_digits(image, (x0, round(y0 - 0.2 * h), x1, round(y1 + 0.2 * h)), model=model, file=file)
    if not 1 <= len(digits) <= 6:
        return None
    return replace(words[0], text=digits, confidence=min(prob, DISAGREE_CAP), bbox=(x0, y0, x1, y1))


def _blank_digits(kind: Kind, words: list[Word]) -> int:
    """How many digits a reading has in the day's or the number's blank."""
    if kind == "date":
        found = _day_blank(words)
        return sum(c.isdigit() for w in words[found[0] + 1:found[1]] for c in w.text) if found else 0
    text = " ".join(w.text for w in words)
    m = _LABEL.match(fold(nfc(text)))
    rest = text[m.end():] if m else text
    return sum(c.isdigit() for c in rest.split("/")[0])


def _with_number(tess: list[Word], number: Word) -> list[Word] | None:
    """Tesseract's number-line words with the number before the symbol's "/" replaced by `number`."""
    found = _number_blank(tess)
    if found is None:
        return None
    _, j, _ = found
    w = tess[j]
    m = re.search(r"/[^\W\d_][\w-]*$", w.text)
    if m is None:
        return None
    merged = replace(w, text=number.text + m.group(), confidence=number.confidence,
                     bbox=(number.bbox[0], w.bbox[1], w.bbox[2], w.bbox[3]))
    return [tess[0], merged, *tess[j + 1:]]


def _with_day(tess: list[Word], day: Word) -> list[Word] | None:
    """Tesseract's date-line words with whatever stood between "ngày" and "tháng" replaced by `day`."""
    found = _day_blank(tess)
    if found is None:
        return None
    i, j = found
    return tess[:i + 1] + [day] + tess[j:]


def _key_indexes(kind: Kind, words: Sequence[Word]) -> list[int]:
    text, spans = _spans(words)
    k0, k1 = _key_span(kind, text)
    return [i for i, (s, e) in enumerate(spans) if s < k1 and e > k0]


def _spliced(kind: Kind, tess: list[Word], aster: list[Word]) -> list[Word]:
    """Tesseract's words before and after its value, the second reading's value words between."""
    t_key, a_key = _key_indexes(kind, tess), _key_indexes(kind, aster)
    if not t_key or not a_key:
        return aster
    return tess[:t_key[0]] + aster[a_key[0]:a_key[-1] + 1] + tess[t_key[-1] + 1:]


def _same_words(kept: list[Word], other: list[Word]) -> dict[int, Word]:
    """Index in `kept` -> the word of `other` read alike (folded), aligned in order."""
    a, b = [fold(nfc(w.text)) for w in kept], [fold(nfc(w.text)) for w in other]
    out: dict[int, Word] = {}
    for block in SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            out[block.a + k] = other[block.b + k]
    return out


def reread_words(words: Sequence[Word], image: np.ndarray | Image.Image, width: int, height: int, *,
                 model: Path | None = None, file: str = "<page>") -> list[Word]:
    """A page's words with its number and date lines read again by the second recogniser and
    reconciled (other words untouched, in their order)."""
    out = list(words)
    for line in find_key_lines(words, width, height):
        reading = read_key_line(line, image, model=model, file=file)
        day = (read_day if line.kind == "date" else read_number_digits)(line, image, model=model, file=file)
        new = reconcile(line, reading, day)
        ids = {id(w) for w in line.words}
        at = next(i for i, w in enumerate(out) if id(w) in ids)
        out = out[:at] + list(new) + [w for w in out[at:] if id(w) not in ids]
    return out


def reread_key_lines(page: PageText, image: np.ndarray | Image.Image, *, model: Path | None = None,
                     file: str = "<page>") -> PageText:
    """`page` with its number and date lines read again and reconciled (`reread_words`)."""
    words = reread_words(page.words, image, page.width, page.height, model=model, file=file)
    if words == list(page.words):
        return page
    return replace(page, words=tuple(words), text=text_of(words),
                   mean_confidence=round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0)


def text_of(words: Sequence[Word]) -> str:
    """Page text: the words' lines in order, as the Tesseract engine joins them."""
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
