"""Identifiers printed on results: the citizen ID (CCCD, and the legacy CMND) and the document number.

CCCD, 12 digits (Circular 07/2016/TT-BCA Art. 7): the 3-digit code of the province where the birth
was registered, one gender/century digit, the last two digits of the birth year, a 6-digit serial.
The gender/century digit (Art. 7.2): 20th century (1900-1999) male 0, female 1; 21st (2000-2099)
male 2, female 3; 22nd (2100-2199) male 4, female 5; 23rd (2200-2299) male 6, female 7; 24th
(2300-2399) male 8, female 9. Even = male, odd = female. The province codes (Annex of the
Circular, 001 Hà Nội … 096 Cà Mau) are "0" + the old statistical code of the 63 provinces.

CMND, 9 digits: the identity card issued before CCCD; legacy papers carry it. Its structure is not
checked (it has none that ties it to the holder); it is accepted and flagged.

Document number ("số, ký hiệu", Decree 30/2020/NĐ-CP Annex I.II.3): the number, an optional
year, then the symbol, e.g. "1234/QĐ-UBND", "12/2020/QĐ-UBND", "127/UBND-XNTTHN", "45/SGDĐT-VP".
A number with one letter after it ("12a/QĐ-UBND") IS accepted: Decree 30 asks for Arabic numerals,
but registries did insert late documents as "12a", "12b", and the archive digitises the paper as
it is; rejecting the form would make a steward override every such real record. OCR gains no
false reading from it: the letters Tesseract puts for digits (O, l, S, B, g, b …) are mapped back
to digits before the check (ocr/_text.clean_document_number), so what keeps a letter is a letter.

Agency code (mã định danh of an agency, Decision 20/2020/QĐ-TTg shape), e.g. 000.00.15.H34; the
dossier code (mã hồ sơ) of the one-stop system: the receiving agency's code, the day received
(yymmdd) and a sequence number, e.g. 000.00.15.H56-200512-0001 (DOMAIN.md, "Mã hồ sơ").

Tax code (mã số thuế), which is also the enterprise code (mã số doanh nghiệp, Law on Enterprises
2020 Art. 29.1): 10 digits, the 10th a check digit over the first nine (Circular 105/2020/TT-BTC,
the N1..N10 structure), or 13 digits "NNNNNNNNNN-NNN" for a dependent unit (branch), whose first
ten are its parent's code. The check: N10 = 10 - (31·N1 + 29·N2 + 23·N3 + 19·N4 + 17·N5 + 13·N6
+ 7·N7 + 5·N8 + 3·N9) mod 11; a remainder of 0 (N10 would be 10) is a number never issued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from core.units import province_codes

__all__ = [
    "AGENCY_CODE", "CCCD_PATTERN", "CENTURY_BY_DIGIT", "DOCUMENT_NUMBER", "DOSSIER_CODE", "CitizenIdCheck",
    "CitizenIdKind", "cccd_birth_year", "check_citizen_id", "check_tax_code", "gender_century_digit",
    "is_agency_code", "is_cccd", "is_citizen_id", "is_document_number", "is_dossier_code", "is_tax_code",
]

#: A CCCD as the warehouse contract takes it (a regular expression over the whole value).
#: ASCII digits only: Python's and pydantic's \d would also take other scripts' digits.
CCCD_PATTERN = r"^[0-9]{12}$"
_CMND = re.compile(r"[0-9]{9}")
_CCCD = re.compile(r"[0-9]{12}")

#: 4th CCCD digit -> first year of the birth century (Circular 07/2016/TT-BCA Art. 7.2).
CENTURY_BY_DIGIT: dict[int, int] = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100,
                                    6: 2200, 7: 2200, 8: 2300, 9: 2300}

#: "1234/QĐ-UBND", "12a/QĐ-UBND", "12/2020/QĐ-UBND", "127/UBND-XNTTHN", "08/2021/TT-BTP": a number
#: of up to 6 digits with at most one letter, an optional 4-digit year, and a symbol of up to eight
#: dash-joined parts of capitals, Đ and digits (a joint document names every issuer:
#: "24/HDLN-BCA-BQP-BYT-BCT-BTC-VKSNDTC-TANDTC").
# A symbol's letters are capitals, but for the lower-case ones Decree 30 Appendix III prints after
# their capital: "TTr" (tờ trình), "CTr" (chương trình), "QyĐ" (quy định), "TTh" (bản thỏa thuận).
SYMBOL_LOWER_AFTER: frozenset[tuple[str, str]] = frozenset({("T", "r"), ("Q", "y"), ("T", "h")})
_SYMBOL_PART = "(?:[A-ZĐ0-9]|" + "|".join(f"(?<={a}){b}" for a, b in sorted(SYMBOL_LOWER_AFTER)) + "){1,12}"
DOCUMENT_NUMBER = re.compile(rf"^\d{{1,6}}[a-zA-Z]?(?:/\d{{4}})?/{_SYMBOL_PART}(?:-{_SYMBOL_PART}){{0,7}}$")


#: Mã định danh of an agency as used in mã hồ sơ and batches, e.g. 000.00.15.H34.
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
#: Mã hồ sơ of the one-stop system: agency code, yymmdd, sequence, e.g. 000.00.15.H56-200512-0001.
DOSSIER_CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<date>\d{6})-(?P<seq>\d{4,6})$")
_TAX_CODE = re.compile(r"(?P<main>[0-9]{10})(?:-(?P<branch>[0-9]{3}))?")
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


class CitizenIdKind(StrEnum):
    CCCD = "cccd"  # 12 digits, current
    CMND = "cmnd"  # 9 digits, legacy


@dataclass(frozen=True)
class CitizenIdCheck:
    """What the structure check found: the kind of number (None when it is neither) and, when the
    number is wrong, the reason in Vietnamese for the steward."""

    kind: CitizenIdKind | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is not None and not self.problem


def is_document_number(value: str) -> bool:
    return bool(DOCUMENT_NUMBER.match(value))


def is_cccd(number: str) -> bool:
    """Twelve digits: the shape the citizen data warehouse keys on."""
    return bool(_CCCD.fullmatch(number))


def is_citizen_id(number: str) -> bool:
    """The shape of a CCCD (12 digits) or a CMND (9 digits); no structure check."""
    return bool(_CCCD.fullmatch(number) or _CMND.fullmatch(number))


def gender_century_digit(birth_year: int, female: bool) -> int:
    """The 4th CCCD digit of someone born in `birth_year`."""
    century = birth_year // 100 * 100
    base = next(d for d, c in CENTURY_BY_DIGIT.items() if c == century)  # raises outside 1900-2399
    return base + (1 if female else 0)


def cccd_birth_year(number: str) -> int:
    """The birth year a 12-digit CCCD states (century digit + two year digits)."""
    return CENTURY_BY_DIGIT[int(number[3])] + int(number[4:6])


def check_citizen_id(number: str, birth: date | None = None) -> CitizenIdCheck:
    """The structure of a citizen ID: 12 digits with a known province code and, when the birth date
    is known, its century digit and year digits matching it. A 9-digit CMND is recognised as such."""
    number = number.replace(" ", "")
    if _CMND.fullmatch(number):
        return CitizenIdCheck(CitizenIdKind.CMND)
    if not _CCCD.fullmatch(number):
        return CitizenIdCheck(None, "số CCCD phải có 12 chữ số")
    # Province codes 001 (Hà Nội) … 096 (Cà Mau): "0" + the old statistical code.
    if number[0] != "0" or number[1:3] not in province_codes():
        return CitizenIdCheck(CitizenIdKind.CCCD, f"mã tỉnh {number[:3]} không có trong danh mục")
    if birth is not None:
        century_digit = int(number[3])
        if CENTURY_BY_DIGIT[century_digit] != birth.year // 100 * 100:
            return CitizenIdCheck(CitizenIdKind.CCCD,
                                  f"chữ số thứ 4 ({century_digit}) không khớp thế kỷ năm sinh {birth.year}")
        if number[4:6] != f"{birth.year % 100:02d}":
            return CitizenIdCheck(CitizenIdKind.CCCD,
                                  f"chữ số 5–6 ({number[4:6]}) không khớp năm sinh {birth.year}")
    return CitizenIdCheck(CitizenIdKind.CCCD)


def is_agency_code(code: str | None) -> bool:
    return bool(code and AGENCY_CODE.match(code.strip()))


def is_dossier_code(code: str | None) -> bool:
    """A mã hồ sơ of the one-stop form whose date part is a real day (yymmdd)."""
    match = DOSSIER_CODE.match(code.strip()) if code else None
    if match is None:
        return False
    try:
        datetime.strptime(match["date"], "%y%m%d")
    except ValueError:
        return False
    return True


def check_tax_code(number: str) -> str:
    """The problem with a tax code / enterprise code, in Vietnamese; "" when it is well formed.
    Spaces and dots people type between groups are ignored; a branch suffix is "-NNN"."""
    number = re.sub(r"[\s.]", "", number)
    match = _TAX_CODE.fullmatch(number)
    if match is None:
        return "mã số thuế / mã số doanh nghiệp phải có 10 chữ số (đơn vị phụ thuộc: 10 chữ số, gạch nối, 3 chữ số)"
    main = match["main"]
    remainder = sum(int(d) * w for d, w in zip(main[:9], _TAX_WEIGHTS, strict=True)) % 11
    if remainder == 0 or 10 - remainder != int(main[9]):
        return f"chữ số kiểm tra của mã số thuế {main} không đúng"
    if match["branch"] == "000":
        return "mã đơn vị phụ thuộc (3 chữ số cuối) không được là 000"
    return ""


def is_tax_code(number: str) -> bool:
    """A tax code (mã số thuế = mã số doanh nghiệp) with a correct check digit."""
    return not check_tax_code(number)
