"""Labelled values ("Họ và tên: …", "Sinh ngày: …", "Số CCCD: …", "Mã số hộ kinh doanh: …"): the
label found on a line, the value after it read up to where it ends (on following lines for a
multi-line value), and the holder's fields read so.

Below the extractor (ocr.extract) and the holder lines' second reading (ocr.holder_lines), which must
choose the same words as the value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from core.identifiers import is_citizen_id
from core.text import fold
from ocr._lexicon import surname_fixed
from ocr._text import clean_id_number, parse_dmy
from ocr.fields import ABSENT, ExtractedField, field_from_words, fixed_field, with_checks
from ocr.model import Word
from ocr.segments import Segment, clean_value
from ocr.signature import NOT_NAME, is_personal_name, looks_like_name

# (folded regex of the label, may appear mid-line). Order = preference.
_LABELS: dict[str, list[tuple[str, bool]]] = {
    "holder_name": [(r"ho,? ?chu dem,? ?(va )?ten", False), (r"ho va ten( chu ho( kinh doanh)?)?", False),
                    (r"ho ten( chu ho( kinh doanh)?)?", False), (r"ten chu ho( kinh doanh)?", False),
                    (r"chu ho( kinh doanh)?", False), (r"ong ?/ ?ba", False), (r"ong ?\( ?ba ?\)", False),
                    (r"cap cho", False), (r"chu dau tu", False)],
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


def find_label(seg: Segment, pattern: str, anywhere: bool) -> int | None:
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
    return next(_labelled_all(segs, name), None)


def _labelled_all(segs: list[Segment], name: str) -> Iterator[tuple[Segment, int, list[Segment]]]:
    """Every place a label of `name` is found, in order of label preference, then of the page."""
    for pattern, anywhere in _LABELS[name]:
        for i, s in enumerate(segs):
            end = find_label(s, pattern, anywhere)
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
            yield s, end, follow


def _value_text(seg: Segment, end: int, follow: list[Segment]) -> tuple[str, list[Word]]:
    text = seg.text[end:]
    words = seg.words_in(end, len(seg.text))
    for f in follow:
        text += " " + f.text
        words += list(f.words)
    return text, words


def labelled_text(segs: list[Segment], name: str, stop: re.Pattern[str] | None = None,
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
    value = clean_value(text)
    return field_from_words(value, words, seg.page, format_ok=check(value) if check and value else True)


def name_field(field: ExtractedField) -> ExtractedField:
    """A person's name with its family name restored."""
    return fixed_field(field, surname_fixed)


_HOLDER_STOP = re.compile(r"[;:,]|\s(gioi tinh|sinh ngay|nam sinh|ngay sinh)\b")


def read_holder_name(segs: list[Segment]) -> ExtractedField:
    """The holder's name after its label ("Họ và tên:", "Ông (bà):", "Tên chủ hộ kinh doanh:", "Chủ hộ
    kinh doanh:"). A label can stand alone as a heading ("Chủ hộ kinh doanh" above "Họ và tên: …"): a
    value that is no personal name is passed over for the next label; if none is, the first is kept
    at PLAUSIBILITY_CAP."""
    fallback: ExtractedField | None = None
    for seg, end, follow in _labelled_all(segs, "holder_name"):
        text, words = _value_text(seg, end, follow)
        m = _HOLDER_STOP.search(fold(text))
        if m:
            text = text[: m.start()]
            if m.start() <= len(seg.text) - end:
                words = seg.words_in(end, end + m.start())
        value = clean_value(text)
        if not value:
            continue
        field = name_field(field_from_words(value, words, seg.page, format_ok=looks_like_name(value)))
        plausible = is_personal_name(field.value)
        if plausible:
            return with_checks(field, personal_name=True, not_label=True)
        if fallback is None:
            fallback = with_checks(field, personal_name=False, not_label=not NOT_NAME.search(fold(value)))
    return fallback or ABSENT


def read_holder_birth_date(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "holder_birth_date")
    if not found:
        return ABSENT
    seg, end, follow = found
    text, _ = _value_text(seg, end, follow)
    iso, span = parse_dmy(text[:40])
    if iso and span:
        # span is relative to the value text; words on the label's line only (dates do not wrap).
        return field_from_words(iso, seg.words_in(end + span[0], end + span[1]) or seg.words_in(end, len(seg.text)), seg.page)
    raw = clean_value(text[:20])
    return field_from_words(raw or None, seg.words_in(end, len(seg.text))[:2], seg.page, format_ok=False)


def read_holder_id(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "holder_id_number")
    if not found:
        return ABSENT
    seg, end, follow = found
    rest = seg.text[end:]
    digits = clean_id_number(rest)
    if not digits:
        return ABSENT if not rest.strip() else field_from_words(clean_value(rest)[:20] or None, seg.words_in(end, end + 14), seg.page,
                                                      format_ok=False)
    lead = len(rest) - len(rest.lstrip())
    words = seg.words_in(end + lead, end + lead + len(digits) + rest.count(" ", lead, lead + len(digits) + 4))
    return field_from_words(digits, words, seg.page, format_ok=is_citizen_id(digits))


def read_registration(segs: list[Segment]) -> ExtractedField:
    found = _labelled(segs, "registration_number")
    if not found:
        return ABSENT
    seg, end, _ = found
    rest = seg.text[end:].strip()
    token = re.sub(r"[.,;:]+$", "", rest.split()[0]) if rest.split() else ""
    words = seg.words_in(end, len(seg.text))[:1]
    return field_from_words(token or None, words, seg.page, format_ok=bool(re.fullmatch(r"[0-9A-Z]{6,15}", token)))
