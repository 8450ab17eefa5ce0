"""The one CCCD/CMND check, document-number pattern, agency and dossier code shapes and tax-code check
(core/identifiers.py)."""

from __future__ import annotations

from datetime import date

import pytest

from core.identifiers import (
    CitizenIdKind,
    cccd_birth_year,
    check_citizen_id,
    check_tax_code,
    gender_century_digit,
    is_agency_code,
    is_cccd,
    is_citizen_id,
    is_document_number,
    is_dossier_code,
    is_tax_code,
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


# Check digit N10 = 10 - (31·N1 + 29·N2 + … + 3·N9) mod 11, worked by hand for 0312345673:
# 0·31 + 3·29 + 1·23 + 2·19 + 3·17 + 4·13 + 5·7 + 6·5 + 7·3 = 337; 337 mod 11 = 7; 10 - 7 = 3.
@pytest.mark.parametrize(("number", "ok"), [
    ("0312345673", True), ("0312345673-001", True), ("031 234 5673", True), ("0312.345.673", True),
    ("0100109106", True),  # a published enterprise code
    ("0312345678", False),  # one digit off: the check digit catches it
    ("0312345637", False),  # two digits swapped
    ("031234567", False), ("03123456731", False), ("0312345673-01", False), ("0312345673-000", False),
    ("03123456A3", False), ("", False),
])
def test_tax_code_check_digit(number: str, ok: bool) -> None:
    assert is_tax_code(number) is ok
    assert (check_tax_code(number) == "") is ok


def test_a_weighted_sum_of_0_mod_11_is_never_issued() -> None:
    # 1000000009: 1·31 + 9·3 = 58, 58 mod 11 = 3 -> 7; find a base whose remainder is 0 instead
    base = next(f"{n:09d}" for n in range(10**8, 10**8 + 1000)
                if sum(int(d) * w for d, w in zip(f"{n:09d}", (31, 29, 23, 19, 17, 13, 7, 5, 3), strict=True)) % 11 == 0)
    assert all(not is_tax_code(base + str(d)) for d in range(10))


@pytest.mark.parametrize(("code", "ok"), [
    ("000.00.15.H34-200512-0001", True), ("000.00.15.H34-200512-123456", True),
    ("ABC", False), ("000.00.15.H34-201312-0001", False),  # 13th month
    ("000.00.15.H34-200230-0001", False),  # 30 February
    ("000.00.15.h34-200512-0001", False), ("TAM.000.00.15.H34-200512-0001", False), ("", False), (None, False),
])
def test_dossier_code(code: str | None, ok: bool) -> None:
    assert is_dossier_code(code) is ok
    assert is_agency_code("000.00.15.H34") and not is_agency_code("VD.H34.HUYEN.VANNINH")
