"""Unit tests of the parsers: dates, numbers, labels, CCCD digits (no tesseract)."""

from __future__ import annotations

import pytest

from core.identifiers import is_citizen_id, is_document_number
from ocr._text import clean_document_number, clean_id_number, parse_dmy, parse_vn_date
from ocr.labelled import find_label
from ocr.model import PageText, Word
from ocr.quality import PageQuality
from ocr.segments import segment_of


@pytest.mark.parametrize(("text", "iso"), [
    ("Khánh Hòa, ngày 12 tháng 5 năm 2020", "2020-05-12"),
    ("Nha Trang, ngày 02 tháng 01 năm 2019", "2019-01-02"),
    ("Đà Nẵng, ngay 8 thang 5 nam 2019", "2019-05-08"),  # diacritics lost
    ("Vạn Ninh, ngày 1 2 tháng 5 năm 2020", "2020-05-12"),  # OCR split a number
    ("Huế, ngày O3 tháng 4 năm 2021", "2021-04-03"),  # letter O for zero
    ("ngày 31 tháng 2 năm 2020", None),  # no such day
    ("không có ngày tháng", None),
])
def test_parse_vn_date(text: str, iso: str | None) -> None:
    assert parse_vn_date(text)[0] == iso


@pytest.mark.parametrize(("text", "iso"), [
    ("- Ngày sinh: 14/09/1977;", "1977-09-14"),
    ("Sinh ngày: 1/2/1990", "1990-02-01"),
    ("sinh ngày 01.10.1955", "1955-10-01"),
    ("sinh ngày 01 / 10 / 1955", "1955-10-01"),
    ("32/01/1990 rồi 05/06/1991", "1991-06-05"),  # the first valid one
    ("14/09/77", None),
])
def test_parse_dmy(text: str, iso: str | None) -> None:
    assert parse_dmy(text)[0] == iso


@pytest.mark.parametrize(("raw", "clean", "ok"), [
    ("1234/QĐ-UBND", "1234/QĐ-UBND", True),
    ("2701 / QĐ - UBND,", "2701/QĐ-UBND", True),
    ("12/2020/QĐ-UBND;", "12/2020/QĐ-UBND", True),
    ("127/UBND-XNTTHN", "127/UBND-XNTTHN", True),
    ("l27/UBND-XNTTHN", "127/UBND-XNTTHN", True),
    ("469/gcn-tckh", "469/GCN-TCKH", True),
    ("QĐ-UBND", "QĐ-UBND", False),
])
def test_document_number(raw: str, clean: str, ok: bool) -> None:
    value = clean_document_number(raw)
    assert value == clean
    assert is_document_number(value) is ok


@pytest.mark.parametrize(("raw", "digits", "ok"), [
    (" 054177148586, cấp ngày 18/07/2017", "054177148586", True),
    ("054 177 148 586", "054177148586", True),
    ("O56O55784O19", "056055784019", True),
    ("2l2345678", "212345678", True),  # 9-digit CMND
    ("05417714858", "05417714858", False),  # one digit lost
    ("Căn cước công dân", "", False),
])
def test_clean_id_number(raw: str, digits: str, ok: bool) -> None:
    value = clean_id_number(raw)
    assert value == digits
    assert is_citizen_id(value) is ok


def _seg(text: str) -> object:
    words = tuple(Word(t, 0.9, (i * 100, 0, i * 100 + 90, 40), 0, 1) for i, t in enumerate(text.split()))
    q = PageQuality(300, 500.0, 0.8, 0.05, False)
    page = PageText(1, 2480, 3508, 300, words, text, 0.9, q)
    return segment_of(list(words), page)


@pytest.mark.parametrize(("text", "pattern", "anywhere", "value"), [
    ("- Họ và tên: Dương Hồng Nhung;", r"ho va ten", False, "Dương Hồng Nhung;"),
    ("Ho va ten: Nguyen Van A", r"ho va ten", False, "Nguyen Van A"),
    ("Họ, chữ đệm, tên: HOÀNG THANH OANH", r"ho,? ?chu dem,? ?(va )?ten", False, "HOÀNG THANH OANH"),
    ("Giấy tờ tùy thân: Căn cước công dân số 079152348608", r"can cuoc cong dan so", True, "079152348608"),
    ("2. Địa điểm kinh doanh: Thôn Tân Phước", r"dia (diem|chi) kinh doanh", True, "Thôn Tân Phước"),
    ("cấp giấy xác nhận tình trạng hôn nhân cho bản thân", r"ho va ten", False, None),
])
def test_label_matching(text: str, pattern: str, anywhere: bool, value: str | None) -> None:
    seg = _seg(text)
    end = find_label(seg, pattern, anywhere)  # type: ignore[arg-type]
    if value is None:
        assert end is None
    else:
        assert end is not None
        assert seg.text[end:].strip() == value  # type: ignore[attr-defined]


def test_a_letter_no_vietnamese_text_has_is_never_certain() -> None:
    from core.text import has_foreign_letter

    assert has_foreign_letter("PHƯỜNG NINH HIƑP") and has_foreign_letter("IXSÄJ")
    for text in ("Nguyễn Thị Ánh Tuyết", "ỦY BAN NHÂN DÂN PHƯỜNG NINH HIỆP", "Cục Cảnh sát QLHC về TTXH",
                 "256,5 m2", "2288/GCN-TCKH", "Đặng Thu Hạnh"):
        assert not has_foreign_letter(text), text
    from ocr.fields import LOW_WORD_CAP, field_from_words
    from ocr.model import Word

    words = [Word("HIƑP", 0.9, (0, 0, 100, 40), 0, 1)]
    assert field_from_words("PHƯỜNG NINH HIƑP", words, 1).confidence <= LOW_WORD_CAP
