"""OCR-tolerant readings: dates, document and ID numbers as Tesseract prints them (digit look-alikes,
split tokens). Folding and NFC are core.text; the number patterns are core.identifiers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from core.identifiers import SYMBOL_LOWER_AFTER
from core.text import fold


def is_upper_text(text: str, threshold: float = 0.85) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= threshold


# Characters Tesseract confuses with digits inside numbers.
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "i": "1", "|": "1",
                            "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9",
                            "G": "6", "b": "6", "T": "7", "A": "4"})


def digits_fixed(token: str) -> str:
    return token.translate(_DIGIT_FIX)


_DMY = re.compile(r"(?<![0-9])([0-9OoIl|]{1,2})\s?[/.\-]\s?([0-9OoIl|]{1,2})\s?[/.\-]\s?([0-9OoIl|]{4})(?![0-9])")


def _iso(d: str, m: str, y: str) -> str | None:
    try:
        return date(int(digits_fixed(y)), int(digits_fixed(m)), int(digits_fixed(d))).isoformat()
    except ValueError:
        return None


def parse_dmy(text: str) -> tuple[str | None, tuple[int, int] | None]:
    """The first dd/mm/yyyy (also dd.mm.yyyy, dd-mm-yyyy) in `text` as ISO, and its span."""
    for m in _DMY.finditer(text):
        iso = _iso(m.group(1), m.group(2), m.group(3))
        if iso and 1850 <= int(iso[:4]) <= 2100:
            return iso, m.span()
    return None, None


# On folded text: "ngày 12 tháng 5 năm 2020" with OCR slack (ngay/ngáy/ngảy, spaces inside numbers).
_VN_DATE = re.compile(
    r"n\s?g\s?[a-z]{1,2}\s*([0-9oil|]{1,2}(?:\s?[0-9])?)\s*[,.]?\s*"
    r"t\s?h\s?[a-z]{2,3}\s?n?g?\s*([0-9oil|]{1,2}(?:\s?[0-9])?)\s*[,.]?\s*"
    r"n\s?[a-z]{1,2}m?\s*([0-9oil|]{4}|[0-9]\s?[0-9]{3}|[0-9]{2}\s?[0-9]{2})")


def parse_vn_date(text: str) -> tuple[str | None, tuple[int, int] | None]:
    """'ngày 12 tháng 5 năm 2020' (diacritics optional) as ISO, and its span in `text`."""
    f = fold(text)
    for m in _VN_DATE.finditer(f):
        d, mo, y = (re.sub(r"\s", "", g) for g in m.groups())
        iso = _iso(d.upper(), mo.upper(), y.upper())
        if iso and 1900 <= int(iso[:4]) <= 2100:
            return iso, m.span()
    return None, None


def clean_document_number(raw: str) -> str:
    """Join what OCR split ('2701 / QĐ - UBND'), drop trailing punctuation, fix O/0 in the number part."""
    s = re.sub(r"\s*([/\-])\s*", r"\1", raw.strip())
    s = s.split()[0] if s.split() else ""
    s = s.strip(".,;:'\"‘’“”")
    s = s.replace("—", "-").replace("–", "-")
    head, sep, tail = s.partition("/")
    if sep:
        head = digits_fixed(head) if re.fullmatch(r"[0-9OoIlSs|]{1,6}[a-zA-Z]?", head) and any(c.isdigit() for c in head) else head
        s = head + sep + symbol_case(tail).replace("Ð", "Đ")
    return s


def symbol_case(symbol: str) -> str:
    """The symbol in capitals, except the lower-case letters Decree 30 prints after their capital
    (core.identifiers.SYMBOL_LOWER_AFTER: "CTrTT", "QyĐ"; agencies build unit symbols the same way),
    which are print, not an OCR slip; a symbol read all in lower case ("gcn-tckh") is all capitals."""
    if not any(c.isupper() for c in symbol):
        return symbol.upper()
    out: list[str] = []
    for c in symbol:
        out.append(c if out and (out[-1], c) in SYMBOL_LOWER_AFTER else c.upper())
    return "".join(out)


def clean_id_number(raw: str) -> str:
    """Digits of a CCCD/CMND as printed: spaces and dots removed, look-alike letters mapped to digits."""
    m = re.match(r"\s*([0-9OoIl|SB .]{6,24})", raw)
    if not m:
        return ""
    run = m.group(1).strip(" .")
    # The run must be mostly digits, otherwise it is a word, not a number.
    if sum(c.isdigit() for c in run) < max(6, 0.6 * len(run.replace(" ", "").replace(".", ""))):
        return ""
    return re.sub(r"[ .]", "", digits_fixed(run))


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance over characters of two strings or items of two lists (words)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]
