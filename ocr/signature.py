"""The signature block and the names in it: where a block starts (an authority line: "TM.", "KT.",
a title in capitals), where a page's signature blocks are (the authority lines, the signer's title,
the name under them), whether a line reads as a person's name or as an issuing
body, a name line damaged by the seal.

Below the extractor (ocr.extract), which reads the signer from these blocks, and the signer's second
reading (ocr.signer_lines), which finds the lines to read again the same way."""

from __future__ import annotations

import re

from core.text import fold, nfc
from core.units import place_names_by_fold
from ocr._lexicon import SIGNER_TITLES, SURNAMES
from ocr._text import is_upper_text
from ocr.labels import SIGNER_HINT
from ocr.segments import Segment, clean_value, has_page_header
from schemas.document_types import DOCUMENT_KINDS

# What an issuing body's name is made of (Decree 30 Art. 8.1): a body type first ("ỦY BAN NHÂN DÂN",
# "BỘ", "SỞ", "CỤC" …), and after a unit kind ("TỈNH", "HUYỆN", "XÃ" …) a unit of the catalogue.
_BODY_TYPES = tuple(sorted((
    "uy ban nhan dan", "ubnd", "hoi dong nhan dan", "hdnd", "bo", "so", "cuc", "tong cuc", "chi cuc", "phong",
    "ban", "van phong", "trung tam", "cong an", "toa an nhan dan", "vien kiem sat nhan dan", "truong", "dang uy",
    "hoi dong", "uy ban", "chinh phu", "thu tuong chinh phu", "vu", "thanh tra", "kho bac nha nuoc", "doan",
    "bo chi huy quan su", "bo chi huy", "benh vien", "dai hoc", "hoc vien", "vien", "chi nhanh", "tinh uy",
    "thanh uy", "huyen uy", "quan uy", "thi uy", "cong ty", "doi", "hoi", "mat tran to quoc", "lien doan lao dong",
    "bao hiem xa hoi", "ngan hang nha nuoc", "quoc hoi", "ban chap hanh", "toa an", "vien kiem sat",
), key=len, reverse=True))
_UNIT_KIND_WORDS = ("THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "ĐẶC KHU", "TỈNH", "HUYỆN", "QUẬN", "XÃ", "PHƯỜNG", "TP.", "TP")
ABBREVIATIONS = {"ubnd", "hdnd", "tp", "gd&dt", "tnhh", "cp", "mtv", "ldtb&xh", "khcn", "tw", "vn", "tt", "bch"}


def body_parses(value: str | None) -> bool:
    """Does an issuing body read as one: a body type first (after "-" for each joint issuer), every
    unit kind followed by a unit of the administrative catalogue, words that are Vietnamese syllables?
    "XÃ NGHI PHONG" (the body's first line lost) or "ỦY BAN NHÂN DÂN. HUYỆN" do not."""
    from ocr.correct import is_syllable

    if not value or re.search(r"\d|[^\w\s&.\-–]", value) or re.search(r"\.\s", value):
        return False
    def typed(text: str) -> bool:
        f = fold(text).strip()
        return any(f == b or f.startswith(b + " ") for b in _BODY_TYPES)

    issuers: list[str] = []
    for part in re.split(r"\s[-–]\s", value):  # "SỞ LAO ĐỘNG - THƯƠNG BINH …" is one issuer
        if issuers and not typed(part):
            issuers[-1] += " " + part
        else:
            issuers.append(part)
    for issuer in issuers:
        if not typed(issuer):
            return False
        tokens = issuer.split()
        for i, t in enumerate(tokens):
            if not (is_syllable(t.strip(".")) or fold(t).strip(".") in ABBREVIATIONS):
                return False
            two = " ".join(tokens[i:i + 2])
            kind = two if two in _UNIT_KIND_WORDS else t if t in _UNIT_KIND_WORDS else None
            if kind is None or (kind == "XÃ" and i + 1 < len(tokens) and tokens[i + 1] == "HỘI"):
                continue
            if i > 0 and tokens[i - 1] in ("THỊ", "ĐẶC") or (kind == t and i > 0 and f"{tokens[i - 1]} {t}" in _UNIT_KIND_WORDS):
                continue  # the second word of a two-word kind
            rest = tokens[i + len(kind.split()):]
            if not any(fold(" ".join(rest[:n])) in place_names_by_fold() for n in range(1, min(4, len(rest)) + 1)):
                return False
    return True


_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$|^[A-ZĐÀ-Ỹ]+$")
# Military and academic ranks printed before a signer's name ("Trung tá Ngô Văn Công").
_RANK = re.compile(r"^(thuong tuong|trung tuong|thieu tuong|dai tuong|dai ta|thuong ta|trung ta|thieu ta|dai uy|"
                   r"thuong uy|trung uy|thieu uy|pgs\.?\s?ts\.?|gs\.?\s?ts\.?|ts\.?|ths\.?|bs\.?|ks\.?)\s+")
# Phrases that are never part of a person's name: kinds, titles, bodies, the motto, block labels.
NOT_NAME = re.compile(r"\b(" + "|".join(sorted({fold(k) for k in DOCUMENT_KINDS} | {
    "chu tich", "giam doc", "truong phong", "thu truong", "bo truong", "cuc truong", "vu truong", "chanh van phong",
    "uy ban", "nhan dan", "cong hoa", "viet nam", "noi nhan", "xa hoi", "chu nghia", "doc lap", "hanh phuc",
    "tu do", "kinh gui", "dai dien", "thanh vien", "chu ho", "kinh doanh", "ho va ten", "ho ten", "ong ba",
    "tm", "kt", "tl", "tuq", "ky ten", "dong dau", "thanh pho", "thuong truc", "phu trach", "nguoi trinh",
    "lanh dao", "chuyen vien"}, key=len, reverse=True)) + r")\b")


def looks_like_name(text: str) -> bool:
    ws = text.split()
    return 2 <= len(ws) <= 6 and all(_NAME_WORD.match(nfc(w)) for w in ws)


def is_personal_name(text: str | None) -> bool:
    """A person's name: 2-6 capitalised Vietnamese syllables, no kind, title, body or label words
    ("QUYẾT ĐỊNH", "CHỦ TỊCH", "chủ hộ kinh doanh" are not names)."""
    from ocr.correct import is_syllable

    if not text or not looks_like_name(text):
        return False
    return all(is_syllable(w) for w in text.split()) and not NOT_NAME.search(fold(text))


def surname_restored(text: str) -> tuple[str, bool]:
    """A name whose family name lost its first letters under the seal or at a cut ("guyễn Văn Long"):
    the one common family name that ends with what was read (4 letters at least) put back."""
    first, sep, rest = text.partition(" ")
    if not sep or len(first) < 4 or not first[0].islower():
        return text, False
    ends = [s for s in SURNAMES if len(s) > len(first) and s.lower().endswith(first.lower())]
    return (ends[0] + sep + rest, True) if len(ends) == 1 else (text, False)


def name_line(s: Segment) -> str:
    """A signer's name line as a name: rank dropped, a lost family-name start put back."""
    return surname_restored(without_rank(clean_value(s.text))[0])[0]


def without_rank(text: str) -> tuple[str, int]:
    """The name line without the rank before the name ("Đại tá") or a speck of the signature left of
    it, and how many characters were cut."""
    m = _RANK.match(fold(text))
    if m:
        return text[m.end():], m.end()
    m = _SPECK_BEFORE_NAME.match(text)
    if m and fold(m.group(1)) in _SURNAME_FOLDS and len(text[m.end(0) - len(m.group(1)):].split()) >= 2:
        return text[m.end(0) - len(m.group(1)):], m.end(0) - len(m.group(1))
    return text, 0


# One letter standing alone before a family name ("E Nguyễn Thành Sinh"): the signature's last stroke
# read as a letter. No Vietnamese name starts with a one-letter word before the family name.
_SPECK_BEFORE_NAME = re.compile(r"^[^\W\d_]\s+(\S+)")
_SURNAME_FOLDS = frozenset(fold(s) for s in SURNAMES)


def whole_name(text: str | None) -> bool:
    """Not a name that lost its family name: a name of two syllables opens with a common family name
    (`SURNAMES`). A seal or a phone's shadow over the name's start left "Ngọc Thưởng" of "Phạm Ngọc
    Thưởng" (a middle and a given name, capitalised, a personal name to every other check) at 0.85.
    Three syllables and more are not judged: rarer family names ("Phùng Mạnh Ngọc") stand."""
    words = (text or "").split()
    return len(words) != 2 or fold(words[0]) in _SURNAME_FOLDS


def _is_text(s: Segment) -> bool:
    """Not a speck, a dash run or seal/signature debris."""
    letters = sum(c.isalpha() for c in s.text)
    return letters >= 2 and max(w.confidence for w in s.words) >= 0.3


def _wordy(s: Segment) -> bool:
    """Printed words, not seal or signature debris ("MU <"): most tokens are Vietnamese syllables."""
    from ocr.correct import is_syllable

    tokens = [t.strip(".,:;-") for t in s.text.split()]
    good = sum(1 for t in tokens if len(t) > 1 and is_syllable(t))
    return good >= max(1, len(tokens) / 2)


def damaged_name(titles: list[Segment], page_segs: list[Segment]) -> Segment | None:
    """The name line of a block whose name did not read as one ("Lê +ân Dũng", "an Ngọc Thướng"): the
    first line below the block, within a third of the page, overlapping it, that carries two
    capitalised syllables and no more debris than words. None when there is no such line."""
    from ocr.correct import is_syllable

    x0, x1, bottom = min(t.box[0] for t in titles), max(t.box[2] for t in titles), titles[-1].bottom
    for s in sorted(page_segs, key=lambda s: s.top):
        if not (s.top > bottom and s.top - bottom < 0.33 * s.height and s.box[0] < x1 and s.box[2] > x0):
            continue
        tokens = s.text.split()
        names = [t for t in tokens if _NAME_WORD.match(t) and is_syllable(t) and len(t) > 1]
        if len(names) >= 2 and 2 * len(names) >= len(tokens) and not is_upper_text(s.text) \
                and not NOT_NAME.search(s.folded):
            return s
    return None


def _upper_name(text: str) -> bool:
    """A personal name printed in capitals, not a body's name under "KT. BỘ TRƯỞNG" ("BỘ QUỐC PHÒNG"
    reads as three capitalised syllables too; a name starts with a family name, a body with its type)."""
    first = fold(text.split()[0]) if text.split() else ""
    surname = first in {fold(s) for s in SURNAMES}
    return is_personal_name(text) and (surname or not body_parses(text))


def signature_blocks(page_segs: list[Segment]) -> list[tuple[list[Segment], Segment | None]]:
    """(authority lines, name line or None) of each block on one page, in reading order.

    A block sits in the right half (the preamble "CHỦ TỊCH ỦY BAN NHÂN DÂN …" and the "QUYẾT ĐỊNH:"
    sub-heading are centred across the page, not in it): upper-case authority lines one under the
    other, then within a third of the page (signature and seal between) the signer's name. A biên
    bản or a joint document also signs in the left half ("ĐẠI DIỆN …", "KT. BỘ TRƯỞNG")."""
    if not page_segs:
        return []
    w = page_segs[0].width
    h = page_segs[0].height
    header_end = 0.15 * h if has_page_header(page_segs, h) else 0.03 * h  # under the page number
    blocks: list[tuple[list[Segment], Segment | None]] = []
    for side in ("right", "left"):
        if side == "right":
            column = [s for s in page_segs if s.xc > 0.55 * w and s.box[0] > 0.4 * w
                      and (_is_text(s) or joined_mark(s.text) is not None)]
        else:
            column = [s for s in page_segs if s.box[2] < 0.55 * w and s.box[0] > 0.03 * w and _is_text(s)]
        column.sort(key=lambda s: s.top)
        used: set[int] = set()
        for i, s in enumerate(column):
            if i in used or not authority_start(s, header_end) or (side == "left" and not _LEFT_BLOCK.match(s.folded)):
                continue
            lines = [s]
            j = i + 1
            # A printed line of the block, not the signature's or the seal's strokes read as capitals
            # ("NA AVV", "XU 2V"): those stand three or more print lines tall.
            while j < len(column) and is_upper_text(column[j].text) and not _upper_name(clean_value(column[j].text)) \
                    and _wordy(column[j]) and column[j].top - lines[-1].bottom < 1.5 * lines[-1].line_height \
                    and column[j].line_height < 2.5 * max(x.line_height for x in lines):
                lines.append(column[j])
                used.add(j)
                j += 1
            x0, x1 = min(x.box[0] for x in lines), max(x.box[2] for x in lines)
            below = [x for x in column[j:] if x.top - lines[-1].bottom < 0.33 * x.height
                     and x.box[0] < x1 and x.box[2] > x0]
            names = [x for x in below if is_personal_name(name_line(x))]
            # A seal's lettering can OCR as an upper-case "name"; a printed name is mixed case.
            mixed = [x for x in names if not is_upper_text(x.text)]
            name = next(iter(mixed or names), None)
            if name is not None:
                used.update(k for k, x in enumerate(column) if x is name)
            blocks.append((lines, name))
    # Reading order: rows of blocks top to bottom, each row left to right.
    blocks.sort(key=lambda b: b[0][0].top)
    rows: list[list[tuple[list[Segment], Segment | None]]] = []
    for b in blocks:
        if rows and b[0][0].top - rows[-1][0][0][0].top < 3 * b[0][0].line_height:
            rows[-1].append(b)
        else:
            rows.append([b])
    return [b for row in rows for b in sorted(row, key=lambda b: b[0][0].box[0])]


_LEFT_BLOCK = re.compile(r"^\s*(dai dien|dd\b|tm\s?[.,]|kt\s?[.,])")


# Signers' titles of ministries, courts and procuracies (beside ocr._lexicon's local-government ones).
MORE_TITLES = ("BỘ TRƯỞNG", "THỨ TRƯỞNG", "CỤC TRƯỞNG", "VỤ TRƯỞNG", "TỔNG CỤC TRƯỞNG", "VIỆN TRƯỞNG",
                "CHÁNH ÁN", "CHÁNH THANH TRA", "TRƯỞNG ĐOÀN", "CHỦ NHIỆM", "TỔNG GIÁM ĐỐC")


JOINED_TITLES = tuple(p for p in (*SIGNER_TITLES, "ỦY BAN NHÂN DÂN") if " " in p)


# Words that name an office holder ("PHÓ CHỦ TỊCH", "TRƯỞNG PHÒNG", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH").
OFFICE_WORDS = re.compile(r"\b(chu tich|giam doc|truong|pho|chanh|cong chuc|can bo|chu nhiem|bi thu|uy vien|"
                          r"chanh an|tham phan|thu ky|ke toan|chuyen vien|tong|doi truong)\b")


def names_office(folded: str) -> bool:
    """A line naming an office: a known title, or an office-holder word ("CÔNG CHỨC …" of a commune,
    which no title list holds in all its forms)."""
    return any(fold(k) in folded for k in (*SIGNER_TITLES, *MORE_TITLES)) or bool(OFFICE_WORDS.search(folded))


def joined_mark(text: str) -> str | None:
    """A delegation line read with its spaces and full stop lost ("TLCHỦTỊCH", "KT.CHỦTỊCH") in its
    printed form ("TL. CHỦ TỊCH"), or None when the text is no such line."""
    m = re.match(r"^\s*(TM|KT|TL|TUQ)[.,]?\s?(\S+)\s*$", nfc(text))
    if m is None:
        return None
    title = next((t for t in (*JOINED_TITLES, *MORE_TITLES) if t.replace(" ", "") == m.group(2)), None)
    return f"{m.group(1)}. {title}" if title and " " in title else None


def authority_start(s: Segment, header_end: float | None = None) -> bool:
    # "KT." / "TM." printed in capitals starts a block even when the seal garbles the rest of its line.
    marked = bool(re.match(r"^\s*(KT|TM|TL|TUQ)\s?[.,]\s*\S", s.text))
    joined = joined_mark(s.text) is not None  # "TLCHỦTỊCH": the line with its spaces lost
    return ((is_upper_text(s.text) or marked) and bool(SIGNER_HINT.search(s.folded)) or joined) \
        and s.top > (0.15 * s.height if header_end is None else header_end)
