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
from dataclasses import replace
from datetime import date
from functools import lru_cache
from statistics import median

from core.identifiers import is_document_number
from core.text import fold, nfc
from core.units import is_place_name, place_names_by_fold
from ocr._lexicon import SIGNER_TITLES, normalise_upper
from ocr._text import (
    clean_document_number,
    edit_distance,
    is_upper_text,
    parse_dmy,
    parse_vn_date,
)
from ocr.correct import CORRECTED_INVALID_CAP, CORRECTED_VALID_CAP, is_syllable
from ocr.fields import (
    ABSENT,
    FILLED_IN_CONFIDENCE,
    HANDWRITTEN_CAP,
    LONG_TEXT_CAP,
    LONG_TEXT_WORDS,
    LOW_WORD_CAP,
    PLAUSIBILITY_CAP,
    ExtractedField,
    Extraction,
    field_from_words,
    fixed_field,
    with_checks,
    words_confidence,
)
from ocr.labelled import (
    labelled_text,
    name_field,
    read_holder_birth_date,
    read_holder_id,
    read_holder_name,
    read_registration,
)
from ocr.labels import MOTTO, NUMBER_LABEL, RECIPIENT_LABELS
from ocr.model import OcrResult, PageText, Word
from ocr.recipient_list import left_column, printed_items
from ocr.segments import Segment, clean_value, same_line, segment_of, segments, union
from ocr.signature import (
    ABBREVIATIONS,
    JOINED_TITLES,
    MORE_TITLES,
    authority_start,
    body_parses,
    damaged_name,
    is_personal_name,
    joined_mark,
    looks_like_name,
    name_line,
    names_office,
    signature_blocks,
    surname_restored,
    whole_name,
    without_rank,
)
from schemas.document_types import (
    CONTRACT_FIELDS,
    DOCUMENT_KINDS,
    DOCUMENT_TYPES,
    GENERAL_TYPE_CODE,
    get_document_type,
)

_DATE_TAIL = re.compile(r"ngay\b.*thang\s*[0-9oil|]{1,2}\s*[,.]?\s*nam\s*[0-9]{4}")


# ---------------------------------------------------------------- segments: pieces of lines


def _part(seg: Segment, words: list[Word]) -> Segment:
    """A segment of some of `seg`'s words, on its page."""
    texts = [nfc(w.text) for w in words]
    starts = [sum(len(t) + 1 for t in texts[:i]) for i in range(len(texts))]
    text = " ".join(texts)
    return Segment(seg.page, seg.width, seg.height, tuple(words), text, fold(text), tuple(starts))


# ---------------------------------------------------------------- layout fields


_UNDERLINE = re.compile(r"^[\s\-_—–=~.,·'`\"|]+$")
# (An internal paper -- a phiếu trình, a report of a working group -- is signed under the signer's role
# in the work, "NGƯỜI TRÌNH", "CHUYÊN VIÊN", "LÃNH ĐẠO PHÒNG", rather than a title.)
_ROLE_HEADING = re.compile(r"^\s*(nguoi trinh|nguoi lap|chuyen vien|lanh dao)\b")


# Marks put on the paper after it was issued, never the document's own header, number or date: an
# incoming-mail stamp ("CÔNG VĂN ĐẾN", "ĐẾN Số: … Ngày: …"), an e-signature box ("Ký bởi: …",
# "Thời gian ký: …"), a certified-copy mark ("SAO Y").
_STAMP_ANCHOR = re.compile(r"\b(cong van den|cv den|van ban den)\b|^\s*den\s*[:.]?\s*(so\b|$)|"
                           r"^\s*(ky boi|nguoi ky|thoi gian ky|co quan|email|sao y)\s*[:.]|\bthoi gian ky\b|^\s*sao y\b")
_STAMP_LINE = re.compile(r"^\s*(so|ngay|gio|chuyen|luu ho so|den|so den|ngay den|ky boi|co quan|thoi gian)\b")


def _stamped(first: list[Segment]) -> set[int]:
    """Indexes (into `first`) of the segments that belong to a stamp near the top of the page."""
    out: set[int] = set()
    for a in first:
        if a.top > 0.35 * a.height or not _STAMP_ANCHOR.search(a.folded):
            continue
        lh = a.line_height
        x0, x1 = a.box[0] - 0.08 * a.width, a.box[2] + 0.08 * a.width
        for i, s in enumerate(first):
            inside = x0 <= s.xc <= x1 and a.top - 1.5 * lh <= s.top <= a.bottom + 5 * lh
            # The receiving office's name printed above "CÔNG VĂN ĐẾN" ("VĂN PHÒNG HĐND VÀ UBND")
            # belongs to the stamp, not to the header it overlaps.
            receiver = inside and s.bottom <= a.top + 0.3 * lh
            # The document's own "Số: …/UBND-…" line can sit under the stamp; a stamp's number has no symbol.
            own_number = bool(re.search(r"/\s*[A-ZĐ]{2,}", s.text)) and not _STAMP_ANCHOR.search(s.folded)
            if s is a or (inside and not own_number
                          and (receiver or _STAMP_LINE.match(s.folded) or _STAMP_ANCHOR.search(s.folded))):
                out.add(i)
    return out


def _split(seg: Segment, at: int, page: PageText) -> list[Segment]:
    """`seg` cut before the word that starts at character `at` (the motto run into the body's line)."""
    k = next((i for i, st in enumerate(seg.starts) if st >= at), len(seg.words))
    parts = [list(seg.words[:k]), list(seg.words[k:])]
    return [segment_of(ws, page) for ws in parts if ws]


def _first_page(ocr: OcrResult, segs: list[Segment]) -> list[Segment]:
    """Page 1's segments, with a header line that runs the issuing body into the motto cut in two."""
    if not segs:
        return []
    page = next(p for p in ocr.pages if p.number == segs[0].page)
    out: list[Segment] = []
    for s in segs:
        if s.page != page.number:
            continue
        m = MOTTO.search(s.folded)
        if m and m.start() > 0 and s.top < 0.25 * s.height:
            out += _split(s, m.start(), page)
        else:
            out.append(s)
    return out


# The number-and-symbol line however its number was read: "…/QĐ-UBND", "… ŸBCT-ATMT".
_SYMBOL_LINE = re.compile(r"/\s*[A-ZĐ]{1,8}\b|\d.*[A-ZĐ]{2,}\s?-\s?[A-ZĐ]{2,}")
# A place-and-date line: at most a place name (no digits) before "ngày".
# The day's blank may carry its dots and whatever was written on them (".....IA....", "....1 I.....").
_PLACE_DATE = re.compile(r"^[^\d]{0,40}?,?\s*n\s?g?[a-z]{1,2}(?:\s*\S{0,6}[.…·_]{2,}\S{0,8}){0,3}\s*[^a-z\s]{0,3}\s*\S{0,4}"
                         r"\s*t\s?h\s?[a-z]{2,3}")
# OCR slack beyond ocr._text's: "này24", "ngay 24" run together with the month.
_LOOSE_DATE = re.compile(r"n\s?g?[a-z]{1,2}\s*([0-9]{1,2})\s*[,.]?\s*t\s?h\s?[a-z]{2,3}\s*([0-9]{1,2})\s*[,.]?\s*"
                         r"n\s?[a-z]{1,2}m?\s*([0-9]{4})")


# A date read from a line below the header that no signature block follows: the rule's place for the
# date is the header (or, on a permit, over the signature), so a person confirms any other line's.
OFF_HEADER_DATE_CAP = 0.85
# Words that make "… ngày 18 tháng 01 năm 2024" a citation in the body, never a place before its date.
_CITATION = re.compile(r"\b(can cu|theo|tai|luat|nghi dinh|quyet dinh|thong tu|cong van|to trinh|nghi quyet|chi thi|"
                       r"ke hoach|bao cao|thong bao|so|ban hanh|de nghi|van ban|hieu luc|ke tu|den)\b")


# The date line written with figures ("Lào Cai, ngày 15/01/2026"), as e-signed and some typed letters print it.
_NUMERIC_PLACE_DATE = re.compile(r"^[^\d]{2,40}?,\s*n\s?g?[a-z]{1,2}\s*(?=\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{4})")


def _numeric_date(s: Segment) -> tuple[str | None, tuple[int, int] | None]:
    """The date of a place-and-date line written with figures, and its span; (None, None) otherwise."""
    m = _NUMERIC_PLACE_DATE.match(s.folded)
    if not m or _CITATION.search(s.folded[: m.end()]):
        return None, None
    iso, span = parse_dmy(s.text[m.end():m.end() + 16])
    if iso is None or span is None or span[0] != 0:
        return None, None
    day_word = re.search(r"n\s?g?[a-z]{1,2}\s*$", s.folded[: m.end()])
    start = m.end() - (len(day_word.group()) if day_word else 0)
    return iso, (start, m.end() + span[1])


def _is_place_date(s: Segment) -> bool:
    if _numeric_date(s)[0] is not None:
        return True
    m = _PLACE_DATE.match(s.folded)
    if not m or _CITATION.search(s.folded[: m.end()]):
        return False
    return bool(parse_vn_date(s.text)[0] or _DATE_TAIL.search(s.folded) or re.search(r"\bnam\s*[0-9]{4}\b", s.folded))


def _blank_place_date(s: Segment) -> bool:
    """The header's place-and-date line with its date left blank ("Hà Nội, ngày    tháng    năm"):
    still the date's line, so a date further down is not taken for it."""
    m = _PLACE_DATE.match(s.folded)
    return m is not None and not _CITATION.search(s.folded[: m.end()]) and _place_before_date(s)


def _rows_joined(segs: list[Segment], page: PageText) -> list[Segment]:
    """Pieces of one printed row put back together ("Hà Nội," | "ngày25 tháng 6 năm 2026" cut at a gap)."""
    out: list[Segment] = []
    for s in sorted(segs, key=lambda s: s.box[0]):
        # Boxes of a line's pieces may overlap a little (a second reading's boxes come from its frames).
        mate = next((o for o in out if abs((o.top + o.bottom) / 2 - (s.top + s.bottom) / 2) < 0.5 * o.line_height
                     and -0.5 * o.line_height <= s.box[0] - o.box[2] < 3 * o.line_height), None)
        if mate is None:
            out.append(s)
        else:
            out[out.index(mate)] = segment_of(list(mate.words) + list(s.words), page)
    return sorted(out, key=lambda s: s.top)


def _header_parts(first: list[Segment], segs: list[Segment], page: PageText) -> tuple[
        list[Segment], Segment | None, Segment | None]:
    """Left-column header lines above the number, the 'Số:' segment and the place/date segment.

    The number is the left column's "Số:" line, the date the right column's place-and-date line,
    never a body line ("Ngày 25 tháng 3 năm 2026, Bộ … ban hành") nor a stamp's "Số … Ngày …". A
    permit that prints its place and date above the signature gets them from there."""
    if not first:
        return [], None, None
    stamped = _stamped(first)
    first = [s for i, s in enumerate(first) if i not in stamped]
    w, h = first[0].width, first[0].height
    numbered = [s for s in first if s.top < 0.4 * h and s.xc < 0.55 * w and s.box[0] < 0.4 * w and NUMBER_LABEL.match(s.folded)]
    # The document's own number carries its symbol ("Số: 125/QĐ-UBND"); a "Số: 1234" with none above it
    # is a registry stamp whose "ĐẾN" was not read (Decree 30 gives every number a symbol).
    number = next((s for s in numbered if _SYMBOL_LINE.search(s.text)), numbered[0] if numbered else None)
    if number is None:
        # "Số:" lost under a handwritten number: the line that carries the symbol ("…/BCT-ATMT").
        number = next((s for s in first if s.top < 0.3 * h and s.xc < 0.5 * w and _SYMBOL_LINE.search(s.text)), None)
    right = _rows_joined([s for s in first if s.top < 0.4 * h and s.box[0] > 0.3 * w and s.xc > 0.45 * w], page)
    dated = next((s for s in right if _is_place_date(s) or _blank_place_date(s)), None) \
        or next((s for s in right if _place_led(s)), None)
    if dated is None:
        # The header's date line laid out off the right column (centred, or starting left of 30 %):
        # still the header's, before any line further down the page.
        top = _rows_joined([s for s in first if s.top < 0.4 * h and s.xc > 0.35 * w], page)
        dated = next((s for s in top if _is_place_date(s) and _place_before_date(s)), None)
    if dated is None:
        # Permits and certificates: "Hà Nội, ngày … tháng … năm …" above the signer, right half.
        low = [s for s in segs if s.box[0] > 0.3 * s.width and s.xc > 0.45 * s.width and _is_place_date(s)
               and _place_before_date(s)]
        dated = low[0] if low else None
    limit = number.top if number else (dated.top if dated and dated.page == first[0].page else 0.3 * h)
    left = [s for s in first if s.bottom <= limit + 0.3 * s.line_height and s.xc < 0.5 * w and s.top < 0.3 * h
            and not _UNDERLINE.match(s.text) and sum(c.isalpha() for c in s.text) >= 2 and not MOTTO.match(s.folded)
            and not _SYMBOL_LINE.search(s.text)]
    # Drop stray marks: a header line is upper case (a few lower-case OCR slips allowed).
    left = [s for s in left if is_upper_text(s.text, 0.7)]
    left.sort(key=lambda s: s.top)
    return left, number, dated


def _header_row(s: Segment, first: list[Segment]) -> bool:
    return bool(first) and s.page == first[0].page and s.top < 0.4 * s.height


def _above_signature(s: Segment, segs: list[Segment]) -> bool:
    """Does a signature block start right under this line (a permit's "Hà Nội, ngày …" printed over
    "CỤC TRƯỞNG" rather than in the header)?"""
    return any(t.page == s.page and 0 <= t.top - s.bottom < 5 * s.line_height and t.xc > 0.45 * t.width
               and is_upper_text(t.text) and (authority_start(t) or names_office(t.folded)) for t in segs)


def _place_led(s: Segment) -> bool:
    """The header's date line however its date was read ("Lào Cai, ngàv 1S thág…"): a known place
    and a comma open it. It is still the date's line: a dated line further down (an annex's, a form's)
    is not the document's date."""
    head, comma, _ = s.text.partition(",")
    place = clean_value(head)
    return bool(comma) and 2 <= len(place) <= 30 and (is_place_name(place) or fold(place) in place_names_by_fold())


def _place_before_date(s: Segment) -> bool:
    m = re.search(r",?\s*n\s?g?[a-z]{1,2}\s*(?:\S{0,4}\s*t\s?h|\d{1,2}\s?[/.\-]\s?\d)", s.folded)
    place = clean_value(s.text[: m.start()]) if m else ""
    return bool(place) and (is_place_name(place) or fold(place) in place_names_by_fold())


def _header_lines(left: list[Segment]) -> tuple[list[str], list[Word]]:
    """Each header line's text, cleaned on its own: an OCR'd period or underline at a line's end must
    not end up inside the joined name ("ỦY BAN NHÂN DÂN. HUYỆN …"). A line ending in " -" continues a
    list of joint issuers ("BỘ CÔNG AN - BỘ QUỐC PHÒNG -")."""
    lines: list[str] = []
    words: list[Word] = []
    for n, s in enumerate(left):
        ws = list(s.words)
        joint = len(ws) > 1 and ws[-1].text in ("-", "–") and n + 1 < len(left)
        # A dash between two words separates joint issuers ("BỘ CÔNG AN - BỘ QUỐC PHÒNG"); any other
        # run of dashes or underscores is the rule printed under the header.
        ws = [w for i, w in enumerate(ws) if not _UNDERLINE.match(w.text)
              or (w.text in ("-", "–") and 0 < i < len(ws) - 1 and not _UNDERLINE.match(ws[i - 1].text)
                  and not _UNDERLINE.match(ws[i + 1].text))]
        if not ws:
            continue
        words += ws
        text = clean_value(" ".join(nfc(w.text) for w in ws)).lstrip("-–•*+ ")
        lines.append(text + (" -" if joint else ""))
    return lines, words


# The body-type words a header line starts with, as the seal, a stamp or bold capitals garble them:
# "Í (Ý BAN NHÂN DÂN", "ỦY CÁ& NHÂN DÂN", "2W BAN NHÂN DÂN" before "NHÂN DÂN" (what else ends so is a
# "HỘI ĐỒNG NHÂN DÂN", kept), and "LUBND", "IÚBNB", "UBÑD" for the superior's "UBND".
_GARBLED_PEOPLES_COMMITTEE = re.compile(r"^(?P<head>\S+(?: \S+){0,2}?) (?=NHÂN DÂN\b)")
_GARBLED_UBND = re.compile(r"^[^\W\d_]?U?BN[BD][^\W\d_]?$")
_GARBLED_BEFORE_UNIT = re.compile(r"^(?P<word>[^\W\d_][^\s]{1,5}?)\s?(?P<kind>TỈNH|HUYỆN|QUẬN|THÀNH PHỐ|THỊ XÃ)\s+(?P<rest>\S.*)$")


def _body_type_fixed(line: str) -> str:
    """A header line whose body-type words are garbled, with them put back ("ỦY BAN NHÂN DÂN …",
    "UBND …"): a repair, which `_issuing_authority` holds below the signing band."""
    line = broken_a_fixed(line)
    # "UBNDHUYỆN": the abbreviation run into the unit kind after it.
    line = re.sub(r"^(UBND|HĐND)(?=(?:TỈNH|HUYỆN|QUẬN|THÀNH PHỐ|THỊ XÃ|THỊ TRẤN|XÃ|PHƯỜNG)\b)", r"\1 ", line)
    # A colon or semicolon between two words of a body's name is its hyphen misread ("TÀI CHÍNH: KẾ
    # HOẠCH"): no body's name holds one.
    line = re.sub(r"(?<=[^\W\d_])\s*[:;]\s+(?=[^\W\d_])", " - ", line)
    m = _GARBLED_PEOPLES_COMMITTEE.match(line)
    # Letters only: a stamp's handwritten date run into "ỦY" ("27⁄12/2)Y BAN") is no longer word.
    if m and fold(m.group("head")) != "uy ban" and not re.search(r"hoi|dong|hd|toa|vien|kiem", fold(m.group("head"))) \
            and len(re.sub(r"[\W\d_]", "", m.group("head"))) <= 7:
        return "ỦY BAN " + line[m.end():]
    # No comma or slash joins two words of a body's name ("THÀNH,PHỐ", "UBND/TỈNH").
    line = re.sub(r"(?<=[^\W\d_])[/,](?=[^\W\d_])", " ", line)
    first, _, rest = line.partition(" ")
    if rest and first != "UBND" and _GARBLED_UBND.match(re.sub(r"[^a-z]", "", fold(first)).upper()):
        return "UBND " + rest
    # A superior body's line is "<body> <unit kind> <unit>"; one unreadable word before the unit kind
    # (a stamp over it: "UEWØ TỈNH BÌNH ĐỊNH", "UĐÑØQUẬN BA ĐÌNH") can only be "UBND", the one-word
    # form of a people's committee.
    m = _GARBLED_BEFORE_UNIT.match(line)
    if m and not is_syllable(m.group("word")) and fold(m.group("word")) not in ABBREVIATIONS \
            and fold(m.group("word")).startswith("u") and is_place_name(_unit_after(m.group("rest"))):
        return f"UBND {m.group('kind')} {m.group('rest')}"
    return line


def _unit_after(text: str) -> str:
    """The longest run of first words of `text` that names a unit ("BÌNH ĐỊNH" of "BÌNH ĐỊNH ỦY …")."""
    words = text.split()
    return next((" ".join(words[:n]) for n in range(min(4, len(words)), 0, -1)
                 if fold(" ".join(words[:n])) in place_names_by_fold()), "")


_ENDS_WITH_KIND = re.compile(r"(?:^|\s)(?:xa|phuong|thi tran|huyen|quan|thi xa|thanh pho|tinh)$")


def _issuing_authority(left: list[Segment], place: str | None) -> ExtractedField:
    if not left:
        return ABSENT
    parts, words = _header_lines(left)
    if not parts:
        return ABSENT
    extra = (place.upper(),) if place and len(place) > 2 else ()
    value = normalise_upper(clean_value(" ".join(parts)).strip("_"), extra)
    # Each printed line ends a unit's name ("HUYỆN DIỄN KHÁNH" / "PHÒNG …"): repaired line by line; a
    # line read apart from its unit's kind ("UBND HUYỆN" / "VẬN NINH") is repaired with it.
    lines: list[str] = []
    for p in parts:
        if lines and _ENDS_WITH_KIND.search(fold(lines[-1])):
            lines[-1] += " " + p
        else:
            lines.append(p)
    fixed = normalise_upper(clean_value(" ".join(header_units_fixed(place_names_fixed(_body_type_fixed(p)).upper(), place)
                                                  for p in lines)).strip("_"), extra)
    field = field_from_words(fixed, words, left[0].page, format_ok=is_upper_text(value, 0.85))
    if fixed != value:  # the unit's name put back from the catalogue: a repair, not a reading
        field = replace(field, confidence=min(field.confidence, CORRECTED_INVALID_CAP))
    if value and _SUBORDINATE.match(fold(value)):
        # Decree 30 prints a subordinate body under its superior ("UBND HUYỆN …" above "PHÒNG TÀI
        # CHÍNH - KẾ HOẠCH"): without that line the header was misread, however sure the words are.
        field = replace(field, confidence=min(field.confidence, LOW_WORD_CAP))
    return with_checks(field, body_words=body_parses(fixed))


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
    return replace(field, confidence=min(field.confidence, HANDWRITTEN_CAP))


def _symbol_continuation(number: Segment | None, first: list[Segment]) -> Segment | None:
    """The line under a number line whose symbol ends in "-": the symbol goes on there
    ("24/HDLN-BCA-BQP-BYT-" over "BCT-BTC-VKSNDTC-TANDTC", a joint document naming every issuer).
    Only a line of capitals and dashes alone, within 1.6 line heights below, starting under it."""
    if number is None or not number.text.rstrip().endswith("-"):
        return None
    h = number.line_height
    return next((s for s in first if s.page == number.page and 0 < s.top - number.top <= 1.6 * h
                 and abs(s.box[0] - number.box[0]) < 0.5 * (number.box[2] - number.box[0])
                 and re.fullmatch(r"-?[A-ZĐ0-9]{1,12}(?:-[A-ZĐ0-9]{1,12}){0,7}", s.text.strip())), None)


def _document_number(seg: Segment | None, continued: Segment | None = None) -> ExtractedField:
    if seg is None:
        return ABSENT
    if continued is not None:
        field = _document_number(seg)
        joined = f"{field.value}{continued.text.strip().lstrip('-')}" if field.value else ""
        if field.value and field.value.endswith("-") and is_document_number(joined):
            # The first line's confidence (and its handwriting cap) stands: the second line adds letters
            # only, never raises it.
            box = union([*([field.bbox] if field.bbox else []), *(w.bbox for w in continued.words)])
            conf = min(field.confidence, words_confidence(list(continued.words), True))
            return replace(field, value=joined, confidence=conf, bbox=box)
        return field
    m = NUMBER_LABEL.match(seg.folded)
    if m is None:
        # "Số:" not read (a handwritten number over it): the symbol is there, the number is not.
        words = [w for w in seg.words if "/" in w.text or re.search(r"[A-ZĐ]{2,}-", w.text)]
        value = clean_value(seg.text)
        return with_checks(field_from_words(value, words or list(seg.words), seg.page, format_ok=is_document_number(value)),
                           number_label=False)
    rest = seg.text[m.end():]
    value = clean_document_number(rest)
    # Words that make up the value: from the label's end, as many as the cleaned value spans.
    words = seg.words_in(m.end(), m.end() + len(rest.split()[0]) if rest.split() else m.end())
    tail = seg.words_in(m.end(), len(seg.text))
    if len(rest.split()) > 1 and not is_document_number(value):
        joined = clean_document_number(re.sub(r"\s+", "", rest))
        # "3252 QĐ-UBND": the slash read as a gap; the number, then a symbol of capitals and hyphens.
        slashed = re.match(r"^\s*(\d{1,6})\s+([A-ZĐ]{1,8}-[A-ZĐ][A-ZĐ0-9-]*)\b", rest)
        if is_document_number(joined):
            value, words = joined, tail
        elif slashed and is_document_number(f"{slashed.group(1)}/{slashed.group(2)}"):
            value, words = f"{slashed.group(1)}/{slashed.group(2)}", tail
            field = field_from_words(value, words, seg.page, format_ok=True)
            # The slash put back, not read: held below the signing band.
            return replace(field, confidence=min(field.confidence, CORRECTED_VALID_CAP))
    field = field_from_words(value, words or tail, seg.page, format_ok=is_document_number(value))
    # The number proper (before the first "/") is what a clerk writes into "Số: ..../QĐ-UBND".
    digits = [w for w in (words or tail) if re.match(r"^[^/]*\d", w.text) and not w.text.startswith("/")][:1]
    return _handwritten(field, digits, list(seg.words))


def _place_and_date(seg: Segment | None) -> tuple[ExtractedField, ExtractedField]:
    if seg is None:
        return ABSENT, ABSENT
    iso, span = parse_vn_date(seg.text)
    if span is None and (loose := _LOOSE_DATE.search(seg.folded)):
        try:
            iso = date(int(loose.group(3)), int(loose.group(2)), int(loose.group(1))).isoformat()
            span = loose.span()
        except ValueError:
            iso = None
    if span is None:
        iso, span = _numeric_date(seg)
    if span is None:
        # "ngày …… tháng 5 năm 2019" with an unreadable day: no value, but the place to look at.
        m = re.search(r"\bngay\b", seg.folded)
        comma = seg.text.find(",")
        span = (m.start(), m.start()) if m else (comma, comma) if comma > 0 else (0, 0)
    before = seg.text[: span[0]]
    place = clean_value(before.split(",")[0]) if "," in before else clean_value(before)
    place_words = seg.words_in(0, len(place)) if place else []
    place_field = field_from_words(place, place_words, seg.page, format_ok=bool(re.search(r"[A-Za-zÀ-ỹ]{2}", place or "")))
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
    return place_field, _handwritten(field_from_words(iso, date_words, seg.page), day, list(seg.words))


# The kind's abbreviation in the symbol (Decree 30 Appendix III) for kinds whose abbreviation has "Đ",
# the letter Tesseract most often reads as "D" ("2827/QD-BGDĐT") or doubles ("QĐĐ").
_KIND_SYMBOL = {"QUYẾT ĐỊNH": "QĐ", "QUY ĐỊNH": "QyĐ", "ĐỀ ÁN": "ĐA", "HỢP ĐỒNG": "HĐ", "CÔNG ĐIỆN": "CĐ"}


# Issuers' abbreviations a symbol names after the kind's ("QĐ-UBND"): the bodies that issue most results.
_ISSUER_SYMBOLS = ("UBND", "HĐND")


def _symbol_repaired(number: ExtractedField, kind: str | None) -> ExtractedField:
    """The kind's abbreviation put back in the symbol when it was read with "D" for "Đ" or a letter
    doubled, or run into the issuer's without its hyphen ("QDUBND"), and an issuer's abbreviation
    one letter off ("QĐ-UBXND"); a repair, so below auto-approval."""
    number = _issuer_repaired(number)
    abbr = _KIND_SYMBOL.get(kind or "")
    if not number.value or not abbr:
        return number
    m = re.match(r"^(\d+[a-zA-Z]?/(?:\d{4}/)?)([A-Za-zĐđ]+)(?=-|$)", number.value)
    if not m or m.group(2) == abbr:
        return number
    part = m.group(2)
    same = fold(part) == fold(abbr) or re.sub(r"(.)\1", r"\1", part) == abbr
    issuer = next((i for i in _ISSUER_SYMBOLS if fold(part) == fold(abbr) + fold(i)), None)
    if not same and issuer is None:
        return number
    fixed = m.group(1) + (abbr if issuer is None else f"{abbr}-{issuer}") + number.value[m.end():]
    cap = CORRECTED_VALID_CAP if fold(part) == fold(abbr) else LOW_WORD_CAP
    return replace(number, value=fixed, confidence=min(number.confidence, cap))


def _issuer_repaired(number: ExtractedField) -> ExtractedField:
    """A part of the symbol after the first that is one letter off an issuer's abbreviation
    ("UBXND", "UBNĐ") and is none itself, put back as it (LOW_WORD_CAP: a letter put back)."""
    from ocr._text import edit_distance

    if not number.value or "/" not in number.value:
        return number
    head, _, symbol = number.value.rpartition("/")
    parts = symbol.split("-")
    fixed = [parts[0]] + [next((i for i in _ISSUER_SYMBOLS if p != i and len(p) >= 3
                                and edit_distance(fold(p), fold(i)) <= 1), p) for p in parts[1:]]
    if fixed == parts:
        return number
    return replace(number, value=f"{head}/{'-'.join(fixed)}", confidence=min(number.confidence, LOW_WORD_CAP))


def _meeting_date(first: list[Segment]) -> ExtractedField:
    """A biên bản without a place-and-date line is dated by its opening "Hôm nay, ngày …": a body
    line, so never more than PLAUSIBILITY_CAP (the date rule is the header's line)."""
    for s in first:
        m = re.match(r"^\s*hom nay,?\s*", s.folded)
        if not m:
            continue
        iso, span = parse_vn_date(s.text)
        if iso is None:
            iso, span = parse_dmy(s.text[:40])
        if iso and span:
            return with_checks(field_from_words(iso, s.words_in(*span), s.page), place_date_line=False)
    return ABSENT


def _is_centred(s: Segment) -> bool:
    return abs(s.xc - s.width / 2) < 0.12 * s.width


_PREAMBLE = re.compile(r"^\s*(bo truong|thu truong|chu tich|(pho )?(tong )?cuc truong|vu truong|(tong )?giam doc|truong|"
                       r"vien truong|hieu truong|chu nhiem|bi thu|uy ban|hoi dong|ban chi dao|chanh|can cu)\b")


def _title(segs: list[Segment], after: int, keywords: list[str]) -> tuple[ExtractedField, Segment | None]:
    first_page = segs[0].page if segs else 1
    # Specks ("-", a seal's dot) between the title's two lines are not lines.
    cands = [s for s in segs if s.page == first_page and s.top > after and s.top < 0.6 * s.height
             and sum(c.isalpha() for c in s.text) >= 2]
    for i, s in enumerate(cands):
        if not (_is_centred(s) and is_upper_text(s.text) and len(s.text) >= 5):
            continue
        if re.match(r"^(uy ban|ubnd|cong hoa|doc lap)", s.folded):
            continue  # issuing body repeated in the preamble, or the motto
        parts, words = [s], list(s.words)
        nxt = cands[i + 1] if i + 1 < len(cands) else None
        preamble = nxt is not None and bool(_PREAMBLE.match(nxt.folded) or nxt.text.rstrip().endswith(":"))
        # A type's title ("QUYẾT ĐỊNH") is never run into the preamble under it; a subject in capitals
        # under it is its second line ("QUYẾT ĐỊNH" / "XỬ PHẠT VI PHẠM HÀNH CHÍNH").
        if nxt is not None and not (preamble and any(k in s.folded for k in keywords)):
            # A title's second line may stand as far below as the body's spacing when it is no preamble
            # ("CỤC TRƯỞNG CỤC HÓA CHẤT", "CHỦ TỊCH ỦY BAN NHÂN DÂN …" name who decides, not what).
            gap = 0.8 if preamble else 1.5
            if (_is_centred(nxt) and is_upper_text(nxt.text) and nxt.top - s.bottom < gap * s.line_height
                    and not nxt.folded.startswith("ve viec")):
                parts.append(nxt)
                words += nxt.words
        value = normalise_upper(clean_value(" ".join(p.text for p in parts)).rstrip(":"))
        return field_from_words(value, words, s.page, format_ok=is_upper_text(value)), parts[-1]
    return ABSENT, None


# The body's first line, never the trích yếu's continuation: a citation, an addressee, a meeting's opening.
_BODY_OPENER = re.compile(r"\s*(can cu|kinh gui|theo de nghi|xet de nghi|hom nay)\b")
# Also not a biên bản's subject line: a numbered or bulleted item, a parenthesis.
_ITEM_OPENER = re.compile(r"\s*(\(|\d|[-+•])")
# Slash look-alikes Tesseract puts in "V/v": the fraction slash (U+2044) and the division slash (U+2215).
_SLASHES = "/\u2044\u2215"
_VV = re.compile(rf"^\s*(?:v\s?[{_SLASHES}l1|i]\s?v\b|[vy]\s?[{_SLASHES}]|ve\s?viec\b)")  # on folded text


def _beside_column(s: Segment, axis: float) -> bool:
    """A mark beside the centred text under the title (the edge of a seal stamped across the page's
    side, a margin note's scrap, a punched hole): not a line of the trích yếu, and no reason to stop
    reading it. A line of the trích yếu, however short, is centred: it spans the title's axis."""
    if s.box[0] <= axis <= s.box[2]:
        return False
    letters = sum(c.isalpha() for c in s.text)
    return letters < 4 or s.box[2] < 0.15 * s.width or s.box[0] > 0.85 * s.width


def _row_joined(segs: list[Segment]) -> list[Segment]:
    """Pieces of one printed row put back together, top to bottom: Tesseract can give a row as two
    lines ("Về việc công" | "nhận gia đình …"), the second a pixel higher than the first, so that
    sorted by top it came first and the trích yếu stopped after "công". Pieces join when their
    middles are within half a line height and the gap between them is under two line heights (a
    wider gap is cut by `segments` on purpose: another column)."""
    out: list[Segment] = []
    for s in sorted(segs, key=lambda s: s.box[0]):
        mate = next((o for o in out if o.page == s.page
                     and abs((o.top + o.bottom) / 2 - (s.top + s.bottom) / 2) < 0.5 * o.line_height
                     and -0.5 * o.line_height <= s.box[0] - o.box[2] < 2 * o.line_height), None)
        if mate is None:
            out.append(s)
        else:
            out[out.index(mate)] = _part(mate, list(mate.words) + list(s.words))
    return sorted(out, key=lambda s: s.top)


def _summary(segs: list[Segment], title: Segment | None, number: Segment | None = None) -> ExtractedField:
    """The trích yếu: "Về việc …" under the title, or a công văn's "V/v …" under its number."""
    if title is not None:
        after = _row_joined([s for s in segs if s.page == title.page and s.top > title.top
                             and not _beside_column(s, title.xc)])[:6]
        for i, s in enumerate(after):
            # "Về việc …", or a "V/v …" line (a phiếu trình, a tờ trình print the công văn's form under their title)
            m = re.search(r"v[eêề]\s?vi[eêệ]c", s.folded) or _VV.match(s.folded)
            if m and m.start() <= 3:
                parts, words = [s], list(s.words)
                for nxt in after[i + 1:]:
                    # Lines of a trích yếu may stand apart as far as the body's (1.15-1.3 spacing); the rule
                    # printed under it, the preamble in capitals or the first "Căn cứ" ends it.
                    if (_is_centred(nxt) and not is_upper_text(nxt.text) and not _UNDERLINE.match(nxt.text)
                            and nxt.top - parts[-1].bottom < 1.2 * max(s.line_height, nxt.line_height)
                            and not _BODY_OPENER.match(nxt.folded)):
                        parts.append(nxt)
                        words += nxt.words
                    else:
                        break
                text = " ".join(p.text for p in parts)
                return field_from_words(clean_value(text[m.start():]), words, s.page)
        # A biên bản's or a plan's subject: the centred lines right under the title, in lower case. A
        # long subject wraps as a centred paragraph as wide as the body: centred on the title's axis.
        parts = []
        for nxt in after:
            prev = parts[-1] if parts else title
            narrow = nxt.box[0] > 0.15 * nxt.width and nxt.box[2] < 0.85 * nxt.width
            # The subject may stand apart from the title as a second title line may (_title); its own
            # lines follow at the body's spacing.
            gap = 1.0 if parts else 1.5
            if not (_is_centred(nxt) and not is_upper_text(nxt.text) and nxt.top - prev.bottom < gap * prev.line_height
                    and (narrow or abs(nxt.xc - title.xc) < 0.04 * nxt.width)
                    and ":" not in nxt.text  # a labelled line ("Mã số hộ kinh doanh: …") is a field, not the subject
                    and not _BODY_OPENER.match(nxt.folded) and not _ITEM_OPENER.match(nxt.folded)):
                break
            parts.append(nxt)
        if parts:
            return field_from_words(clean_value(" ".join(p.text for p in parts)), [w for p in parts for w in p.words],
                          title.page)
    if number is None:
        return ABSENT
    w = number.width
    # Letters or digits: a subject's last line can be a year alone ("… phi nông nghiệp năm" / "2022").
    below = sorted((s for s in segs if s.page == number.page and s.top > number.top and s.xc < 0.5 * w
                    and sum(c.isalnum() for c in s.text) >= 2
                    and s.top < number.bottom + 8 * number.line_height), key=lambda s: s.top)
    # The V/v line is the first under the number; with the number line itself not found (a handwritten
    # number read as debris), that line or a speck of the rule can stand between.
    at = next((i for i, s in enumerate(below[:3]) if _VV.match(s.folded)), None)
    if at is None or any(len(s.text.split()) > 6 for s in below[:at]):
        return ABSENT
    parts = [below[at]]
    for nxt in below[at + 1:]:
        if nxt.box[0] > parts[0].box[2] or nxt.box[2] < parts[0].box[0]:
            continue  # beside the V/v lines (a margin note's scrap, a punched hole): not one of them
        if nxt.top - parts[-1].bottom > 0.9 * parts[-1].line_height or re.match(r"kinh gui", nxt.folded):
            break
        parts.append(nxt)
    text = clean_value(" ".join(p.text for p in parts))
    field = field_from_words(text, [w_ for p in parts for w_ in p.words], number.page)
    if (m := re.match(rf"^[Vv]\s?[{_SLASHES[1:]}]\s?[vV]\b", text)) is not None:
        # The same abbreviation with a look-alike slash ("V⁄v"): the character, not a reading, changes.
        text = "V/v" + text[m.end():]
        field = replace(field, value=text)
    if (m := re.match(r"^[VvYy]\s?/\s?(?![vV])", text)) is not None:
        # "V/v" with its second letter lost ("Y/ triển khai …"): the abbreviation put back, as a repair.
        field = replace(field, value="V/v " + text[m.end():].lstrip(), confidence=min(field.confidence, LOW_WORD_CAP))
    return field


# One mark standing alone between two words: dust, the toner's speckle or the rule's end read as a
# mark. A dash stands so in print ("Hà Nội - Lào Cai") and stays.
_SPECK_TOKEN = re.compile(r"(?<=\S) [_:|~^`•·¦] (?=\S)")


# A form that labels its subject (a phiếu trình, a phiếu chuyển): "Trích yếu (nội dung):", "V/v:".
_SUMMARY_LABEL = re.compile(rf"^\s*(?:trich yeu(?: noi dung)?|ve viec|v\s?[{_SLASHES}]\s?v)\s*:\s*")
_ANY_LABEL = re.compile(r"^\s*[^\W\d_][^:]{1,30}:")


def _labelled_summary(first: list[Segment]) -> ExtractedField:
    """The subject a form gives after its label, with the lines it wraps onto (up to the next label or a
    gap): a reading, but of a label's value that no layout confirms, so never in the signing band."""
    for i, s in enumerate(first):
        m = _SUMMARY_LABEL.match(s.folded)
        if not m or not s.text[m.end():].strip():
            continue
        parts, words = [s.text[m.end():]], s.words_in(m.end(), len(s.text))
        prev = s
        for nxt in first[i + 1:]:
            if nxt.top <= prev.top or nxt.top - prev.bottom > 0.9 * prev.line_height or _ANY_LABEL.match(nxt.text) \
                    or nxt.box[0] > prev.box[2] or nxt.box[2] < s.box[0]:
                break
            parts.append(nxt.text)
            words += nxt.words
            prev = nxt
        field = field_from_words(clean_value(" ".join(parts)), words, s.page)
        return replace(field, confidence=min(field.confidence, LONG_TEXT_CAP))
    return ABSENT


# ---------------------------------------------------------------- kind


_KIND_FOLDS = sorted(((fold(k), k) for k in DOCUMENT_KINDS), key=lambda x: -len(x[0]))


def _kind(title: ExtractedField, summary: ExtractedField) -> tuple[ExtractedField, ExtractedField]:
    """The document's kind from its title, snapped to the known kinds (schemas.DOCUMENT_KINDS) on
    folded text: a kind read with other marks ("CHÍ THỊ") is put back ("CHỈ THỊ") and its confidence
    capped for the edit, one read with another letter further; a title naming no known kind is kept
    as read at PLAUSIBILITY_CAP. A công văn prints no title: its "V/v" line under the number says so.
    Returns (kind, title with the same repair)."""
    if title.value:
        ft = fold(title.value)
        for fk, kind in _KIND_FOLDS:
            if ft == fk or ft.startswith(fk + " "):
                printed = title.value[: len(kind)]
                if printed == kind:
                    return with_checks(replace(title, value=kind), known_kind=True), title
                cap = CORRECTED_VALID_CAP  # same letters, other marks: Tesseract's commonest slip on capitals
                fixed_title = replace(title, value=kind + title.value[len(kind):], confidence=min(title.confidence, cap))
                return with_checks(replace(fixed_title, value=kind), known_kind=True), fixed_title
        # Another letter misread: the nearest kind within one or two edits of the title's start.
        best: tuple[int, str] | None = None
        for fk, kind in _KIND_FOLDS:
            d = edit_distance(ft[: len(fk)], fk)
            at_word_end = len(ft) == len(fk) or ft[len(fk):len(fk) + 1] == " "
            if len(fk) >= 5 and at_word_end and d <= (1 if len(fk) < 8 else 2) and (best is None or d < best[0]):
                best = (d, kind)
        if best:
            cap = LOW_WORD_CAP if best[0] == 1 else PLAUSIBILITY_CAP
            kind_field = replace(title, value=best[1], confidence=min(title.confidence, cap))
            return with_checks(kind_field, known_kind=True), replace(title, confidence=min(title.confidence, cap))
        return with_checks(title, known_kind=False), title
    if summary.value and _VV.match(fold(summary.value)):
        # A công văn (Decree 30 Appendix I): no kind printed, the subject as "V/v …" under the number.
        conf = min(summary.confidence, 0.85)
        return with_checks(ExtractedField("CÔNG VĂN", conf, summary.page, summary.bbox), known_kind=True), title
    return ABSENT, title


# ---------------------------------------------------------------- signature block


# (Single words like "trương", "phương", "quân", "cúc", "bá" are family or given names as well.)


def _name_beside_recipients(segs: list[Segment]) -> ExtractedField:
    """With no authority lines read at all (the seal over them), the signer's name where Decree 30
    puts it: the right column beside the "Nơi nhận:" list. Not under an authority that was read, so
    never above PLAUSIBILITY_CAP; it says on which page the document is signed."""
    recipients = next((s for s in segs if re.match(r"^\s*noi nhan\s*[:;.]", s.folded)), None)
    if recipients is not None:
        h, w = recipients.height, recipients.width
        low, high = recipients.top - 0.1 * h, recipients.top + 0.25 * h
    else:
        # The label not read either: the list's closing "- Lưu: …" item (Decree 30 ends every list
        # with it) stands a few lines under the label, in the left half.
        recipients = next((s for s in reversed(segs) if re.match(r"^\W*luu\s*[:;.,]", s.folded)
                           and s.box[0] < 0.3 * s.width), None)
        if recipients is None:
            return ABSENT
        h, w = recipients.height, recipients.width
        low, high = recipients.top - 0.15 * h, recipients.top + 0.2 * h
    near = sorted((s for s in segs if s.page == recipients.page and s.box[0] > 0.4 * w
                   and low < s.top < high), key=lambda s: s.top)
    for s in near:
        text = name_line(s)
        if is_personal_name(text) and not is_upper_text(s.text):
            field = name_field(field_from_words(text, list(s.words), s.page))
            return with_checks(field, personal_name=True, under_authority=False)
    return ABSENT


# The deputy's title under "KT. <chief>" (Decree 30 Appendix I): "PHÓ <chief>", a minister's deputy
# is "THỨ TRƯỞNG". Folded, "THỨ TRƯỞNG" and "THỦ TRƯỞNG" are one word pair: the block says which.
_DEPUTY = {"bo truong": "THỨ TRƯỞNG"}


_TUQ_MISREAD = re.compile(r"^(TU|TỬ|TỨ|TỤ|TÚ|TŨ|1U|IU|TUO|TUG)[.,]\s*(?=CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG|BỘ TRƯỞNG)")


# The printed forms of an authority line's title (Decree 30 Appendix I), after its mark if any.
_FORMS = tuple(sorted({*SIGNER_TITLES, *MORE_TITLES, "THỨ TRƯỞNG", "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN",
                       "PHÓ CỤC TRƯỞNG", "PHÓ VỤ TRƯỞNG", "PHÓ TỔNG CỤC TRƯỞNG",
                       # titles a letter away from those above, listed so that they are never snapped to them
                       "TỔ TRƯỞNG", "TỔ PHÓ", "ĐỘI TRƯỞNG", "TRƯỞNG ĐOÀN", "THỦ TRƯỞNG", "THƯ KÝ", "ỦY VIÊN",
                       "TRƯỞNG TRẠM", "TRƯỞNG CÔNG AN", "PHÓ TRƯỞNG ĐOÀN"}))


def _near(read: str, form: str) -> bool:
    """Folded `read` within a letter (two for a long form) of folded `form`, neither empty."""
    if len(form) < 8 or not read:
        return False
    return 0 < edit_distance(read, form) <= (1 if len(form) < 12 else 2)


def _near_or_same(read: str, form: str) -> bool:
    return bool(read) and (read == form or _near(read, form))


def _form_snapped(line: str) -> str | None:
    """An authority line whose title is one letter or two away from one printed form only ("KT. CHỦ
    TJCH", "TM. ỦY BAN NHẦN ĐÂN"): that form, its mark kept; None when the line is a form already,
    names a body ("BỘ CÔNG AN" under "KT. BỘ TRƯỞNG"), or is near none or several."""
    m = re.match(r"^((?:TM|KT|TL|TUQ|Q)\. )?(.+)$", line)
    if m is None or (m.group(1) is None and body_parses(m.group(2))):
        return None  # a body's own line (after a mark, "TM. ỦY BAN NHÂN DÂN", the body is the form)
    mark, rest = m.group(1) or "", fold(m.group(2))
    if any(rest == fold(f) for f in _FORMS):
        return None
    near = {f for f in _FORMS if _near(rest, fold(f))}
    return mark + near.pop() if len(near) == 1 else None


def _authority_lines(titles: list[Segment]) -> tuple[list[str], bool, bool, bool]:
    """The authority lines as printed, OCR specks before a line dropped ("e THỦ TRƯỞNG"), and the
    deputy's line under "KT. …" put in the form that block requires; then whether a line was changed,
    whether words were put back that were not read at all, and whether the block is whole (a
    "KT./TM./TL./TUQ." line is followed by the signer's own title, under "KT. X" the deputy's).

    Under "KT. X" the signer is X's deputy (Decree 30 Appendix I), so the block's lines say each other:
    a deputy line whose first words are lost under the seal ("TRƯỞNG THƯỜNG TRỰC" under "KT. BỘ
    TRƯỞNG") gets them back, and so does a "KT." line read as debris above "PHÓ CỤC TRƯỞNG". A joint
    document names its body between the two ("KT. BỘ TRƯỞNG" / "BỘ CÔNG AN" / "THỨ TRƯỞNG")."""
    out: list[str] = []
    snapped = restored = False
    whole = True
    deputy: str | None = None  # the title the next title line must carry, under "KT. X"
    for t in titles:
        words = t.text.split()
        if words and (m := _SPECKED_MARK.fullmatch(words[0])):
            words[0] = m.group(1)  # "_KT.", "'TM.": a speck of the seal or the signature run into the mark
        while len(words) > 1 and (len(words[0]) == 1 or not any(c.isalpha() for c in words[0])
                                  or _debris_before_title(words[0], " ".join(words[1:]))) \
                and not re.fullmatch(r"[QqTt][.,]?", words[0]):
            words = words[1:]  # a speck or a lower-case letter left of the line (seal, signature)
        line = re.sub(r"^(TM|KT|TL|TUQ|Q)\s?[.,]\s*", r"\1. ", normalise_upper(clean_value(" ".join(words))))
        if (joined := joined_mark(line)) is not None:  # "TLCHỦTỊCH": spaced as printed, a held-back repair
            line, snapped = joined, True
        for phrase in JOINED_TITLES:  # "CHỦTỊCH": a title's words run together, spaced as printed
            if phrase.replace(" ", "") in line and phrase not in line:
                line = re.sub(r"(?<![^\W\d_])" + re.escape(phrase.replace(" ", "")) + r"(?![^\W\d_])", phrase, line)
                snapped = True
        if m := _TUQ_MISREAD.match(line):
            # "TỬ. CHỦ TỊCH", "1U. CHỦ TỊCH": the small "Q" of "TUQ." lost; no other mark reads so.
            line = "TUQ. " + line[m.end():]
            snapped = True
        if deputy is not None:
            f_line, d_words = fold(line), deputy.split()
            # The deputy's title with its first words lost: "TRƯỞNG …" for "THỨ TRƯỞNG …".
            head = next((k for k in range(1, len(d_words)) if f_line == fold(" ".join(d_words[k:]))
                         or f_line.startswith(fold(" ".join(d_words[k:])) + " ")), None)
            if f_line == fold(deputy) or f_line.startswith(fold(deputy) + " "):
                fixed = deputy + line[len(deputy):]
                snapped |= fixed != line
                line = fixed
            elif head is not None:
                line = " ".join(d_words[:head]) + " " + line
                restored = True
            elif _near(f_line, fold(deputy)):
                # The deputy's title with a letter or two misread under the seal ("THỨ TRUỐNC"): the
                # form the "KT." line above requires, put back.
                line, restored = deputy, True
            elif len(words) > 1 and _near_or_same(fold(" ".join(line.split()[1:])), fold(deputy)):
                # A token of seal or signature debris left of the deputy's title, which is itself read
                # or a letter off ("ZZt, HO CHỦ TỊCH" under "KT. CHỦ TỊCH"): the form, put back.
                line, restored = deputy, True
            elif not _is_title_line(line) and body_parses(line):
                out.append(line)  # the joint document's body under "KT. BỘ TRƯỞNG"
                continue
            else:
                whole = False
            deputy = None
        elif (form := _form_snapped(line)) is not None:
            line, restored = form, True
        if m := re.match(r"^KT\. (.+)$", line):
            deputy = _DEPUTY.get(fold(m.group(1)), f"PHÓ {m.group(1)}")
        out.append(line)
    # "KT." read, its chief not ("KT. CỤC Bà he"), above the deputy "PHÓ CỤC TRƯỞNG": the chief is known.
    for i in range(len(out) - 1):
        m, dep = re.match(r"^KT\. (.+)$", out[i]), out[i + 1]
        chief = next((c for c, d in _DEPUTY.items() if fold(dep) == fold(d)), None) or \
            (dep[4:] if dep.startswith("PHÓ ") else None)
        if m and chief and fold(m.group(1)) != fold(chief) and fold(m.group(1)).split()[0] == fold(chief).split()[0]:
            out[i] = "KT. " + normalise_upper(chief.upper())
            restored = True
    if out and re.match(r"^(cong chuc|can bo|chuyen vien)\b", fold(out[0])):
        whole = False  # an officer signs by order or authority of the head: the "TL./TUQ." line was lost
    if out and fold(out[-1]) in _TITLE_FRAGMENTS:
        whole = False  # the signer's own title lost its first words ("TRƯỞNG" of "THỨ TRƯỞNG")
    if out and re.match(r"^(TM|KT|TL|TUQ)\. ", out[-1]):
        whole = False  # the signer's own title line is missing (under the seal, or not read)
        if deputy is not None:  # under "KT. X" it can only be X's deputy: put back, as not read
            out.append(deputy)
            restored = True
    return out, snapped, restored, whole


# A delegation mark with a speck of the seal or the signature run into its front ("_KT.", "'TM."):
# no printed mark starts so, the speck is not part of the line.
_SPECKED_MARK = re.compile(r"[^\w\s]*_*[^\w\s]*((?:TM|KT|TL|TUQ)[.,])")
# One word of a title, never a whole one (Decree 30 Appendix I): "TRƯỞNG" names no office until it
# says of what ("BỘ TRƯỞNG", "THỨ TRƯỞNG", "TRƯỞNG PHÒNG"); "PHÓ" is someone's deputy. A signer's
# title read so lost its other words (under the seal, the signature), whatever the words' confidence.
_TITLE_FRAGMENTS = frozenset({"truong", "pho", "tong", "chanh", "chu", "tich", "giam", "doc", "thu"})


def _chief_put_back(lines: list[str]) -> tuple[list[str], bool]:
    """A deputy signs for the head (Decree 30 Appendix I): "KT. BỘ TRƯỞNG" above "THỨ TRƯỞNG", "KT. CHỦ
    TỊCH" above "PHÓ CHỦ TỊCH" (under "TM. ỦY BAN NHÂN DÂN" too). A block whose deputy line has no
    "KT." line above it lost that line under the seal or the signature: put back, as not read (or in
    place of the garbled line that ends with the head's title). A deputy in charge ("PHÓ TRƯỞNG PHÒNG
    PHỤ TRÁCH"), one signing by order ("TL.", "TUQ.") or a biên bản's representative is left alone."""
    for i, line in enumerate(lines):
        f = fold(line)
        if "phu trach" in f:
            return lines, False
        chief = "BỘ TRƯỞNG" if f == "thu truong" or f.startswith("thu truong ") else None
        if chief is None and f.startswith("pho ") and _is_title_line(line[4:]):
            chief = re.sub(r"\s+THƯỜNG TRỰC$", "", line[4:])
        if chief is None:
            continue
        if any(re.match(r"^(KT|TL|TUQ|Q)\. ", o) or re.match(r"^\s*(dai dien|dd)\b", fold(o)) for o in lines[:i]):
            return lines, False
        if i > 0 and fold(lines[i - 1]).endswith(fold(chief)) and not fold(lines[i - 1]).startswith("tm"):
            return [*lines[:i - 1], "KT. " + chief, *lines[i:]], True
        return [*lines[:i], "KT. " + chief, *lines[i:]], True
    return lines, False


# Lines of one who signs for another (on behalf of, deputy for, by order of, authorised by): the
# signer's own title is the line below. "Q. X" is not one of them: the acting X signs as X, and
# "Q. CHỦ TỊCH" is that signer's own title (Decree 30 Appendix I).
_SIGNS_FOR = re.compile(r"^(TM|KT|TL|TUQ)\. ")


# A token no printed authority line holds (digits, brackets, slashes run into letters: "ZSG\\10"):
# the seal's ring or the signature read as text.
_DEBRIS = re.compile(r"[\d\\/<>|{}\[\]()#@$%^&*~=+_]")


def _debris_before_title(token: str, rest: str) -> bool:
    """`token` is seal or signature debris and `rest`, the line after it, starts with a known title."""
    f = fold(rest)
    return bool(_DEBRIS.search(token)) and any(f == fold(k) or f.startswith(fold(k) + " ")
                                               for k in (*SIGNER_TITLES, *MORE_TITLES))


def _title_start(seg: Segment) -> tuple[int, bool]:
    """Where the signer's own title starts on its authority line: after specks of the seal or the
    signature left of it ("__ TL. CHỦ TỊCH") and after a "TM./KT./TL./TUQ." mark; a "Q." stays.
    Then whether specks were passed over before a title that has no such mark."""
    folded = seg.folded
    at = len(folded) - len(folded.lstrip())
    tokens = list(re.finditer(r"\S+", folded))
    specks = False
    for m, nxt in zip(tokens, tokens[1:], strict=False):
        if any(c.isalpha() for c in m.group()) and (len(m.group()) > 1 or m.group() in "qt") \
                and not _debris_before_title(m.group(), folded[nxt.start():]):
            break
        at, specks = nxt.start(), True  # a speck: no letter, or one lone letter
    d = re.match(r"(tm|kt|tl|tuq)\s?[.,]\s*", folded[at:])
    return at + (d.end() if d else 0), specks and d is None


def _acting_marked(title: str) -> str:
    """"Q, CHỦ TỊCH" / "Q.CHỦ TỊCH" in the one printed form "Q. CHỦ TỊCH"."""
    return re.sub(r"^Q\s?[.,]\s*", "Q. ", title)


def _is_title_line(line: str) -> bool:
    f = fold(line)
    return any(fold(k) in f for k in (*SIGNER_TITLES, *MORE_TITLES))


_DRAFT_MARK = re.compile(r"^\W*du thao\b")


def _signer(segs: list[Segment], lead_issuer: str | None = None) -> tuple[ExtractedField, ExtractedField,
                                                                            ExtractedField]:
    """(signer title, authority lines, signer name) from the signature block of the main document.

    The main document ends on the first page that carries a signed block; what follows (an annex, an
    attached draft with its own signer, a form, a blank page where only the seal shows through) is
    not where its signer is. A joint document is signed by each issuer: its signer is the one of
    the lead issuer (`lead_issuer`, the first body of the header), whose block names that body."""
    pages = sorted({s.page for s in segs})
    # An attached draft ("DỰ THẢO" at the top of its first page) is signed by no one yet, or by whoever
    # will sign it: never the signer of the paper it is attached to. Its pages and those after it are out.
    drafts = [p for p in pages[1:] if any(s.page == p and s.top < 0.2 * s.height and _DRAFT_MARK.match(s.folded)
                                          for s in segs)]
    if drafts:
        pages = [p for p in pages if p < drafts[0]]
    found: tuple[list[Segment], Segment | None] | None = None
    several = False
    for page in pages:
        blocks = signature_blocks([s for s in segs if s.page == page])
        named = [b for b in blocks if b[1] is not None]
        if named:
            # Several signers (a biên bản, a joint document): the lead issuer's block, else the
            # first; a person confirms.
            mine = [b for b in named if lead_issuer
                    and any(fold(lead_issuer) == fold(clean_value(t.text)) for t in b[0])]
            found, several = (mine or named)[0], len(named) > 1
            break
        if blocks and found is None:
            found = blocks[-1]
    if found is None:
        return ABSENT, ABSENT, _name_beside_recipients([s for s in segs if s.page in pages])
    titles, name_seg = found
    page = titles[0].page
    known = [t for t in titles if names_office(t.folded)]
    last = known[-1] if known else titles[-1]
    offset, specked = _title_start(last)
    signer_title = field_from_words(_acting_marked(normalise_upper(clean_value(last.text[offset:]))),
                          last.words_in(offset, len(last.text)), page, format_ok=bool(known))
    if specked:
        # Something unread stands left of the title: seal debris, or the "Q." of an acting signer
        # (".-9: TRƯỞNG PHÒNG" for "Q. TRƯỞNG PHÒNG"), which would make it another title.
        signer_title = replace(signer_title, confidence=min(signer_title.confidence, CORRECTED_VALID_CAP))
    lines, snapped, restored, whole = _authority_lines(titles)
    lines, chief_back = _chief_put_back(lines)
    if lines and signer_title.value and fold(signer_title.value) != fold(lines[-1]) \
            and fold(signer_title.value).endswith(" " + fold(lines[-1])) and not _SIGNS_FOR.match(lines[-1]):
        # A speck of the seal or signature read before the title ("e THỦ TRƯỞNG"): the block's own
        # line, cleaned of it, is the title.
        signer_title = replace(signer_title, value=lines[-1])
    authority = with_checks(field_from_words(" ".join(lines), [w for t in titles for w in t.words], page, format_ok=bool(known)),
                            whole_block=whole)
    if chief_back:  # "KT. …" not read, put back from the deputy's line: a person confirms
        authority = replace(authority, confidence=min(authority.confidence, LOW_WORD_CAP))
    if specked and last is titles[0]:  # the block's first line: an unread "Q." would be part of it too
        authority = replace(authority, confidence=min(authority.confidence, CORRECTED_VALID_CAP))
    if snapped:
        authority = replace(authority, confidence=min(authority.confidence, CORRECTED_VALID_CAP))
        if signer_title.value and fold(signer_title.value) == fold(lines[-1]):
            signer_title = replace(signer_title, value=lines[-1], confidence=min(signer_title.confidence,
                                                                                  CORRECTED_VALID_CAP))
    if restored:  # words put back from the block's form, not read: a person confirms
        authority = replace(authority, confidence=min(authority.confidence, LOW_WORD_CAP))
        if lines and not re.match(r"^(TM|KT|TL|TUQ)\. ", lines[-1]):
            signer_title = replace(signer_title, value=lines[-1], confidence=min(signer_title.confidence,
                                                                                  LOW_WORD_CAP))
    elif re.match(r"^\s*kt\s?[.,]", last.folded):
        # The title taken from the "KT. X" line: the signer is X's deputy, not X.
        signer_title = with_checks(signer_title, deputy_line=False)
    if signer_title.value and fold(signer_title.value) in _TITLE_FRAGMENTS:
        signer_title = with_checks(signer_title, full_title=False)
    if signer_title.value and any(re.sub(r"^kt\W*", "", fold(ln)) == fold(signer_title.value)
                                  for ln in lines if re.match(r"^kt\b", fold(ln))):
        # "BỘ TRƯỞNG" under "KT. BỘ TRƯỞNG": one signing for the head is the head's deputy, never the
        # head (Decree 30 Appendix I); the deputy's line was not read and the head's title taken for it.
        signer_title = with_checks(signer_title, deputy_line=False)
    if name_seg is None:
        weak = damaged_name(titles, [s for s in segs if s.page == page])
        if weak is None:
            return signer_title, authority, ABSENT
        # The block's name line, read too badly to be a name (seal over it): where the name is, and
        # a reading for the person who types it, far below any signing band.
        value = clean_value(weak.text)
        return signer_title, authority, with_checks(field_from_words(value, list(weak.words), page), personal_name=False,
                                                    under_authority=True)
    text, cut = without_rank(clean_value(name_seg.text))
    lead = len(name_seg.text) - len(name_seg.text.lstrip(" .,;:-–—_|'\""))
    words = name_seg.words_in(lead + cut, len(name_seg.text)) if cut else list(name_seg.words)
    text, put_back = surname_restored(text)
    name = name_field(field_from_words(text, words, page))
    if put_back:  # letters that were not read: a person confirms
        name = replace(name, confidence=min(name.confidence, LOW_WORD_CAP))
    checks = {"personal_name": is_personal_name(name.value), "under_authority": True,
              "whole_name": whole_name(name.value)}
    if not known and _ROLE_HEADING.match(titles[0].folded):
        # A block headed by a role only ("NGƯỜI TRÌNH", "CHUYÊN VIÊN") names no office: whether its
        # signer is the paper's is a guess (a phiếu trình is signed by several in turn).
        checks["office_block"] = False
    if several:
        checks["one_signer"] = False
        authority = with_checks(authority, one_signer=False)
    return signer_title, authority, with_checks(name, **checks)


def _recipients(segs: list[Segment], first: list[Segment]) -> ExtractedField:
    """The addressees ("Kính gửi: …" of a công văn) or else the "Nơi nhận:" list, items joined by "; "."""
    for (label, pattern), pool in zip(RECIPIENT_LABELS, (first, segs), strict=True):
        at = next((i for i, s in enumerate(pool) if re.match(r"^\s*" + pattern + r"\s*[:;.]?", s.folded)), None)
        if at is None:
            continue
        head = pool[at]
        m = re.match(r"^\s*" + pattern + r"\s*[:;.]?", head.folded)
        items: list[str] = []
        words: list[Word] = []
        rest = head.text[m.end():].strip() if m else ""
        if rest:
            items.append(rest)
            words += head.words_in(m.end() if m else 0, len(head.text))
        prev = head
        # Top to bottom: Tesseract's block order can put a later item first ("- Lưu" before "- CT, …").
        below = _reading_order(sorted((s for s in pool[at + 1:] if s.page == head.page and s.top >= head.top),
                                      key=lambda s: s.top))
        for s in below:
            if s.top - prev.bottom > 1.2 * prev.line_height:
                break
            if label == "noi nhan" and s.box[0] > 0.45 * s.width:
                continue  # the signature block beside the list
            if label == "noi nhan" and s.box[2] > 0.5 * s.width:
                kept = left_column(s.words, s.width)  # the list's column of a line run into the block beside it
                if len(kept) < len(s.words):
                    s = _part(s, kept)
            if label == "noi nhan" and items and prev is not head and same_line(prev.box, s.box, prev.text, s.text):
                items[-1] += " " + s.text  # the rest of the item, cut from it at a word gap
                words += s.words
                prev = s
                continue
            bullet = s.text.lstrip().startswith(("-", "+", "•"))
            if label == "kinh gui" and not bullet and (s.box[0] < head.box[0] or (items and items[-1].rstrip().endswith("."))):
                # The body starts: left of the label, or after an addressee closed by its full stop.
                break
            items.append(s.text)
            words += s.words
            prev = s
        # An item of one letter or none is a speck of the seal or the rule beside the list.
        cleaned = [c for c in (clean_value(i).lstrip("-–+•*~ ") for i in items) if sum(ch.isalpha() for ch in c) > 1]
        value = "; ".join(cleaned)
        if value:
            field = field_from_words(value, words, head.page)
            fixed = printed_items(value)
            if fixed != value:  # a word put back in its printed form, not read so: a person confirms
                field = replace(field, value=fixed, confidence=min(field.confidence, CORRECTED_VALID_CAP))
            if label == "noi nhan":
                # Decree 30 closes the list with the file copy ("- Lưu: VT, …"): without it the list
                # was cut (a line lost under the seal, a line read elsewhere), however sure its words.
                field = with_checks(field, list_closed=fold(cleaned[-1]).startswith("luu"))
            return field
    return ABSENT


def _reading_order(segs: list[Segment]) -> list[Segment]:
    """Segments sorted by top, with pieces of one printed line left to right: a short word read a
    little lower than the rest of its line ("UBND" beside "tỉnh (b/c);") is its line's first piece,
    not an item of its own after it."""
    out = list(segs)
    for i in range(1, len(out)):
        j = i
        while j > 0 and out[j].box[2] <= out[j - 1].box[0] and _level(out[j], out[j - 1]):
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1
    return out


def _level(a: Segment, b: Segment) -> bool:
    """Either segment's middle lies within the other's span: one printed line."""
    return a.top <= (b.top + b.bottom) / 2 <= a.bottom or b.top <= (a.top + a.bottom) / 2 <= b.bottom


def _list_labelled(segs: list[Segment], first: list[Segment]) -> bool:
    for (_, pattern), pool in zip(RECIPIENT_LABELS, (first, segs), strict=True):
        if any(re.match(r"^\s*" + pattern + r"\s*[:;.]?", s.folded) for s in pool):
            return True
    return False


def _recipients_beside_block(segs: list[Segment], authority: ExtractedField) -> ExtractedField:
    """With no "Nơi nhận:" label read (small bold italic type, often lost), the dashed list where
    Decree 30 puts it: the left column level with the signature block. Its first item may have gone
    with the label, so never above LOW_WORD_CAP."""
    if authority.value is None or authority.bbox is None:
        return ABSENT
    top = authority.bbox[1]
    page = [s for s in segs if s.page == authority.page]
    if not page:
        return ABSENT
    w = page[0].width
    column = sorted((s for s in page if s.box[2] < 0.45 * w), key=lambda s: (s.top, s.box[0]))
    left = [s for s in column if s.text.lstrip().startswith(("-", "–", "—", "~"))
            and top - 2 * s.line_height <= s.top <= top + 6 * s.line_height]
    if not left:
        return ABSENT
    first = left[0]
    lh = first.line_height
    # The first item whose dash went with the lost label: a sure line closed by ";" right above the
    # first dashed item, starting where the items do.
    lost = [s for s in column if s.top < first.top and -0.5 * lh <= first.top - s.bottom <= 1.2 * lh
            and s.text.rstrip().endswith(";") and abs(s.box[0] - first.box[0]) < 2 * lh
            and min(wd.confidence for wd in s.words) >= 0.8]
    run, items = [first], [[first]]
    if lost:
        run.insert(0, lost[-1])
        items.insert(0, [lost[-1]])
    for s in column:
        if s.top <= first.top or s in run:
            continue
        if same_line(run[-1].box, s.box, run[-1].text, s.text):
            items[-1].append(s)  # the rest of an item, cut from it at a word gap
        elif s in left and s.top - run[-1].bottom <= 1.2 * run[-1].line_height:
            items.append([s])
        else:
            continue
        run.append(s)
    texts = [" ".join(piece.text for piece in item) for item in items]
    cleaned = [c for c in (clean_value(t).lstrip("-–+•*~ ") for t in texts) if sum(ch.isalpha() for ch in c) > 1]
    if not cleaned:
        return ABSENT
    value = "; ".join(cleaned)
    field = field_from_words(printed_items(value), [wd for s in run for wd in s.words], authority.page)
    field = replace(field, confidence=min(field.confidence, LOW_WORD_CAP))
    return with_checks(field, list_closed=fold(cleaned[-1]).startswith("luu"))


# ---------------------------------------------------------------- labelled fields


_NEXT_LABEL = re.compile(r"[;]|\s[a-zđ ,]{2,30}:\s|\s(gioi tinh|dan toc|quoc tich|cap ngay|ngay cap|noi cap)\b")


_UNIT_IN_ADDRESS = re.compile(r"\b((?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh|đặc khu)\s+)([^,;]+)",
                              re.IGNORECASE)


# A unit kind misread by one of its marks ("tính", "huyên", "phưởng") at the start of an address part or
# a header line, before a name of the catalogue.
_KINDS_BY_FOLD = {fold(k): k for k in ("thành phố", "thị trấn", "thị xã", "tỉnh", "huyện", "quận", "xã", "phường")}


def _unit_kinds_fixed(text: str) -> str:
    """"tính Khánh Hòa" as "tỉnh Khánh Hòa": a word (or two) at the start of an address part whose
    letters are a unit kind's but whose marks are not, followed by a unit name of the catalogue."""
    out = []
    for part in re.split(r"(,\s*)", text):
        words = part.split(" ")
        for n in (2, 1):
            head, rest = " ".join(words[:n]), " ".join(words[n:]).rstrip(" .;")
            kind = _KINDS_BY_FOLD.get(fold(head))
            if kind and head.lower() != kind and rest and is_place_name(rest):
                kind = kind.upper() if head.isupper() else kind.capitalize() if head[:1].isupper() else kind
                part = " ".join([kind, *words[n:]])
                break
        out.append(part)
    return "".join(out)


def place_names_fixed(text: str) -> str:
    """Unit names after their kind ("xã Diễn Khánh") put back in catalogue form when the name as read
    is no unit and exactly one unit's name differs from it only in diacritics ("Diên Khánh"); a kind
    misread by its marks before a unit's name ("tính Khánh Hòa") put back too."""
    def fix(m: re.Match[str]) -> str:
        name = m.group(2).strip()
        if is_place_name(name):
            return m.group(0)
        known = place_names_by_fold().get(fold(name))
        return m.group(1) + known[0] + m.group(2)[len(m.group(2).rstrip()):] if known and len(known) == 1 else m.group(0)
    return _UNIT_IN_ADDRESS.sub(fix, _unit_kinds_fixed(text))


@lru_cache(maxsize=1)
def _place_keys_by_length() -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for key in place_names_by_fold():
        out.setdefault(len(key), []).append(key)
    return {n: tuple(keys) for n, keys in out.items()}


def _near_place(name: str, place: str | None = None) -> str | None:
    """The one unit of the catalogue whose folded name is one letter off `name` (a glyph misread:
    "PHÙ CÝT" for "PHÙ CÁT"), when no unit has `name`'s letters and the name has six letters or more.
    Names with those letters but other marks ("Phù Cát", "Phú Cát") are told apart by `place`, the
    place read on the date line, when it is one of them."""
    key = " ".join(fold(name).split())
    if len(key) < 6 or key in place_names_by_fold():
        return None
    near = [k for n in (len(key) - 1, len(key), len(key) + 1) for k in _place_keys_by_length().get(n, ())
            if k.split()[0][:1] == key[:1] and edit_distance(k, key) <= 1]
    printed = place_names_by_fold()[near[0]] if len(near) == 1 else ()
    if len(printed) > 1 and place and nfc(place) in printed:
        return nfc(place)
    return printed[0] if len(printed) == 1 else None


def header_units_fixed(line: str, place: str | None = None) -> str:
    """A header line's unit name one letter off exactly one unit of the catalogue, put back as it."""
    def fix(m: re.Match[str]) -> str:
        name = m.group(2).strip()
        known = None if is_place_name(name) else _near_place(name, place)
        return m.group(1) + (known.upper() if known else name) + m.group(2)[len(m.group(2).rstrip()):]
    return _UNIT_IN_ADDRESS.sub(fix, line)


# An "A" of capitals whose apex and bar a scan broke up reads as "\\", ".\\" or ".V" (a high-contrast
# serif's thin left stroke): put back only where the word then is a Vietnamese syllable.
_BROKEN_A = re.compile(r"\.?\\|\.V(?=[^\W\d_]|\b)")


def _known_letters(word: str) -> bool:
    """`word` is a Vietnamese syllable, or the letters of one with its marks lost ("HOACH")."""
    from ocr.correct import lexicon

    return is_syllable(word) or fold(word) in lexicon().variants


def broken_a_fixed(text: str) -> str:
    """Upper-case words with a broken "A" ("SỬ.V", "T\\I", "HO\\CH") read as the syllable they make;
    one whose "A" begins a word run into the one before ("XE.VNH"), as the two."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        fixed = _BROKEN_A.sub("A", word)
        if fixed != word and _known_letters(fixed):
            return fixed
        parts = _BROKEN_A.split(word)
        if len(parts) == 2 and all(parts) and _known_letters(parts[0]) and _known_letters("A" + parts[1]):
            return f"{parts[0]} A{parts[1]}"
        return word
    return re.sub(r"[^\s,;:]*(?:\\|\.V)[^\s,;:]*", fix, text)


def _glued_number(text: str) -> str:
    """A trailing number run into the word before it ("NHUNG2" for "NHUNG 2"): a name's word is a
    syllable, never letters and digits at once."""
    return re.sub(r"(?<=\s)([^\W\d_]{2,})(\d{1,3})$", lambda m: f"{m.group(1)} {m.group(2)}"
                  if is_syllable(m.group(1)) else m.group(0), text)


def _business_name(field: ExtractedField) -> ExtractedField:
    """A business's name with a broken "A" and a run-in trailing number put right (a repair)."""
    return fixed_field(field, lambda v: _glued_number(broken_a_fixed(v)))


def _address_field(field: ExtractedField) -> ExtractedField:
    """Unit names in an address put back in catalogue form (see place_names_fixed)."""
    return fixed_field(field, place_names_fixed)


def _parent_name(segs: list[Segment], name: str) -> ExtractedField:
    return name_field(labelled_text(segs, name, stop=re.compile(r"[;:,]|\s(nam sinh|dan toc|quoc tich)\b"),
                                      check=looks_like_name))


# ---------------------------------------------------------------- document type


def detect_type(ocr: OcrResult, title: str | None, kind: str | None = None) -> str | None:
    """The type whose title keyword best matches the title (else, when no kind was found either, the
    top of page 1: a công văn's "V/v … quyết định …" line does not make it a decision)."""
    haystacks = [fold(title)] if title else []
    if ocr.pages and not (kind and not title):
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
    """Every field of the document type (plus the 8 contract fields), absent ones as null/0.0.

    A document whose kind has no declared type, or whose declared type is not in schemas, is
    extracted with the general type (GENERAL_TYPE_CODE): never refused for its kind."""
    segs = [s for p in ocr.pages for s in segments(p) if s.text.strip()]
    found: dict[str, ExtractedField] = {}
    first = _first_page(ocr, segs)
    first_page = next((p for p in ocr.pages if first and p.number == first[0].page), None)
    left, number_seg, date_seg = _header_parts(first, segs, first_page) if first_page else ([], None, None)
    found["document_number"] = _document_number(number_seg, _symbol_continuation(number_seg, first))
    found["issue_place"], found["issue_date"] = _place_and_date(date_seg)
    if date_seg is not None and found["issue_date"].value and not _header_row(date_seg, first) \
            and not _above_signature(date_seg, segs):
        # A dated line below the header and over no signature block (the permit's place): a guess.
        found["issue_date"] = replace(found["issue_date"], confidence=min(found["issue_date"].confidence,
                                                                          OFF_HEADER_DATE_CAP))
    found["issuing_authority"] = _issuing_authority(left, found["issue_place"].value)
    # A permit's date line above the signer is no part of the header: the title is above it.
    header_bottom = max((s.bottom for s in (number_seg, date_seg) if s is not None and s.page == segs[0].page
                         and s.top < 0.4 * s.height), default=0)
    keywords = [fold(k) for t in DOCUMENT_TYPES.values() for k in t.title_keywords]
    title, title_seg = _title(first, header_bottom, keywords)
    found["summary"] = _summary(first, title_seg, number_seg or (left[-1] if left else None))
    found["kind"], found["title"] = _kind(title, found["summary"])
    kind, whole = found["kind"].value, found["title"].value
    found["document_number"] = _symbol_repaired(found["document_number"], kind)
    if found["summary"].value is None:  # a form's labelled subject before a title's tail
        found["summary"] = _labelled_summary(first)
    if (found["summary"].value is None and kind and whole and whole.startswith(kind + " ")
            and not any(k in fold(whole) for k in keywords if k != fold(kind))):
        # "GIẤY PHÉP SỬ DỤNG VẬT LIỆU NỔ CÔNG NGHIỆP", "QUYẾT ĐỊNH XỬ PHẠT VI PHẠM HÀNH CHÍNH": the
        # subject is the title after its kind (a declared type's title, "GIẤY PHÉP XÂY DỰNG", is the
        # result's name, not a subject; the kind alone being a type's keyword is no such name).
        found["summary"] = replace(found["title"], value=whole[len(kind) + 1:], checks={})
        if len(whole[len(kind) + 1:].split()) <= 2:
            # "BIÊN BẢN KIỂM TRA", "BIÊN BẢN HỌP": the title's tail names the act, not the subject, which
            # a short title leaves to the lines under it (not found): a guess, never signed.
            found["summary"] = with_checks(found["summary"], subject_named=False)
    if date_seg is None and (found["kind"].value or "").startswith("BIÊN BẢN"):
        found["issue_date"] = _meeting_date(first)
    issuers = re.split(r"\s[-–]\s", found["issuing_authority"].value or "")
    lead = issuers[0] if len(issuers) > 1 and body_parses(found["issuing_authority"].value) else None
    found["signer_title"], found["signer_authority"], found["signer_name"] = _signer(segs, lead)
    found["recipients"] = _recipients(segs, first) if _list_labelled(segs, first) else \
        _recipients_beside_block(segs, found["signer_authority"])
    if found["summary"].value and (cleaned := _SPECK_TOKEN.sub(" ", found["summary"].value)) != found["summary"].value:
        # A speck read as a mark standing alone between two words ("…496-TB/TU : ngày", "Mường Bo, _
        # tỉnh"): a trích yếu prints none so. Dropped, below the signing band (the text was not read so).
        found["summary"] = replace(found["summary"], value=cleaned,
                                   confidence=min(found["summary"].confidence, CORRECTED_VALID_CAP))
    if (subject := found["summary"].value or "").startswith("về việc "):
        # The trích yếu is a sentence: "Về việc …" with its capital (a coarse page reads "V" as "v").
        # The abbreviation "v/v" is printed either way and stays as read.
        found["summary"] = replace(found["summary"], value="V" + subject[1:],
                                   confidence=min(found["summary"].confidence, CORRECTED_VALID_CAP))
    for name in ("summary", "recipients"):
        f = found[name]
        if f.value and len(f.value.split()) > LONG_TEXT_WORDS:
            found[name] = replace(f, confidence=min(f.confidence, LONG_TEXT_CAP))
    # Labelled fields are looked for in the body only: below the title, above the signature.
    body = [s for s in segs if title_seg is None or s.page > title_seg.page or s.top > title_seg.bottom]
    found["holder_name"] = read_holder_name(body)
    found["holder_birth_date"] = read_holder_birth_date(body)
    found["holder_id_number"] = read_holder_id(body)
    found["holder_address"] = _address_field(labelled_text(body, "holder_address"))
    found["registration_number"] = read_registration(body)
    found["business_name"] = _business_name(labelled_text(body, "business_name"))
    found["business_address"] = _address_field(labelled_text(body, "business_address"))
    found["marital_status"] = labelled_text(body, "marital_status")
    found["construction_site"] = _address_field(labelled_text(body, "construction_site"))
    found["total_floor_area"] = labelled_text(body, "total_floor_area", stop=re.compile(r"[;(]"),
                                               check=lambda v: bool(re.fullmatch(r"[\d.,]+ ?m2", v)))
    found["storeys"] = labelled_text(body, "storeys", stop=re.compile(r"[;,(]"), check=str.isdigit)
    found["birth_place"] = _address_field(labelled_text(body, "birth_place"))
    found["mother_name"] = _parent_name(body, "mother_name")
    found["father_name"] = _parent_name(body, "father_name")

    if document_type == "auto" or document_type not in DOCUMENT_TYPES:
        code = (detect_type(ocr, found["title"].value, found["kind"].value) if document_type == "auto" else None) or GENERAL_TYPE_CODE
    else:
        code = get_document_type(document_type).code
    names = list(get_document_type(code).field_names)
    names += [n for n in CONTRACT_FIELDS if n not in names]
    return Extraction(document_type=code, pages=len(ocr.pages), fields={n: found.get(n, ABSENT) for n in names})
