"""Field extraction on the Decree 30/2020 layout, from word boxes (method b of Decree 45 Art. 25.2).

Lines are cut where words are far apart (two header columns, tab stops), then located by position:
header left column = issuing body and number, right column = motto and place/date, centred
upper-case line = title, bottom-right block = signer. Labelled fields ("Họ và tên:", "Số CCCD:")
are matched on diacritic-folded text; values keep the printed diacritics.

A value is never more certain than the words it was read from: confidence = word confidences
(mean, capped at min + 0.15), capped at 0.5 when any word is below 0.6 (handwriting, overwriting),
and at 0.3 when the value fails its format check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from statistics import median
from typing import Any

from ocr._lexicon import SIGNER_TITLES, normalise_upper, surname_fixed
from ocr._text import (
    clean_document_number,
    clean_id_number,
    fold,
    has_foreign_letter,
    is_document_number,
    is_id_number,
    is_upper_text,
    nfc,
    parse_dmy,
    parse_vn_date,
)
from ocr.correct import CORRECTED_INVALID_CAP
from ocr.model import Box, OcrResult, PageText, Word
from roadmap.units import is_place_name, place_names_by_fold
from schemas.document_types import COMMON_FIELDS, DOCUMENT_TYPES, get_document_type

CONTRACT_FIELDS = ("document_number", "issue_date", "issuing_authority", "signer_name", "title",
                   "holder_name", "holder_id_number", "holder_birth_date")
LOW_WORD_CONFIDENCE = 0.6
FORMAT_FAIL_CAP = 0.3
LOW_WORD_CAP = 0.5
# A value that looks hand-written into a printed blank (number, day) goes to a person.
HANDWRITTEN_CAP = 0.5
FILLED_IN_CONFIDENCE = 0.8
_DATE_TAIL = re.compile(r"ngay\b.*thang\s*[0-9oil|]{1,2}\s*[,.]?\s*nam\s*[0-9]{4}")


@dataclass(frozen=True)
class ExtractedField:
    value: str | None
    confidence: float  # 0..1
    page: int | None
    bbox: Box | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "confidence": round(self.confidence, 3), "page": self.page,
                "bbox": list(self.bbox) if self.bbox else None}


ABSENT = ExtractedField(None, 0.0, None, None)


@dataclass(frozen=True)
class Extraction:
    document_type: str
    pages: int
    fields: dict[str, ExtractedField]

    def to_dict(self) -> dict[str, Any]:
        return {"document_type": self.document_type, "pages": self.pages,
                "fields": {name: f.to_dict() for name, f in self.fields.items()}}


# ---------------------------------------------------------------- segments: pieces of lines


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
        return _union(w.bbox for w in self.words)

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


def _union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def _segment(words: list[Word], page: PageText) -> Segment:
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
                out.append(_segment(cur, page))
                cur = []
            cur.append(w)
        out.append(_segment(cur, page))
    return out


# ---------------------------------------------------------------- confidence


def _confidence(words: list[Word], format_ok: bool = True) -> float:
    if not words:
        return 0.0
    confs = [w.confidence for w in words]
    c = min(sum(confs) / len(confs), min(confs) + 0.15)
    if min(confs) < LOW_WORD_CONFIDENCE:
        c = min(c, LOW_WORD_CAP)
    if not format_ok:
        c = min(c, FORMAT_FAIL_CAP)
    return round(max(0.0, min(1.0, c)), 3)


def _field(value: str | None, words: list[Word], page: int | None, format_ok: bool = True) -> ExtractedField:
    if not value:
        return ABSENT
    box = _union(w.bbox for w in words) if words else None
    confidence = _confidence(words, format_ok) if words else (0.3 if format_ok else 0.1)
    if has_foreign_letter(value):
        confidence = min(confidence, LOW_WORD_CAP)
    return ExtractedField(value, confidence, page, box)


def _clean_value(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .,;:-–—_|'\"")


# ---------------------------------------------------------------- layout fields


_UNDERLINE = re.compile(r"^[\s\-_—–=~.,·'`\"|]+$")
# "Số:" with OCR slack; either a colon or a digit must follow (a handwritten number may be garbage).
_SO = re.compile(r"^\s*(?:s\s?[o0ô6óơ]|so|s6)\s*(?:[:;]\s*|[.,]?\s*(?=\d|[o0il]\d))")
_SIGNER_HINT = re.compile(r"\b(tm|kt|tl|tuq|q)\s?[.,]|chu tich|giam doc|truong|pho|thu truong|bo truong|"
                          r"chanh van phong|cuc truong|vu truong|tong giam doc|hieu truong")


def _header_parts(segs: list[Segment]) -> tuple[list[Segment], Segment | None, Segment | None]:
    """Left-column header lines above the number, the 'Số:' segment and the place/date segment (page 1)."""
    first = [s for s in segs if s.page == segs[0].page] if segs else []
    if not first:
        return [], None, None
    w, h = first[0].width, first[0].height
    number = next((s for s in first if s.top < 0.4 * h and s.xc < 0.55 * w and _SO.match(s.folded)), None)
    dated = next((s for s in first if s.top < 0.4 * h and parse_vn_date(s.text)[0]), None)
    if dated is None:  # a date line whose day did not read: kept so the reviewer is pointed at it
        dated = next((s for s in first if s.top < 0.4 * h and _DATE_TAIL.search(s.folded)), None)
    limit = number.top if number else (dated.top if dated else 0.3 * h)
    left = [s for s in first if s.bottom <= limit + 0.3 * s.line_height and s.xc < 0.5 * w and s.top < 0.3 * h
            and not _UNDERLINE.match(s.text) and sum(c.isalpha() for c in s.text) >= 2]
    # Drop stray marks: a header line is upper case (a few lower-case OCR slips allowed).
    left = [s for s in left if is_upper_text(s.text, 0.7)]
    left.sort(key=lambda s: s.top)
    return left, number, dated


def _issuing_authority(left: list[Segment], place: str | None) -> ExtractedField:
    if not left:
        return ABSENT
    words: list[Word] = []
    parts = []
    for s in left:
        # Underline artefacts OCR'd as dashes at the end of a line.
        ws = [w for w in s.words if not _UNDERLINE.match(w.text)]
        words += ws
        parts.append(" ".join(nfc(w.text) for w in ws))
    extra = (place.upper(),) if place and len(place) > 2 else ()
    value = normalise_upper(_clean_value(" ".join(parts)).strip("_"), extra)
    # Each printed line ends a unit's name ("HUYỆN DIỄN KHÁNH" / "PHÒNG …"): repaired line by line.
    fixed = normalise_upper(_clean_value(" ".join(place_names_fixed(p).upper() for p in parts)).strip("_"), extra)
    field = _field(fixed, words, left[0].page, format_ok=is_upper_text(value, 0.85))
    if fixed != value:  # the unit's name put back from the catalogue: a repair, not a reading
        field = replace(field, confidence=min(field.confidence, CORRECTED_INVALID_CAP))
    if value and _SUBORDINATE.match(fold(value)):
        # Decree 30 prints a subordinate body under its superior ("UBND HUYỆN …" above "PHÒNG TÀI
        # CHÍNH - KẾ HOẠCH"): without that line the header was misread, however sure the words are.
        field = replace(field, confidence=min(field.confidence, LOW_WORD_CAP))
    return field


# Bodies that never issue under their own name alone: a department, office or sub-department.
_SUBORDINATE = re.compile(r"^(phong|so|chi cuc|van phong|ban|trung tam|cuc)\b")


def _filled_in(value_words: list[Word], printed: list[Word]) -> bool:
    """Does this look written by hand into a printed blank? Printed text around it gives the scale:
    a fill-in stands apart (a gap of the blank's width before or after it), is not the printed
    height, or is read with low confidence -- handwriting is all three more often than not."""
    if not value_words:
        return False
    ref = [w for w in printed if w not in value_words]
    if not ref:
        return min(w.confidence for w in value_words) < FILLED_IN_CONFIDENCE
    h = median(w.bbox[3] - w.bbox[1] for w in ref)
    vh = max(w.bbox[3] - w.bbox[1] for w in value_words)
    if not 0.7 * h <= vh <= 1.35 * h:
        return True
    if min(w.confidence for w in value_words) < FILLED_IN_CONFIDENCE:
        return True
    x0, x1 = min(w.bbox[0] for w in value_words), max(w.bbox[2] for w in value_words)
    gaps = [x0 - w.bbox[2] for w in ref if w.bbox[2] <= x0] + [w.bbox[0] - x1 for w in ref if w.bbox[0] >= x1]
    near = sorted(g for g in gaps if g >= 0)[:2]
    return any(g > 1.2 * h for g in near)


def _handwritten(field: ExtractedField, value_words: list[Word], printed: list[Word]) -> ExtractedField:
    if field.value is None or not _filled_in(value_words, printed):
        return field
    return ExtractedField(field.value, min(field.confidence, HANDWRITTEN_CAP), field.page, field.bbox)


def _document_number(seg: Segment | None) -> ExtractedField:
    if seg is None:
        return ABSENT
    m = _SO.match(seg.folded)
    assert m
    rest = seg.text[m.end():]
    value = clean_document_number(rest)
    # Words that make up the value: from the label's end, as many as the cleaned value spans.
    words = seg.words_in(m.end(), m.end() + len(rest.split()[0]) if rest.split() else m.end())
    tail = seg.words_in(m.end(), len(seg.text))
    if len(rest.split()) > 1 and not is_document_number(value):
        joined = clean_document_number(re.sub(r"\s+", "", rest))
        if is_document_number(joined):
            value, words = joined, tail
    field = _field(value, words or tail, seg.page, format_ok=is_document_number(value))
    # The number proper (before the first "/") is what a clerk writes into "Số: ..../QĐ-UBND".
    digits = [w for w in (words or tail) if re.match(r"^[^/]*\d", w.text) and not w.text.startswith("/")][:1]
    return _handwritten(field, digits, list(seg.words))


def _place_and_date(seg: Segment | None) -> tuple[ExtractedField, ExtractedField]:
    if seg is None:
        return ABSENT, ABSENT
    iso, span = parse_vn_date(seg.text)
    if span is None:
        # "ngày …… tháng 5 năm 2019" with an unreadable day: no value, but the place to look at.
        m = re.search(r"\bngay\b", seg.folded)
        span = (m.start(), m.start()) if m else (0, 0)
    before = seg.text[: span[0]]
    place = _clean_value(before.split(",")[0]) if "," in before else _clean_value(before)
    place_words = seg.words_in(0, len(place)) if place else []
    place_field = _field(place, place_words, seg.page, format_ok=bool(re.search(r"[A-Za-zÀ-ỹ]{2}", place or "")))
    known = place_names_by_fold().get(fold(place)) if place and not is_place_name(place) else None
    if known and len(known) == 1:
        # Only the marks were misread ("Diễn Khánh"): the one unit with these letters, as a repair.
        place_field = replace(place_field, value=known[0], confidence=min(place_field.confidence, CORRECTED_INVALID_CAP))
    elif place and not is_place_name(place):
        # Not a province, district or commune of the catalogues ("Nữnh Hòa" read at 0.92 for "Ninh Hòa"):
        # however sure Tesseract was of the glyphs, the value is a guess until a person looks.
        place_field = replace(place_field, confidence=min(place_field.confidence, LOW_WORD_CAP))
    if iso is None:
        return place_field, ExtractedField(None, 0.0, seg.page, seg.box)
    date_words = seg.words_in(*span)
    # The day (and often the month) is the clerk's fill-in: the word after "ngày".
    day = [w for i, w in enumerate(date_words[1:], 1) if fold(date_words[i - 1].text).startswith("ng")][:1]
    return place_field, _handwritten(_field(iso, date_words, seg.page), day, list(seg.words))


def _is_centred(s: Segment) -> bool:
    return abs(s.xc - s.width / 2) < 0.12 * s.width


def _title(segs: list[Segment], after: int, keywords: list[str]) -> tuple[ExtractedField, Segment | None]:
    first_page = segs[0].page if segs else 1
    cands = [s for s in segs if s.page == first_page and s.top > after and s.top < 0.6 * s.height]
    for i, s in enumerate(cands):
        if not (_is_centred(s) and is_upper_text(s.text) and len(s.text) >= 5):
            continue
        if re.match(r"^(uy ban|ubnd|cong hoa|doc lap)", s.folded):
            continue  # issuing body repeated in the preamble, or the motto
        parts, words = [s], list(s.words)
        if not any(k in s.folded for k in keywords) and i + 1 < len(cands):
            nxt = cands[i + 1]
            if (_is_centred(nxt) and is_upper_text(nxt.text) and nxt.top - s.bottom < 0.8 * s.line_height
                    and not nxt.folded.startswith("ve viec")):
                parts.append(nxt)
                words += nxt.words
        value = normalise_upper(_clean_value(" ".join(p.text for p in parts)).rstrip(":"))
        return _field(value, words, s.page, format_ok=is_upper_text(value)), parts[-1]
    return ABSENT, None


def _summary(segs: list[Segment], title: Segment | None) -> ExtractedField:
    if title is None:
        return ABSENT
    after = [s for s in segs if s.page == title.page and s.top > title.top][:3]
    for i, s in enumerate(after):
        m = re.search(r"v[eêề]\s?vi[eêệ]c", s.folded)
        if m and m.start() <= 3:
            parts, words = [s], list(s.words)
            for nxt in after[i + 1:]:
                if (_is_centred(nxt) and not is_upper_text(nxt.text) and nxt.top - parts[-1].bottom < 0.8 * s.line_height):
                    parts.append(nxt)
                    words += nxt.words
                else:
                    break
            text = " ".join(p.text for p in parts)
            return _field(_clean_value(text[m.start():]), words, s.page)
    return ABSENT


_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$|^[A-ZĐÀ-Ỹ]+$")


def _looks_like_name(text: str) -> bool:
    ws = text.split()
    return 2 <= len(ws) <= 6 and all(_NAME_WORD.match(nfc(w)) for w in ws)


def _is_text(s: Segment) -> bool:
    """Not a speck, a dash run or seal/signature debris."""
    letters = sum(c.isalpha() for c in s.text)
    return letters >= 2 and max(w.confidence for w in s.words) >= 0.3


def _signer(segs: list[Segment]) -> tuple[ExtractedField, ExtractedField]:
    """The bottom-right block of the last page that has one: authority/title lines, then the name."""
    for page in sorted({s.page for s in segs}, reverse=True):
        right = [s for s in segs if s.page == page and s.xc > 0.5 * s.width and _is_text(s)]
        right.sort(key=lambda s: s.top)
        start = None
        for i, s in enumerate(right):
            if is_upper_text(s.text) and _SIGNER_HINT.search(s.folded) and s.top > 0.15 * s.height:
                start = i
                break
        if start is None:
            continue
        titles = [right[start]]
        j = start + 1
        while j < len(right) and is_upper_text(right[j].text) and right[j].top - titles[-1].bottom < 1.5 * titles[-1].line_height:
            titles.append(right[j])
            j += 1
        known = [t for t in titles if any(fold(k) in t.folded for k in SIGNER_TITLES)]
        last = known[-1] if known else titles[-1]
        title_text = re.sub(r"^(tm|kt|tl|tuq|q)\s?[.,]\s*", "", last.folded)
        offset = len(last.folded) - len(title_text)
        signer_title = _field(normalise_upper(_clean_value(last.text[offset:])), last.words_in(offset, len(last.text)),
                              page, format_ok=bool(known))
        # The name: the last name-like line below, within a third of the page (signature and seal between).
        below = [s for s in right[j:] if s.top - last.bottom < 0.33 * s.height]
        names = [s for s in below if _looks_like_name(_clean_value(s.text))]
        if names:
            n = names[0] if len(names) == 1 else names[-1] if not any(_looks_like_name(x.text) for x in names[:-1]) else names[0]
            # A seal's lettering can OCR as an upper-case "name"; prefer a mixed-case line.
            mixed = [s for s in names if not is_upper_text(s.text)]
            n = mixed[-1] if mixed else n
            name = _clean_value(n.text)
            return signer_title, _name_field(_field(name, list(n.words), page))
        return signer_title, ABSENT
    return ABSENT, ABSENT


# ---------------------------------------------------------------- labelled fields

# (folded regex of the label, may appear mid-line). Order = preference.
_LABELS: dict[str, list[tuple[str, bool]]] = {
    "holder_name": [(r"ho,? ?chu dem,? ?(va )?ten", False), (r"ho va ten", False), (r"ho ten", False),
                    (r"ong ?/ ?ba", False), (r"ong \(ba\)", False), (r"ten chu ho", False), (r"cap cho", False),
                    (r"chu dau tu", False)],
    "holder_birth_date": [(r"ngay,? ?thang,? ?nam sinh", False), (r"ngay sinh", True), (r"sinh ngay", True),
                          (r"nam sinh", True)],
    "holder_id_number": [(r"so (cccd|cmnd|cmnd ?/ ?cccd|cccd ?/ ?cmnd)", True),
                         (r"so dinh danh (ca nhan)?", True), (r"can cuoc cong dan so", True),
                         (r"chung minh nhan dan so", True), (r"so giay to phap ly( cua ca nhan)?", True),
                         (r"so can cuoc( cong dan)?", True), (r"\b(cccd|cmnd) so", True), (r"\b(cccd|cmnd)", True)],
    "holder_address": [(r"noi cu tru", True), (r"noi dang ky (ho khau )?thuong tru", True),
                       (r"(ho khau )?thuong tru", True), (r"dia chi( thuong tru| lien he)?", False),
                       (r"cho o hien (tai|nay)", True)],
    "registration_number": [(r"ma so ho kinh doanh", True), (r"so dang ky( ho kinh doanh)?", True),
                            (r"ma so doanh nghiep", True), (r"so giay chung nhan", True)],
    "business_name": [(r"ten ho kinh doanh", True), (r"ten (doanh nghiep|co so)", True)],
    "business_address": [(r"dia (diem|chi) kinh doanh", True), (r"dia chi tru so", True)],
    "marital_status": [(r"tinh trang hon nhan", True)],
    "construction_site": [(r"vi tri xay dung", True), (r"dia diem xay dung", True)],
    "total_floor_area": [(r"tong dien tich san", True)],
    "storeys": [(r"so tang", True)],
    "birth_place": [(r"noi sinh", False)],
    "mother_name": [(r"ho,? ?chu dem,? ?(va )?ten (cua )?(nguoi )?me", False), (r"ho (va )?ten (nguoi )?me", False)],
    "father_name": [(r"ho,? ?chu dem,? ?(va )?ten (cua )?(nguoi )?cha", False), (r"ho (va )?ten (nguoi )?cha", False)],
}
_MULTILINE = {"holder_address", "business_address", "marital_status", "business_name", "construction_site",
              "birth_place"}
_BULLET = r"^\s*(?:[-–—•+*]\s*|\d{1,2}\s?[.)]\s*|[a-zđ]\)\s*)?"


def _find_label(seg: Segment, pattern: str, anywhere: bool) -> int | None:
    """End of the label in `seg.text` (after its colon), or None. Mid-line labels need a colon."""
    colon = r"\s*[:;.]"
    m = re.match(_BULLET + "(?:" + pattern + ")" + r"(\s*[:;.])?", seg.folded)
    if m:
        return m.end()
    if anywhere:
        for m2 in re.finditer(r"\b(?:" + pattern + ")(" + colon + r"|\s)", seg.folded):
            return m2.end()
    else:
        for m2 in re.finditer(r"\b(?:" + pattern + ")" + colon, seg.folded):
            return m2.end()
    return None


_NEXT_LABEL = re.compile(r"[;]|\s[a-zđ ,]{2,30}:\s|\s(gioi tinh|dan toc|quoc tich|cap ngay|ngay cap|noi cap)\b")


def _continues(prev: Segment, nxt: Segment, left_margin: float, page_segs: list[Segment]) -> bool:
    """A wrapped value goes on at the left margin, right below, and does not start a new label."""
    if nxt.page != prev.page or nxt.top - prev.bottom > 1.2 * prev.line_height or nxt.top < prev.top:
        return False
    # The margin near the line: a page scanned 2.5° askew has its margin drift ~80 px from top to
    # bottom (boxes are in scan pixels), more than the indent that tells a new paragraph.
    near = [x.box[0] for x in page_segs if abs(x.top - nxt.top) < 6 * nxt.line_height]
    left_margin = max(left_margin, min(near, default=left_margin))
    if nxt.box[0] > left_margin + 0.03 * nxt.width:  # an indented line starts a new paragraph
        return False
    if re.match(_BULLET + r"[a-zđ ,]{2,40}:", nxt.folded) or re.match(r"^\s*([-–•+]|\d{1,2}\s?[.)]|dieu \d)", nxt.folded):
        return False
    # A wrapped line ran to the right margin; a short line ended its paragraph.
    long_rights = sorted(x.box[2] for x in page_segs if x.box[2] - x.box[0] > 0.6 * x.width)
    right = long_rights[len(long_rights) // 2] if long_rights else max(x.box[2] for x in page_segs)
    if prev.box[2] < right - 0.12 * prev.width:
        return False
    return not prev.text.rstrip().endswith((".", ";"))


def _labelled(segs: list[Segment], name: str) -> tuple[Segment, int, list[Segment]] | None:
    for pattern, anywhere in _LABELS[name]:
        for i, s in enumerate(segs):
            end = _find_label(s, pattern, anywhere)
            if end is None:
                continue
            # marital status: the title also says "tình trạng hôn nhân"; the field has a colon.
            if name == "marital_status" and ":" not in s.text[end - 2:end + 1]:
                continue
            rest = s.text[end:].strip()
            follow: list[Segment] = []
            if not rest and i + 1 < len(segs) and segs[i + 1].page == s.page:
                follow.append(segs[i + 1])  # label alone on its line: the value is below
            elif name in _MULTILINE:
                page_segs = [x for x in segs if x.page == s.page]
                margin = min(x.box[0] for x in page_segs)
                prev = s
                for nxt in segs[i + 1:i + 4]:
                    if not _continues(prev, nxt, margin, page_segs):
                        break
                    follow.append(nxt)
                    prev = nxt
            return s, end, follow
    return None


def _value_text(seg: Segment, end: int, follow: list[Segment]) -> tuple[str, list[Word]]:
    text = seg.text[end:]
    words = seg.words_in(end, len(seg.text))
    for f in follow:
        text += " " + f.text
        words += list(f.words)
    return text, words


def _labelled_text(segs: list[Segment], name: str, stop: re.Pattern[str] | None = None,
                   check: Callable[[str], bool] | None = None) -> ExtractedField:
    found = _labelled(segs, name)
    if not found:
        return ABSENT
    seg, end, follow = found
    text, words = _value_text(seg, end, follow)
    if stop is not None:
        m = stop.search(fold(text))
        if m:
            text = text[: m.start()]
            # Keep only the words inside the cut value.
            keep = len(seg.text) - end
            if m.start() <= keep:
                words = seg.words_in(end, end + m.start())
    value = _clean_value(text)
    return _field(value, words, seg.page, format_ok=check(value) if check and value else True)


_UNIT_IN_ADDRESS = re.compile(r"\b((?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh|đặc khu)\s+)([^,;]+)",
                              re.IGNORECASE)


def place_names_fixed(text: str) -> str:
    """Unit names after their kind ("xã Diễn Khánh") put back in catalogue form when the name as read
    is no unit and exactly one unit's name differs from it only in diacritics ("Diên Khánh")."""
    def fix(m: re.Match[str]) -> str:
        name = m.group(2).strip()
        if is_place_name(name):
            return m.group(0)
        known = place_names_by_fold().get(fold(name))
        return m.group(1) + known[0] + m.group(2)[len(m.group(2).rstrip()):] if known and len(known) == 1 else m.group(0)
    return _UNIT_IN_ADDRESS.sub(fix, text)


def _repaired(field: ExtractedField, fix: Callable[[str], str]) -> ExtractedField:
    """The field with `fix` applied to its value; a changed value is never more than
    CORRECTED_INVALID_CAP certain (it is our reading, not the engine's)."""
    if not field.value:
        return field
    fixed = fix(field.value)
    if fixed == field.value:
        return field
    return ExtractedField(fixed, min(field.confidence, CORRECTED_INVALID_CAP), field.page, field.bbox)


def _address_field(field: ExtractedField) -> ExtractedField:
    """Unit names in an address put back in catalogue form (see place_names_fixed)."""
    return _repaired(field, place_names_fixed)


def _name_field(field: ExtractedField) -> ExtractedField:
    """A person's name with its family name restored."""
    return _repaired(field, surname_fixed)


def _holder_name(segs: list[Segment]) -> ExtractedField:
    return _name_field(_labelled_text(segs, "holder_name", stop=re.compile(r"[;:,]|\s(gioi tinh|sinh ngay|nam sinh)\b"),
                                      check=_looks_like_name))


def _parent_name(segs: list[Segment], name: str) -> ExtractedField:
    return _name_field(_labelled_text(segs, name, stop=re.compile(r"[;:,]|\s(nam sinh|dan toc|quoc tich)\b"),
                                      check=_looks_like_name))


def _holder_birth_date(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "holder_birth_date")
    if not found:
        return ABSENT
    seg, end, follow = found
    text, _ = _value_text(seg, end, follow)
    iso, span = parse_dmy(text[:40])
    if iso and span:
        # span is relative to the value text; words on the label's line only (dates do not wrap).
        return _field(iso, seg.words_in(end + span[0], end + span[1]) or seg.words_in(end, len(seg.text)), seg.page)
    raw = _clean_value(text[:20])
    return _field(raw or None, seg.words_in(end, len(seg.text))[:2], seg.page, format_ok=False)


def _holder_id(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "holder_id_number")
    if not found:
        return ABSENT
    seg, end, follow = found
    rest = seg.text[end:]
    digits = clean_id_number(rest)
    if not digits:
        return ABSENT if not rest.strip() else _field(_clean_value(rest)[:20] or None, seg.words_in(end, end + 14), seg.page,
                                                      format_ok=False)
    lead = len(rest) - len(rest.lstrip())
    words = seg.words_in(end + lead, end + lead + len(digits) + rest.count(" ", lead, lead + len(digits) + 4))
    return _field(digits, words, seg.page, format_ok=is_id_number(digits))


def _registration(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "registration_number")
    if not found:
        return ABSENT
    seg, end, _ = found
    rest = seg.text[end:].strip()
    token = re.sub(r"[.,;:]+$", "", rest.split()[0]) if rest.split() else ""
    words = seg.words_in(end, len(seg.text))[:1]
    return _field(token or None, words, seg.page, format_ok=bool(re.fullmatch(r"[0-9A-Z]{6,15}", token)))


# ---------------------------------------------------------------- document type


def detect_type(ocr: OcrResult, title: str | None) -> str | None:
    """The type whose title keyword best matches the title (else the top of page 1)."""
    haystacks = [fold(title)] if title else []
    if ocr.pages:
        p = ocr.pages[0]
        top = [w for w in p.words if w.bbox[1] < 0.5 * p.height]
        haystacks.append(fold(" ".join(nfc(w.text) for w in top)))
    for hay in haystacks:
        best: tuple[int, str] | None = None
        for code, t in DOCUMENT_TYPES.items():
            for k in t.title_keywords:
                fk = fold(k)
                if fk in hay and (best is None or len(fk) > best[0]):
                    best = (len(fk), code)
        if best:
            return best[1]
    return None


# ---------------------------------------------------------------- front door


def extract_fields(ocr: OcrResult, document_type: str = "auto") -> Extraction:
    """Every field of the document type (plus the 8 contract fields), absent ones as null/0.0."""
    segs = [s for p in ocr.pages for s in segments(p) if s.text.strip()]
    found: dict[str, ExtractedField] = {}
    left, number_seg, date_seg = _header_parts(segs)
    found["document_number"] = _document_number(number_seg)
    found["issue_place"], found["issue_date"] = _place_and_date(date_seg)
    found["issuing_authority"] = _issuing_authority(left, found["issue_place"].value)
    header_bottom = max((s.bottom for s in (number_seg, date_seg) if s is not None), default=0)
    keywords = [fold(k) for t in DOCUMENT_TYPES.values() for k in t.title_keywords]
    found["title"], title_seg = _title(segs, header_bottom, keywords)
    found["summary"] = _summary(segs, title_seg)
    found["signer_title"], found["signer_name"] = _signer(segs)
    # Labelled fields are looked for in the body only: below the title, above the signature.
    body = [s for s in segs if title_seg is None or s.page > title_seg.page or s.top > title_seg.bottom]
    found["holder_name"] = _holder_name(body)
    found["holder_birth_date"] = _holder_birth_date(body)
    found["holder_id_number"] = _holder_id(body)
    found["holder_address"] = _address_field(_labelled_text(body, "holder_address"))
    found["registration_number"] = _registration(body)
    found["business_name"] = _labelled_text(body, "business_name")
    found["business_address"] = _address_field(_labelled_text(body, "business_address"))
    found["marital_status"] = _labelled_text(body, "marital_status")
    found["construction_site"] = _address_field(_labelled_text(body, "construction_site"))
    found["total_floor_area"] = _labelled_text(body, "total_floor_area", stop=re.compile(r"[;(]"),
                                               check=lambda v: bool(re.fullmatch(r"[\d.,]+ ?m2", v)))
    found["storeys"] = _labelled_text(body, "storeys", stop=re.compile(r"[;,(]"), check=str.isdigit)
    found["birth_place"] = _address_field(_labelled_text(body, "birth_place"))
    found["mother_name"] = _parent_name(body, "mother_name")
    found["father_name"] = _parent_name(body, "father_name")

    if document_type == "auto":
        code = detect_type(ocr, found["title"].value) or "unknown"
    else:
        code = get_document_type(document_type).code  # KeyError names the known types
    if code in DOCUMENT_TYPES:
        names = list(get_document_type(code).field_names)
    else:
        names = [f.name for f in COMMON_FIELDS]
    names += [n for n in CONTRACT_FIELDS if n not in names]
    return Extraction(document_type=code, pages=len(ocr.pages), fields={n: found.get(n, ABSENT) for n in names})
