"""Vietnamese text: the one NFC normalisation and the one diacritic folding every package uses.

Folding maps each character to its base letter, lower case, without tone or vowel marks, and đ to
d ("Đặng Thị Hồng" -> "dang thi hong"). It keeps ONE character per input character, so a position
in the folded text is the same position in the original (OCR matches labels on folded text and
cuts the value out of the original). `fold_words` is the same folding for comparing phrases:
punctuation becomes space and runs of space become one.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["VIETNAMESE_MARKS", "fold", "fold_words", "has_foreign_letter", "nfc", "vn_number", "vn_percent"]

#: The combining marks Vietnamese writes with after NFD: five tones (grave, acute, tilde, hook
#: above, dot below), circumflex, breve, horn. đ's stroke is its own letter, not a mark.
VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")

_FOLD_CACHE: dict[str, str] = {}


def nfc(text: str) -> str:
    """Composed form: what the database, the marker and the warehouse store (one code point per letter)."""
    return unicodedata.normalize("NFC", text)


def _fold_char(ch: str) -> str:
    out = _FOLD_CACHE.get(ch)
    if out is None:
        if ch in "đĐ":
            out = "d"
        else:
            base = unicodedata.normalize("NFD", ch)[:1] or ch
            low = base.lower()
            out = low[:1] if low else base
        _FOLD_CACHE[ch] = out
    return out


def fold(text: str) -> str:
    """Lower case without diacritics, ONE character per input character (so indices line up).

    The input must already be NFC (Tesseract output is; `nfc` otherwise)."""
    try:  # every character seen before (nearly always): a list lookup, not a call per character
        return "".join([_FOLD_CACHE[c] for c in text])
    except KeyError:
        return "".join([_fold_char(c) for c in text])


def fold_words(text: str) -> str:
    """Letters and digits only, folded, single spaces: "UBND Huyện Vạn-Ninh." -> "ubnd huyen van ninh"."""
    return " ".join(re.sub(r"[^a-z0-9]", " ", fold(nfc(text))).split())


def has_foreign_letter(text: str) -> bool:
    """A letter no Vietnamese text has ("HIƑP", "IXSÄJ"): the engine's guess, never a certain reading."""
    for ch in unicodedata.normalize("NFD", text):
        if ch.isalpha() and not (ch.isascii() or ch in "đĐ"):
            return True
        if unicodedata.combining(ch) and ch not in VIETNAMESE_MARKS:
            return True
    return False


#: Between a percentage's number and its sign: a no-break space, so "92,7 %" never wraps apart.
PERCENT_SPACE = "\u00a0"


def vn_number(value: float | int | None, digits: int = 0) -> str:
    """A number as Vietnamese readers write it: "." between thousands, "," before decimals
    (17800 -> "17.800", 0.853 with 2 digits -> "0,85"). None is "—". Every page and report uses this."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(value: float | int | None, digits: int = 1) -> str:
    """A percentage already in percent units: 92.66 -> "92,7 %" (no-break space before the sign)."""
    return "—" if value is None else f"{vn_number(value, digits)}{PERCENT_SPACE}%"


# Abbreviations agency headers print for the words of an agency's name (Decree 30/2020 Annex I).
_AGENCY_ABBREVIATIONS = {"ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "tp": "thanh pho",
                         "tx": "thi xa", "tt": "thi tran"}


def agency_key(name: str) -> str:
    """How an agency's name is compared with the catalogue: folded words, the usual abbreviations
    spelled out. "UBND huyện Vạn Ninh" and "Ủy ban nhân dân Huyện Vạn-Ninh" have one key."""
    return " ".join(_AGENCY_ABBREVIATIONS.get(w, w) for w in fold_words(name).split())
