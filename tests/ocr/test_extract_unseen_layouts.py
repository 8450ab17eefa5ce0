"""General Decree-30 layout rules for real pages the extractor has not seen (issue 12): the trích yếu,
the header's date line, the signer's authority lines, a permit's two-line title, a form's labelled
subject. Synthetic word boxes laid out like scans (tests/ocr/test_extract_general.py's Page), one rule
per test, each with the case the rule must leave alone."""

from __future__ import annotations

import pytest

from ocr.extract import OFF_HEADER_DATE_CAP
from tests.ocr.test_extract_general import Page, _extract, _header, _signed

W = 2480


def _decision(p: Page) -> Page:
    p.centred(700, "QUYẾT ĐỊNH")
    return p


# ---------------------------------------------------------------- trích yếu


def test_a_trich_yeu_is_read_past_a_seal_edge_at_the_pages_side() -> None:
    """A partial seal stamped across the page's side (giáp lai) reads as a scrap between the lines."""
    p = _decision(_header(Page()))
    p.centred(770, "Về việc phê duyệt thiết kế bản vẽ thi công")
    p.line(2380, 800, "ĐT")  # the seal's edge, right margin, between the two lines
    p.centred(830, "công trình kho chứa vật liệu nổ công nghiệp")
    p.line(350, 1000, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;")
    f = _extract(p).fields["summary"]
    assert f.value == "Về việc phê duyệt thiết kế bản vẽ thi công công trình kho chứa vật liệu nổ công nghiệp"


def test_a_line_off_the_titles_axis_still_ends_the_trich_yeu() -> None:
    """Only specks beside the column are passed over: a body line starting at the margin is no speck."""
    p = _decision(_header(Page()))
    p.centred(770, "Về việc phê duyệt thiết kế bản vẽ thi công")
    p.line(300, 830, "Điều 1.")  # left of the axis, a word: the body has begun
    p.centred(890, "tại xã Yên Thành")
    assert _extract(p).fields["summary"].value == "Về việc phê duyệt thiết kế bản vẽ thi công"


def test_a_vv_line_under_a_title_is_the_subject_even_set_apart() -> None:
    p = _header(Page(), body=("SỞ CÔNG THƯƠNG", "PHÒNG KỸ THUẬT AN TOÀN"), number="Số: 12/PTr-KTAT")
    p.centred(700, "PHIẾU TRÌNH")
    p.centred(830, "V/v thẩm định hồ sơ cấp giấy phép")  # 1.6 line heights below the title
    p.line(350, 980, "Kính gửi: Giám đốc Sở Công Thương")
    assert _extract(p).fields["summary"].value == "V/v thẩm định hồ sơ cấp giấy phép"


def test_a_vv_continuation_skips_a_margin_scrap_left_of_it() -> None:
    p = Page().line(300, 200, "UBND TỈNH LÀO CAI").line(300, 270, "SỞ CÔNG THƯƠNG")
    p.line(1300, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").line(1450, 270, "Độc lập - Tự do - Hạnh phúc")
    p.line(350, 400, "Số: 125/SCT-KTAT").line(1350, 400, "Lào Cai, ngày 5 tháng 3 năm 2026")
    p.line(300, 470, "V/v thẩm định thiết kế bản vẽ")
    p.line(20, 500, "đã")  # a margin note's scrap
    p.line(300, 530, "thi công kho chứa")
    p.centred(700, "Kính gửi: Ủy ban nhân dân tỉnh Lào Cai")
    assert _extract(p).fields["summary"].value == "V/v thẩm định thiết kế bản vẽ thi công kho chứa"


def test_a_forms_labelled_subject_is_the_summary_below_the_signing_band() -> None:
    p = _header(Page(), body=("UBND TỈNH LÀO CAI", "SỞ CÔNG THƯƠNG"), number="Số: 12/PTr-SCT")
    p.centred(700, "PHIẾU TRÌNH GIẢI QUYẾT CÔNG VIỆC")
    p.line(300, 820, "Kính gửi: Giám đốc Sở Công Thương")
    p.line(300, 900, "Trích yếu nội dung: Thẩm định hồ sơ cấp giấy phép")
    p.line(300, 960, "cho Công ty TNHH Hải Đăng")
    p.line(300, 1040, "Đơn vị trình: Phòng Kỹ thuật an toàn")
    f = _extract(p).fields["summary"]
    assert f.value == "Thẩm định hồ sơ cấp giấy phép cho Công ty TNHH Hải Đăng"
    assert f.confidence < 0.9


def test_a_labelled_subject_does_not_replace_a_printed_trich_yeu() -> None:
    p = _decision(_header(Page()))
    p.centred(770, "Về việc cấp giấy phép cho hộ gia đình")
    p.line(300, 1300, "Trích yếu: tờ trình của phòng")
    assert _extract(p).fields["summary"].value == "Về việc cấp giấy phép cho hộ gia đình"


# ---------------------------------------------------------------- title


def _permit(second: str, y: int) -> Page:
    p = _header(Page(), body=("BỘ CÔNG THƯƠNG", "CỤC HÓA CHẤT"), number="Số: 152/GP-HC",
                place_date="Hà Nội, ngày 5 tháng 3 năm 2026")
    p.centred(700, "GIẤY PHÉP")
    p.centred(y, second)
    p.line(350, 1030, "Căn cứ Nghị định số 96/2022/NĐ-CP ngày 29 tháng 11 năm 2022;")
    return p


def test_a_permits_subject_line_is_part_of_its_title_at_body_spacing() -> None:
    f = _extract(_permit("VẬN CHUYỂN HÀNG HÓA NGUY HIỂM", 800)).fields  # a line height below the kind
    assert f["title"].value == "GIẤY PHÉP VẬN CHUYỂN HÀNG HÓA NGUY HIỂM"
    assert f["summary"].value == "VẬN CHUYỂN HÀNG HÓA NGUY HIỂM"


def test_the_preamble_under_a_kind_only_title_is_not_its_subject() -> None:
    f = _extract(_permit("CỤC TRƯỞNG CỤC HÓA CHẤT", 800)).fields
    assert f["title"].value == "GIẤY PHÉP"
    assert f["summary"].value is None


# ---------------------------------------------------------------- date


def test_a_header_date_line_read_badly_is_still_the_date_line() -> None:
    """"Lào Cai, ngàv …" with its date unreadable: no date rather than a dated line further down."""
    p = _decision(_header(Page(), body=("ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI"), number="Số: 2336/QĐ-UBND",
                          place_date="Lào Cai, nàv ]Š hág 0l"))
    p.centred(770, "Về việc phê duyệt dự án")
    p.line(1350, 2600, "Lào Cai, ngày 20 tháng 12 năm 2025")  # an attached form's date line
    f = _extract(p).fields
    assert f["issue_date"].value is None
    assert f["issue_place"].value == "Lào Cai"


def test_a_dated_line_over_no_signature_is_held_below_signing() -> None:
    p = Page().line(300, 200, "ỦY BAN NHÂN DÂN").line(300, 270, "TỈNH LÀO CAI")
    p.line(1300, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").line(1450, 270, "Độc lập - Tự do - Hạnh phúc")
    p.line(350, 400, "Số: 2336/QĐ-UBND")
    _decision(p).centred(770, "Về việc phê duyệt dự án")
    p.line(1350, 2600, "Lào Cai, ngày 20 tháng 12 năm 2025")
    f = _extract(p).fields["issue_date"]
    assert f.value == "2025-12-20"
    assert f.confidence <= OFF_HEADER_DATE_CAP


def test_a_permits_date_over_its_signature_is_read_as_printed() -> None:
    p = Page().line(300, 200, "BỘ CÔNG THƯƠNG").line(300, 270, "CỤC HÓA CHẤT")
    p.line(1300, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").line(1450, 270, "Độc lập - Tự do - Hạnh phúc")
    p.line(350, 400, "Số: 152/GP-HC")
    p.centred(700, "GIẤY PHÉP VẬN CHUYỂN HÀNG HÓA NGUY HIỂM")
    p.line(1350, 1600, "Hà Nội, ngày 22 tháng 12 năm 2025")
    p.line(1550, 1700, "CỤC TRƯỞNG").line(1500, 2000, "Phùng Mạnh Ngọc")
    f = _extract(p).fields["issue_date"]
    assert f.value == "2025-12-22"
    assert f.confidence > OFF_HEADER_DATE_CAP


# ---------------------------------------------------------------- authority lines


def _block(*block: str) -> dict:
    p = _decision(_header(Page()))
    p.centred(770, "Về việc cấp giấy phép")
    return _extract(_signed(p, block, "Trần Văn Bình")).fields


@pytest.mark.parametrize(("block", "want", "title"), [
    (("TM. ỦY BAN NHÂN DAM", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
     "PHÓ CHỦ TỊCH"),
    (("KT. BỘ TRƯỞNG", "THỨ TRUỐNC"), "KT. BỘ TRƯỞNG THỨ TRƯỞNG", "THỨ TRƯỞNG"),
    (("KT. CỤC TRƯỞNG", "PHÓ CỤC TRUỞNC"), "KT. CỤC TRƯỞNG PHÓ CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG"),
])
def test_an_authority_line_a_letter_or_two_from_its_form_is_put_back_as_a_repair(
        block: tuple[str, ...], want: str, title: str) -> None:
    f = _block(*block)
    assert f["signer_authority"].value == want
    assert f["signer_title"].value == title
    assert f["signer_authority"].confidence < 0.9 and f["signer_title"].confidence < 0.9


@pytest.mark.parametrize("block", [
    ("TỔ TRƯỞNG",),  # a letter from "BỘ TRƯỞNG", and a title of its own
    ("TL. BỘ TRƯỞNG", "CỤC TRƯỞNG CỤC HÓA CHẤT"),
    ("Q. CỤC TRƯỞNG",),
    ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    ("KT. BỘ TRƯỞNG", "THỨ TRƯỞNG THƯỜNG TRỰC"),
])
def test_authority_lines_in_a_printed_form_are_left_as_read(block: tuple[str, ...]) -> None:
    f = _block(*block)
    assert f["signer_authority"].value == " ".join(block)
    assert f["signer_authority"].confidence > 0.9


def test_a_subject_without_ve_viec_set_apart_from_the_title_is_the_trich_yeu() -> None:
    """"Phê duyệt …" printed 1.3 line heights under "QUYẾT ĐỊNH", its second line at body spacing;
    the preamble in capitals under it ends it."""
    p = _decision(_header(Page()))
    p.centred(815, "Phê duyệt thiết kế bản vẽ thi công")
    p.centred(880, "kho chứa vật liệu nổ công nghiệp")
    p.centred(1000, "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN VẠN NINH")
    f = _extract(p).fields["summary"]
    assert f.value == "Phê duyệt thiết kế bản vẽ thi công kho chứa vật liệu nổ công nghiệp"


# ---------------------------------------------------------------- the trích yếu's row and its last line


def test_a_trich_yeu_line_read_as_two_pieces_of_one_row_is_read_whole() -> None:
    """Tesseract can give one printed row as two lines, the second piece a pixel higher than the first
    (so it comes first top to bottom): the row is one line of the trích yếu, not two."""
    p = _decision(_header(Page()))
    p.line(800, 771, "Về việc công")
    p.line(1150, 770, "nhận gia đình văn hóa tiêu biểu năm 2021")
    p.centred(900, "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH")
    f = _extract(p).fields["summary"]
    assert f.value == "Về việc công nhận gia đình văn hóa tiêu biểu năm 2021"


def test_two_pieces_far_apart_on_a_row_under_the_title_stay_apart() -> None:
    p = _decision(_header(Page()))
    p.centred(770, "Về việc cấp giấy phép cho hộ gia đình")
    p.line(2300, 770, "ĐT")  # a seal's edge at the page's side, level with the line
    assert _extract(p).fields["summary"].value == "Về việc cấp giấy phép cho hộ gia đình"


def test_a_vv_subject_ending_in_a_year_alone_on_its_last_line_keeps_it() -> None:
    p = Page().line(300, 200, "ỦY BAN NHÂN DÂN").line(300, 270, "PHƯỜNG TRẦN PHÚ")
    p.line(1300, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").line(1450, 270, "Độc lập - Tự do - Hạnh phúc")
    p.line(350, 400, "Số: 756/UBND").line(1350, 400, "Trần Phú, ngày 8 tháng 8 năm 2022")
    p.line(300, 460, "V/v đôn đốc thu nộp thuế sử")
    p.line(280, 515, "dụng đất phi nông nghiệp năm")
    p.line(500, 570, "2022")
    p.line(450, 720, "Kính gửi: Trưởng các thôn, tổ dân phố thuộc phường Trần Phú.")
    f = _extract(p).fields["summary"]
    assert f.value == "V/v đôn đốc thu nộp thuế sử dụng đất phi nông nghiệp năm 2022"


def test_a_decisions_subject_printed_in_capitals_under_its_kind_is_its_summary() -> None:
    """ "QUYẾT ĐỊNH" / "XỬ PHẠT VI PHẠM HÀNH CHÍNH": the line under the kind is the trích yếu, as
    "SỬ DỤNG VẬT LIỆU NỔ CÔNG NGHIỆP" is under "GIẤY PHÉP" (the kind being a type's keyword does
    not make the rest the type's own name)."""
    p = _decision(_header(Page()))
    p.centred(770, "XỬ PHẠT VI PHẠM HÀNH CHÍNH")
    p.line(350, 900, "Căn cứ Luật Xử lý vi phạm hành chính ngày 20 tháng 6 năm 2012;")
    f = _extract(p).fields
    assert f["title"].value == "QUYẾT ĐỊNH XỬ PHẠT VI PHẠM HÀNH CHÍNH"
    assert f["summary"].value == "XỬ PHẠT VI PHẠM HÀNH CHÍNH"


def test_a_declared_types_own_title_is_no_subject() -> None:
    p = _header(Page())
    p.centred(700, "GIẤY PHÉP XÂY DỰNG")
    p.line(350, 900, "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;")
    assert _extract(p).fields["summary"].value is None


# ---------------------------------------------------------------- development pages re-scanned (eighth pass)


def test_a_kt_mark_with_a_speck_run_into_it_is_the_mark_and_the_deputy_title_is_put_back() -> None:
    """A decision re-scanned at 150 dpi: "_KT. BỘ TRƯỞNG" (a speck of the signature before the mark)
    above "TRƯỞNG" (the deputy's "THỨ" lost under the seal). The mark is no debris, and "TRƯỞNG" alone
    is no title: it was "BỘ TRƯỞNG TRƯỞNG" / "TRƯỞNG" at 0.9, signed."""
    f = _block("_KT. BỘ TRƯỞNG", "TRƯỞNG")
    assert f["signer_authority"].value == "KT. BỘ TRƯỞNG THỨ TRƯỞNG"
    assert f["signer_title"].value == "THỨ TRƯỞNG"
    assert f["signer_authority"].confidence < 0.9 and f["signer_title"].confidence < 0.9


@pytest.mark.parametrize("block", [("BỘ TRƯỞNG", "TRƯỞNG"), ("TRƯỞNG",), ("TM. ỦY BAN NHÂN DÂN", "PHÓ")])
def test_a_signers_title_of_one_title_word_is_never_sure(block: tuple[str, ...]) -> None:
    f = _block(*block)
    assert f["signer_title"].confidence < 0.9 and f["signer_authority"].confidence < 0.9


@pytest.mark.parametrize(("line", "want"), [
    ("E Nguyễn Thành Sinh", "Nguyễn Thành Sinh"),  # the signature's last stroke read as a letter
    ("Nguyễn Văn A", "Nguyễn Văn A"),  # a one-letter word inside the name stays
    ("A Sáng Văn Bình", "A Sáng Văn Bình"),  # not before a family name: left as read
])
def test_a_letter_standing_alone_before_a_family_name_is_no_part_of_the_name(line: str, want: str) -> None:
    p = _decision(_header(Page()))
    p.centred(770, "Về việc cấp giấy phép")
    assert _extract(_signed(p, ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), line)).fields["signer_name"].value == want


@pytest.mark.parametrize(("block", "want", "title"), [
    (("KT. CHỦ TỊCH", "ZZt, HO CHỦ TỊCH"), "KT. CHỦ TỊCH PHÓ CHỦ TỊCH", "PHÓ CHỦ TỊCH"),  # debris, a letter off
    (("KT. BỘ TRƯỞNG", "Vx THỨ TRƯỞNG"), "KT. BỘ TRƯỞNG THỨ TRƯỞNG", "THỨ TRƯỞNG"),  # debris before the form
])
def test_debris_left_of_the_deputys_title_under_a_kt_line_is_dropped_below_the_signing_band(
        block: tuple[str, ...], want: str, title: str) -> None:
    f = _block(*block)
    assert f["signer_authority"].value == want and f["signer_title"].value == title
    assert f["signer_authority"].confidence < 0.9 and f["signer_title"].confidence < 0.9


@pytest.mark.parametrize(("line", "want"), [
    ("Về việc phê duyệt thiết kế tại xã Mường Bo, _ tỉnh Lào Cai", "Về việc phê duyệt thiết kế tại xã Mường Bo, tỉnh Lào Cai"),
    ("Về việc thực hiện Thông báo số 496-TB/TU : ngày 17/8/2023", "Về việc thực hiện Thông báo số 496-TB/TU ngày 17/8/2023"),
    ("Về việc cấp phép tuyến Hà Nội - Lào Cai", "Về việc cấp phép tuyến Hà Nội - Lào Cai"),  # a printed dash stays
])
def test_a_mark_standing_alone_in_the_trich_yeu_is_a_speck_and_dropped_below_the_signing_band(line: str, want: str) -> None:
    p = _decision(_header(Page()))
    p.centred(770, line)
    f = _extract(p).fields["summary"]
    assert f.value == want
    assert f.confidence < 0.9 or line == want


def test_a_short_titles_tail_is_no_sure_subject() -> None:
    """"BIÊN BẢN KIỂM TRA" with its subject lines not found (a phone capture): "KIỂM TRA" names the act,
    not the subject; it was given at 0.85. A long tail ("XỬ PHẠT VI PHẠM HÀNH CHÍNH") is the subject."""
    p = _header(Page())
    p.centred(700, "BIÊN BẢN KIỂM TRA")
    p.line(350, 900, "Hôm nay, ngày 31 tháng 3 năm 2026, tại hiện trường công trình")
    f = _extract(p).fields["summary"]
    assert f.value == "KIỂM TRA" and f.confidence <= 0.5
    long = _decision(_header(Page()))
    long.centred(770, "XỬ PHẠT VI PHẠM HÀNH CHÍNH")
    long.line(350, 900, "Căn cứ Luật Xử lý vi phạm hành chính ngày 20 tháng 6 năm 2012;")
    assert _extract(long).fields["summary"].confidence > 0.5


def test_the_heads_title_under_its_own_kt_line_is_never_the_signers() -> None:
    """"KT. BỘ TRƯỞNG" above a deputy line read as garbage ("THỨ 3NÑƯỜNG THƯỜNG RỂ", 100 dpi): the
    signer's title was taken as "BỘ TRƯỞNG" at 0.9; one signing for the minister is not the minister."""
    f = _block("__ KT. BỘ TRƯỞNG", "THỨ 3NÑƯỜNG THƯỜNG RỂ")  # a speck of the signature left of the mark
    assert f["signer_title"].value == "BỘ TRƯỞNG" and f["signer_title"].confidence < 0.9
    f = _block("KT. BỘ TRƯỞNG", "THỨ TRƯỞNG")
    assert f["signer_title"].value == "THỨ TRƯỞNG" and f["signer_title"].confidence > 0.9


def test_a_trich_yeu_read_with_a_small_v_gets_its_capital_below_the_signing_band() -> None:
    p = _decision(_header(Page()))
    p.centred(770, "về việc công bố thủ tục hành chính mới ban hành")
    f = _extract(p).fields["summary"]
    assert f.value == "Về việc công bố thủ tục hành chính mới ban hành" and f.confidence < 0.9
