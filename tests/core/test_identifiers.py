"""The one CCCD/CMND check and the one document-number pattern (core/identifiers.py)."""

from __future__ import annotations

from datetime import date

import pytest

from core.identifiers import (
    CitizenIdKind,
    cccd_birth_year,
    check_citizen_id,
    gender_century_digit,
    is_cccd,
    is_citizen_id,
    is_document_number,
)


def test_cccd_structure_matches_birth_year() -> None:
    assert check_citizen_id("056185001234", date(1985, 3, 4)).ok
    # 4th digit 1 = female born 1900s; born 2001 needs 2 or 3
    assert "thế kỷ" in check_citizen_id("056101001234", date(2001, 1, 1)).problem
    # digits 5-6 must be the birth year's last two
    assert "năm sinh 1985" in check_citizen_id("056186001234", date(1985, 3, 4)).problem
    # unknown province code
    assert "mã tỉnh 099" in check_citizen_id("099185001234").problem
    # a legacy 9-digit CMND is recognised (the rule flags it), anything else is no ID
    assert check_citizen_id("225123456").kind is CitizenIdKind.CMND
    bad = check_citizen_id("12345")
    assert bad.kind is None and not bad.ok and "12 chữ số" in bad.problem


@pytest.mark.parametrize(("number", "birth", "ok"), [
    ("001085001234", date(1985, 1, 1), True),  # 001 Hà Nội
    ("096185001234", date(1985, 1, 1), True),  # 096 Cà Mau, female 1900s
    ("003185001234", date(1985, 1, 1), False),  # 003 is no province code
    ("097185001234", date(1985, 1, 1), False),
    ("056205001234", date(2005, 6, 1), True),  # male born 2000s
    ("056305001234", date(2005, 6, 1), True),  # female born 2000s
    ("056005001234", date(2005, 6, 1), False),  # 0 = 1900s
    # Circular 07/2016/TT-BCA Art. 7.2: 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s (never the 1800s)
    ("056405001234", date(2105, 6, 1), True),
    ("056705001234", date(2205, 6, 1), True),
    ("056805001234", date(2305, 6, 1), True),
    ("056985001234", date(1885, 6, 1), False),
])
def test_cccd_province_code_and_century_digit(number: str, birth: date, ok: bool) -> None:
    assert check_citizen_id(number, birth).ok is ok


@pytest.mark.parametrize(("year", "female", "digit"), [
    (1900, False, 0), (1999, True, 1), (2000, False, 2), (2099, True, 3), (2100, False, 4),
    (2150, True, 5), (2200, False, 6), (2299, True, 7), (2300, False, 8), (2399, True, 9),
])
def test_gender_century_digit_follows_the_circular(year: int, female: bool, digit: int) -> None:
    assert gender_century_digit(year, female) == digit
    number = f"056{digit}{year % 100:02d}001234"
    assert cccd_birth_year(number) == year
    assert check_citizen_id(number, date(year, 1, 1)).ok


def test_shapes() -> None:
    assert is_cccd("056185001234") and not is_cccd("225123456") and not is_cccd("٠٥٦١٨٥٠٠١٢٣٤")
    assert is_citizen_id("225123456") and is_citizen_id("056185001234") and not is_citizen_id("05618500123")


@pytest.mark.parametrize(("value", "ok"), [
    ("1234/QĐ-UBND", True), ("12/2020/QĐ-UBND", True), ("127/UBND-XNTTHN", True), ("45/SGDĐT-VP", True),
    ("08/2021/TT-BTP", True),
    ("12a/QĐ-UBND", True),  # a late-inserted number: accepted, see the module's docstring
    ("12ab/QĐ-UBND", False), ("QĐ-UBND", False), ("1234/qđ-ubnd", False), ("1234/QĐ-UBND.", False),
    ("1234567/QĐ-UBND", False),
    ("24/HDLN-BCA-BQP-BYT-BCT-BTC-VKSNDTC-TANDTC", True),  # a joint document: every issuer's part
    ("24/HDLN-BCA-BQP-BYT-", False),  # the symbol's first line only
])
def test_document_number(value: str, ok: bool) -> None:
    assert is_document_number(value) is ok
