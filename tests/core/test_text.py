"""The one folding and NFC (core/text.py)."""

from __future__ import annotations

import unicodedata

from core.text import fold, fold_words, nfc


def test_fold_keeps_length_and_strips_diacritics() -> None:
    text = "Họ, chữ đệm, tên: ĐẶNG THỊ HỒNG"
    assert fold(text) == "ho, chu dem, ten: dang thi hong"
    assert len(fold(text)) == len(text)


def test_fold_words_compares_phrases_on_letters() -> None:
    assert fold_words("UBND  Huyện Vạn-Ninh.") == "ubnd huyen van ninh"
    assert fold_words(unicodedata.normalize("NFD", "Phòng Tài chính")) == "phong tai chinh"


def test_nfc_composes() -> None:
    assert nfc(unicodedata.normalize("NFD", "Khánh Hòa")) == "Khánh Hòa"
