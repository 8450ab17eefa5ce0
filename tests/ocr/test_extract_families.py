"""Signature blocks, recipient lists and header lines of the template families the first extractor
did not fit (issue 12): acting (Q.) and authorised (TUQ.) signers, a commune officer's title under
TL./TUQ., a "Nơi nhận" label read with a wrong mark, garbled body-type words of a header. Synthetic
word boxes pin each rule; the last tests read generated documents of the tuning family
"acting-preamble" with Tesseract (never the held-out family)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ocr
from ocr.calibrate import format_ok
from ocr.correct import CORRECTED_INVALID_CAP, CORRECTED_VALID_CAP
from ocr.fields import LOW_WORD_CAP, PLAUSIBILITY_CAP
from ocr.model import Word
from ocr.pages import load_pages
from samples import HELD_OUT_FAMILY, TUNING_FAMILIES, render_document
from tests.ocr.test_extract_general import Page, _extract, _header


def _signed(*block: str, left: tuple[str, ...] = ("Nơi nhận:", "- Người được cấp;", "- Lưu: VT, HT."),
            name: str = "Trần Hữu Tuấn") -> Page:
    p = _header(Page(), body=("ỦY BAN NHÂN DÂN", "XÃ NINH THỌ"), number="Số: 125/UBND-HT",
                place_date="Ninh Thọ, ngày 12 tháng 5 năm 2020")
    p.centred(700, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN")
    p.line(350, 900, "Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.")
    for i, text in enumerate(left):
        p.line(300, 1700 + 60 * i, text, h=40)
    for i, text in enumerate(block):
        p.line(1450, 1700 + 70 * i, text)
    p.line(1480, 2100, name)
    return p


@pytest.mark.parametrize(("block", "title", "authority"), [
    # An acting chairman signs as chairman: "Q." is part of the signer's own title.
    (("Q. CHỦ TỊCH",), "Q. CHỦ TỊCH", "Q. CHỦ TỊCH"),
    (("Q, TRƯỞNG PHÒNG",), "Q. TRƯỞNG PHÒNG", "Q. TRƯỞNG PHÒNG"),
    # Authorised by the chairman: the officer's own title is the line below, though no title list has it.
    (("TUQ. CHỦ TỊCH", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"), "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH",
     "TUQ. CHỦ TỊCH CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"),
    (("TL. CHỦ TỊCH", "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"), "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ",
     "TL. CHỦ TỊCH CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"),
    (("TUQ. CHỦ TỊCH", "TRƯỞNG PHÒNG TƯ PHÁP"), "TRƯỞNG PHÒNG TƯ PHÁP", "TUQ. CHỦ TỊCH TRƯỞNG PHÒNG TƯ PHÁP"),
    # The small "Q" of "TUQ." lost, a title's words run together: put back as printed.
    (("TỬ. CHỦ TỊCH", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"), "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH",
     "TUQ. CHỦ TỊCH CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"),
    (("TUQ. CHỦTỊCH", "TRƯỞNG PHÒNG TƯ PHÁP"), "TRƯỞNG PHÒNG TƯ PHÁP", "TUQ. CHỦ TỊCH TRƯỞNG PHÒNG TƯ PHÁP"),
])
def test_the_signers_own_title_under_q_tuq_and_tl_blocks(block: tuple[str, ...], title: str, authority: str) -> None:
    ex = _extract(_signed(*block))
    assert ex.fields["signer_title"].value == title
    assert ex.fields["signer_authority"].value == authority
    assert ex.fields["signer_name"].value == "Trần Hữu Tuấn"
    # The acting title passes the title check; a line signed for another does not.
    assert format_ok("signer_title", title)


def test_a_delegation_line_read_without_its_spaces_starts_the_block_as_a_held_back_repair() -> None:
    # "TL. CHỦ TỊCH" read as one word "TLCHỦTỊCH" at 0.29: the block starts there, spaced as printed.
    p = _signed("TL. CHỦ TỊCH", "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ")
    first = [w for w in p.words if w.bbox[1] == 1700 and w.bbox[0] >= 1450]
    p.words = [w for w in p.words if w not in first] + [Word("TLCHỦTỊCH", 0.29, (first[0].bbox[0], 1700,
                                                                                first[-1].bbox[2], 1750), 99, 1)]
    ex = _extract(p)
    authority = ex.fields["signer_authority"]
    assert authority.value == "TL. CHỦ TỊCH CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"
    assert authority.confidence <= CORRECTED_VALID_CAP
    assert ex.fields["signer_title"].value == "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"


def test_signature_strokes_read_as_capitals_under_the_block_are_not_an_authority_line() -> None:
    p = _signed("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    p.line(1450, 1840, "XU 2V", h=160)  # the signature, three print lines tall
    assert _extract(p).fields["signer_authority"].value == "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH"


def test_a_speck_left_of_the_tl_line_does_not_make_it_the_title() -> None:
    ex = _extract(_signed("__ TL. CHỦ TỊCH", "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"))
    assert ex.fields["signer_title"].value == "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"


@pytest.mark.parametrize("title", ["KT. CHỦ TỊCH", "TL. CHỦ TỊCH", "TUQ. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN"])
def test_a_line_signed_for_another_is_never_a_plausible_own_title(title: str) -> None:
    assert not format_ok("signer_title", title)


def test_an_officers_block_without_its_tl_line_is_not_whole() -> None:
    # The seal hid "TL. CHỦ TỊCH": a commune officer never signs in their own name for the committee.
    ex = _extract(_signed("CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"))
    authority = ex.fields["signer_authority"]
    assert authority.value == "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ" and authority.checks["whole_block"] is False
    assert authority.confidence <= PLAUSIBILITY_CAP


def test_a_speck_where_the_q_of_an_acting_title_stood_holds_the_title_back() -> None:
    ex = _extract(_signed(".-9: TRƯỞNG PHÒNG"))
    title, authority = ex.fields["signer_title"], ex.fields["signer_authority"]
    assert title.value == "TRƯỞNG PHÒNG" and title.confidence <= CORRECTED_VALID_CAP
    assert authority.value == "TRƯỞNG PHÒNG" and authority.confidence <= CORRECTED_VALID_CAP


def test_a_cut_recipients_list_is_held_at_the_plausibility_cap() -> None:
    ex = _extract(_signed("CHỦ TỊCH", left=("Nơi nhận:", "- Như Điều 3;", "- UBND tỉnh (b/c);")))
    rec = ex.fields["recipients"]
    assert rec.checks == {"list_closed": False} and rec.confidence <= PLAUSIBILITY_CAP


def test_recipients_in_the_order_printed_whatever_the_engine_order() -> None:
    p = _signed("CHỦ TỊCH", left=("Nơi nhận:", "- Như Điều 3;"))
    p.line(300, 1820 + 60, "- Lưu: VT.", h=40).line(300, 1820, "- UBND tỉnh (b/c);", h=40)
    assert _extract(p).fields["recipients"].value == "Như Điều 3; UBND tỉnh (b/c); Lưu: VT"


def test_recipients_under_a_misread_label_and_fixed_words_are_a_held_back_repair() -> None:
    ex = _extract(_signed("CHỦ TỊCH", left=("Nơi nhộn:", "ˆ", "- Như Điêu 3;", "- Chỉ cục Thuê huyện Vạn Ninh;",
                                               "- UBND tỉnh (/©);", "- Lưu: VT.")))
    rec = ex.fields["recipients"]
    assert rec.value == "Như Điều 3; Chi cục Thuế huyện Vạn Ninh; UBND tỉnh (b/c); Lưu: VT"
    assert rec.confidence <= CORRECTED_VALID_CAP
    clean = _extract(_signed("CHỦ TỊCH", left=("Nơi nhận:", "- Như Điều 3;", "- Lưu: VT."))).fields["recipients"]
    assert clean.value == "Như Điều 3; Lưu: VT" and clean.confidence > CORRECTED_VALID_CAP


@pytest.mark.parametrize(("items", "want"), [
    # The report-to mark "(b/c)" and the file copy "Lưu: VT, …" are fixed forms of Decree 30 lists.
    (("- UBND tỉnh (bíc);", "- Lưu: VT, TNMT."), "UBND tỉnh (b/c); Lưu: VT, TNMT"),
    (("- UBND tỉnh (Bb/€);", "- Lưu: VT, TNMT."), "UBND tỉnh (b/c); Lưu: VT, TNMT"),
    (("- Người yêu cầu;", "- Lưu; VT, HT."), "Người yêu cầu; Lưu: VT, HT"),
    (("- Chủ đầu tư;", "- Lưu: Vĩ, QLĐT."), "Chủ đầu tư; Lưu: VT, QLĐT"),
])
def test_the_fixed_forms_of_a_list_misread_by_one_mark_are_a_held_back_repair(items: tuple[str, ...],
                                                                                 want: str) -> None:
    rec = _extract(_signed("CHỦ TỊCH", left=("Nơi nhận:", *items))).fields["recipients"]
    assert rec.value == want and rec.confidence <= CORRECTED_VALID_CAP


def test_a_list_whose_label_was_not_read_is_found_beside_the_block_as_a_guess() -> None:
    ex = _extract(_signed("TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG", left=("- Chủ đầu tư;", "- UBND xã Ninh Thọ;", "- Lưu: VT.")))
    rec = ex.fields["recipients"]
    assert rec.value == "Chủ đầu tư; UBND xã Ninh Thọ; Lưu: VT" and rec.confidence <= LOW_WORD_CAP


def test_a_kinh_gui_addressee_closed_by_its_full_stop_ends_before_the_body() -> None:
    p = _header(Page(), number="Số: 88/UBND-VP")
    p.line(330, 540, "V/v đôn đốc thu nộp thuế sử dụng đất phi nông nghiệp")
    p.line(500, 700, "Kính gửi: Trưởng các thôn, tổ dân phố thuộc phường Trần Phú.")
    # The body's first line is indented past the label and follows at the usual line spacing.
    p.line(560, 760, "Thực hiện chỉ đạo của Ủy ban nhân dân thành phố Quy Nhơn về việc thu thuế,")
    ex = _extract(p)
    assert ex.fields["recipients"].value == "Trưởng các thôn, tổ dân phố thuộc phường Trần Phú"


@pytest.mark.parametrize(("body", "want"), [
    (("Í (Ý BAN NHÂN DÂN", "PHƯỜNG TRẦN PHÚ"), "ỦY BAN NHÂN DÂN PHƯỜNG TRẦN PHÚ"),
    (("ỦY CÁ& NHÂN DÂN", "XÃ PHƯỚC HƯNG"), "ỦY BAN NHÂN DÂN XÃ PHƯỚC HƯNG"),
    (("LUBND HUYỆN GIA LÂM", "ỦY BAN NHÂN DÂN", "XÃ ĐA TỐN"), "UBND HUYỆN GIA LÂM ỦY BAN NHÂN DÂN XÃ ĐA TỐN"),
    (("UBND/TỈNH KHÁNH HÒA", "ỦY BAN NHÂN DÂN", "THỊ XÃ NINH HÒA"),
     "UBND TỈNH KHÁNH HÒA ỦY BAN NHÂN DÂN THỊ XÃ NINH HÒA"),
    # An incoming-mail stamp's handwritten date over "ỦY", or over the superior's "UBND" (alone, or
    # run into the unit kind): the one word a superior's line has before its unit kind.
    (("27⁄12/2)Y BAN NHÂN DÂN", "THÀNH PHỐ NHA TRANG"), "ỦY BAN NHÂN DÂN THÀNH PHỐ NHA TRANG"),
    (("UEWØ TỈNH BÌNH ĐỊNH", "ỦY BAN NHÂN DÂN", "THÀNH PHỐ QUY NHƠN"),
     "UBND TỈNH BÌNH ĐỊNH ỦY BAN NHÂN DÂN THÀNH PHỐ QUY NHƠN"),
    (("UĐÑØQUẬN BA ĐÌNH", "PHÒNG TÀI CHÍNH - KẾ HOẠCH"), "UBND QUẬN BA ĐÌNH PHÒNG TÀI CHÍNH - KẾ HOẠCH"),
])
def test_garbled_body_type_words_of_a_header_are_put_back_as_a_repair(body: tuple[str, ...], want: str) -> None:
    field = _extract(_header(Page(), body=body)).fields["issuing_authority"]
    assert field.value == want and field.confidence <= CORRECTED_INVALID_CAP


@pytest.mark.parametrize("body", [("HỘI ĐỒNG NHÂN DÂN", "HUYỆN VẠN NINH"), ("TÒA ÁN NHÂN DÂN", "HUYỆN VẠN NINH"),
                                  ("VIỆN KIỂM SÁT NHÂN DÂN", "HUYỆN VẠN NINH")])
def test_a_peoples_council_court_or_procuracy_header_is_not_turned_into_a_committee(body: tuple[str, ...]) -> None:
    field = _extract(_header(Page(), body=body)).fields["issuing_authority"]
    assert field.value == " ".join(body)


def test_an_incoming_stamps_receiver_is_not_the_header_and_the_number_under_it_is_the_documents() -> None:
    p = Page()
    p.line(250, 40, "VĂN PHÒNG HĐND VÀ UBND", h=30).line(280, 90, "CÔNG VĂN ĐẾN").line(250, 150, "Số: 4512")
    # The stamp reaches down over the header and the document's own number line.
    _header(p, body=("ỦY BAN NHÂN DÂN", "XÃ NGHI PHONG"), number="Số: 88/UBND-VP")
    ex = _extract(p)
    assert ex.fields["issuing_authority"].value == "ỦY BAN NHÂN DÂN XÃ NGHI PHONG"
    assert ex.fields["document_number"].value == "88/UBND-VP"


def test_a_decision_carries_its_holders_address() -> None:
    p = _header(Page())
    p.centred(700, "QUYẾT ĐỊNH")
    p.line(350, 900, "Điều 1. Giao cho hộ ông Trần Văn An thửa đất ở.")
    p.line(350, 970, "- Họ và tên: Trần Văn An; giới tính: Nam;")
    p.line(350, 1040, "- Nơi cư trú: Thôn Tây Bắc, xã Vạn Hưng, huyện Vạn Ninh, tỉnh Khánh Hòa.")
    ex = _extract(p, document_type="quyet_dinh")
    assert ex.fields["holder_address"].value == "Thôn Tây Bắc, xã Vạn Hưng, huyện Vạn Ninh, tỉnh Khánh Hòa"


# Generated documents of the tuning family with Q./TUQ. blocks (seeds of ocr.calibrate SETS["dev-acting"]).
@pytest.mark.parametrize(("document_type", "seed", "province", "title", "authority"), [
    ("xac_nhan_tinh_trang_hon_nhan", 460_007, "Hà Nội", "Q. CHỦ TỊCH", "Q. CHỦ TỊCH"),
    ("trich_luc_khai_sinh", 460_014, "Khánh Hòa", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH",
     "TUQ. CHỦ TỊCH CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"),
])
def test_generated_acting_and_authorised_blocks_read_right(document_type: str, seed: int, province: str,
                                                            title: str, authority: str, tmp_path: Path) -> None:
    assert "acting-preamble" in TUNING_FAMILIES and HELD_OUT_FAMILY != "acting-preamble"
    pages, truth = render_document(document_type, seed=seed, damage="none", province=province,
                                   family="acting-preamble")
    assert truth["fields"]["signer_title"] == title and truth["general_fields"]["signer_authority"] == authority
    path = tmp_path / "scan.png"  # written and read back as intake reads a scan
    pages[0].save(path, dpi=pages[0].info["dpi"])
    ex = ocr.extract_fields(ocr.ocr_pages(load_pages(path), workers=1), document_type)
    assert ex.fields["signer_title"].value == title
    assert ex.fields["signer_authority"].value == authority
    assert ex.fields["recipients"].value == truth["general_fields"]["recipients"]
