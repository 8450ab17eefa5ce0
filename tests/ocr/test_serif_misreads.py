"""Misreads a serif face brings (issue 12), found on the "display-serif" tuning family and repaired
with general rules: the recipients label with its first letter misread, the list's abbreviations and
words one or two letters off, pieces of one list line out of order, a number whose slash or hyphen
was lost, header words run together or with a colon for the hyphen, a unit name one letter off the
catalogue, a broken capital "A", a trailing number run into its word. Every repair keeps the value
below the signing band."""

from __future__ import annotations

from ocr.correct import CORRECTED_INVALID_CAP, CORRECTED_VALID_CAP
from ocr.extract import (
    _body_type_fixed,
    _business_name,
    _document_number,
    _glued_number,
    _symbol_repaired,
    broken_a_fixed,
    header_units_fixed,
)
from ocr.fields import LOW_WORD_CAP, ExtractedField
from ocr.labels import NOI_NHAN_LABEL
from ocr.recipient_list import list_words_fixed, printed_items
from ocr.segments import segments
from tests.ocr.test_extract_general import Page, _extract, _header
from tests.ocr.test_recipient_list import _decision_page


def test_the_label_with_its_first_letter_misread_is_the_label_only_with_its_colon() -> None:
    for read in ("noi nhan:", "voi nhan:", "xoi nhan:", "noi nhan"):
        assert NOI_NHAN_LABEL.match(read), read
    for body in ("moi nhan vien", "voi nhan dan", "doi nhan"):
        assert not NOI_NHAN_LABEL.match(body), body


def test_list_abbreviations_one_or_two_letters_off_are_put_back_and_known_ones_kept() -> None:
    assert list_words_fixed("UBXD tỉnh; LUBXD huyện; UBNĐ xã") == "UBND tỉnh; UBND huyện; UBND xã"
    # Run into the next word, or two run together.
    assert list_words_fixed("UBXDtỉnh (b/c); CT, các PCFUBXND huyện") == "UBND tỉnh (b/c); CT, các PCT UBND huyện"
    # After "Lưu: VT," the drafting office's code; a mark misread in one ("LDTBXH").
    assert list_words_fixed("Lưu: VT, TXMT") == "Lưu: VT, TNMT"
    assert list_words_fixed("Lưu: VT, LDTBXH") == "Lưu: VT, LĐTBXH"
    # Known abbreviations and codes, and words that are syllables, are never changed.
    kept = "UBKT Tỉnh ủy; Sở Tư pháp; Phòng Kinh tế; Hiệu trưởng các trường THPT, THCS; Lưu: VT, HT, KTN"
    assert list_words_fixed(kept) == kept
    # A lower-case word that is no syllable, one letter off a list word.
    assert list_words_fixed("UBND tỉinh") == "UBND tỉnh"


def test_the_lists_fixed_phrases_are_put_back_from_a_serif_faces_misreads() -> None:
    printed = "Như Điều 3; UBND tỉnh (b/c); CT, các PCT UBND huyện; Lưu: VT, TNMT"
    assert printed_items(printed) == printed
    assert printed_items("Như Điều 3; UBXD tính (b e); CE, các PCT LBXND huyện; Lưu: VI,TNMT") == printed
    assert printed_items("Chủ hộ Kinh doanh; UBND cấp xa; [.ưu: V1; TCEH") == \
        "Chủ hộ kinh doanh; UBND cấp xã; Lưu: VT, TCKH"
    assert printed_items("Người được cấp; Lưu: VT; HT") == "Người được cấp; Lưu: VT, HT"
    assert printed_items("Người được cấp; Lưu: VT TCKH") == "Người được cấp; Lưu: VT, TCKH"
    # A unit kind after the body's abbreviation only ("tính" elsewhere is a word).
    assert printed_items("Các đơn vị tính toán; Lưu: VT, KT") == "Các đơn vị tính toán; Lưu: VT, KT"


def test_a_list_whose_label_was_misread_and_dashes_lost_is_read_and_held_below_the_band() -> None:
    page = _decision_page([(300, 1640, "Với nhận:"), (300, 1700, "Như Điều 3;"), (300, 1755, "UBXD tỉnh (be);"),
                           (300, 1810, "CT, các PCT UBND huyện;"), (300, 1865, "Lưu: VT, TNMT.")])
    rec = _extract(page, document_type="quyet_dinh").fields["recipients"]
    assert rec.value == "Như Điều 3; UBND tỉnh (b/c); CT, các PCT UBND huyện; Lưu: VT, TNMT"
    assert rec.confidence <= CORRECTED_VALID_CAP  # words put back, not read


def test_a_short_word_read_a_little_lower_than_its_line_stays_its_lines_first_word() -> None:
    page = _decision_page([(300, 1640, "Nơi nhận:"), (300, 1700, "- Như Điều 3;"), (300, 1762, "- UBND"),
                           (560, 1752, "tỉnh (b/c);"), (300, 1815, "- Lưu: VT, TNMT.")])
    # The page's reading put the short word "- UBND" as a line of its own, a little below its line.
    segs = [s for p in (page.build(),) for s in segments(p)]
    assert any(s.text == "- UBND" for s in segs)
    rec = _extract(page, document_type="quyet_dinh").fields["recipients"]
    assert rec.value == "Như Điều 3; UBND tỉnh (b/c); Lưu: VT, TNMT"


def _number_line(text: str) -> ExtractedField:
    p = Page().line(350, 400, text)
    seg = next(s for s in segments(p.build()) if s.text.strip())
    return _document_number(seg)


def test_a_number_whose_slash_was_read_as_a_gap_is_joined_and_held_below_the_band() -> None:
    f = _number_line("Số: 3252 QĐ-UBND")
    assert f.value == "3252/QĐ-UBND" and f.confidence <= CORRECTED_VALID_CAP
    # A sure number with its slash is no repair.
    f = _number_line("Số: 3252/QĐ-UBND")
    assert f.value == "3252/QĐ-UBND" and f.confidence > CORRECTED_VALID_CAP


def test_the_symbols_lost_hyphen_and_an_issuer_one_letter_off_are_put_back() -> None:
    def fixed(value: str, kind: str | None = "QUYẾT ĐỊNH") -> ExtractedField:
        return _symbol_repaired(ExtractedField(value, 0.95, 1, None), kind)

    f = fixed("4135/QDUBND")
    assert f.value == "4135/QĐ-UBND" and f.confidence <= LOW_WORD_CAP
    f = fixed("4135/QĐ-UBXND")
    assert f.value == "4135/QĐ-UBND" and f.confidence <= LOW_WORD_CAP
    assert fixed("317/UBND-XNTTHN", None).value == "317/UBND-XNTTHN"  # an office's code is left alone
    assert fixed("12/QĐ-UBND").confidence == 0.95


def test_header_words_run_together_or_split_by_a_colon_are_put_back() -> None:
    assert _body_type_fixed("UBNDHUYỆN PHÙ CÁT") == "UBND HUYỆN PHÙ CÁT"
    assert _body_type_fixed("PHÒNG TÀI CHÍNH: KẾ HOẠCH") == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert _body_type_fixed("PHÒNG T\\I CHÍNH") == "PHÒNG TAI CHÍNH"


def test_a_unit_name_one_letter_off_the_catalogue_is_put_back_only_when_one_unit_fits() -> None:
    # "Phù Cát" and "Phú Cát" share their letters: the date line's place tells them apart.
    assert header_units_fixed("UBND HUYỆN PHÙ CÝT", "Phù Cát") == "UBND HUYỆN PHÙ CÁT"
    assert header_units_fixed("UBND HUYỆN PHÙ CÝT") == "UBND HUYỆN PHÙ CÝT"
    assert header_units_fixed("ỦY BAN NHÂN DÂN HUYỆN VẠN NINH") == "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH"


def test_an_issuing_body_so_repaired_stays_below_the_band() -> None:
    page = _header(Page(), body=("UBNDHUYỆN PHÙ CÝT", "PHÒNG TÀI CHÍNH: KẾ HOẠCH"),
                   place_date="Phù Cát, ngày 12 tháng 5 năm 2020")
    page.centred(700, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH")
    f = _extract(page).fields["issuing_authority"]
    assert f.value == "UBND HUYỆN PHÙ CÁT PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert f.confidence <= CORRECTED_INVALID_CAP


def test_a_broken_capital_a_is_put_back_only_where_it_makes_a_syllable() -> None:
    assert broken_a_fixed("SỬ.V XE.VNH") == "SỬA XE ANH"
    assert broken_a_fixed("KẾ HO\\CH") == "KẾ HOACH"
    assert broken_a_fixed("CÔNG TY A.V") == "CÔNG TY A.V"  # "A.V" makes no syllable
    assert broken_a_fixed("VẬT LIỆU XÂY DỰNG") == "VẬT LIỆU XÂY DỰNG"


def test_a_trailing_number_run_into_a_business_names_word_is_split_off() -> None:
    assert _glued_number("VẬT LIỆU XÂY DỰNG NHUNG2") == "VẬT LIỆU XÂY DỰNG NHUNG 2"
    for kept in ("KHO A2", "CỬA HÀNG 24H", "SỐ 12", "NHUNG2"):
        assert _glued_number(kept) == kept
    f = _business_name(ExtractedField("CƠM BÌNH DÂN NHUNG2", 0.95, 1, None))
    assert f.value == "CƠM BÌNH DÂN NHUNG 2" and f.confidence <= CORRECTED_INVALID_CAP
    assert _business_name(ExtractedField("SỬA XE AN", 0.95, 1, None)).confidence == 0.95  # nothing repaired


def test_an_items_words_that_fold_to_a_printed_phrase_take_its_marks() -> None:
    from ocr.recipient_list import list_phrases_fixed

    assert list_phrases_fixed("Ngưởi được cắp; Lưu: VT, HT") == "Người được cấp; Lưu: VT, HT"
    assert list_phrases_fixed("Chủ hộ kình doanh; UBND cáp xã") == "Chủ hộ kinh doanh; UBND cấp xã"
    # Words of other letters are left as read.
    kept = "Người nhận cấp; Phòng Kinh tế; Chủ tịch UBND huyện"
    assert list_phrases_fixed(kept) == kept
