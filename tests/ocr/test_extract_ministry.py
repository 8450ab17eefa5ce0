"""Misreads the `ministry` tuning family showed (ocr.calibrate SETS["dev-ministry"]), put right by
general Decree-30 rules: a unit kind misread by its mark before a unit's name, the "(để b/c)" of a
"Nơi nhận" list with "để" misread."""

from __future__ import annotations

from ocr.extract import place_names_fixed
from ocr.recipient_list import printed_items


def test_a_unit_kind_misread_by_its_mark_before_a_catalogue_name_is_put_back() -> None:
    # dev-ministry 0038: "tính Khánh Hòa" was signed at 0.966 in a business address.
    assert place_names_fixed("Thôn Mỹ Lương, xã Vạn Long, huyện Vạn Ninh, tính Khánh Hòa") == \
        "Thôn Mỹ Lương, xã Vạn Long, huyện Vạn Ninh, tỉnh Khánh Hòa"
    assert place_names_fixed("Số 5 đường Lê Lợi, phưởng Lộc Thọ, thành phố Nha Trang") == \
        "Số 5 đường Lê Lợi, phường Lộc Thọ, thành phố Nha Trang"
    assert place_names_fixed("TÍNH BÌNH ĐỊNH") == "TỈNH BÌNH ĐỊNH"  # a header line keeps its capitals
    # Only at the start of a part and only before a unit's name: other words are left alone.
    assert place_names_fixed("thôn Tây Bắc, xa xôi") == "thôn Tây Bắc, xa xôi"
    assert place_names_fixed("tính toán Khánh Hòa") == "tính toán Khánh Hòa"


def test_the_informed_superiors_item_with_its_de_misread_is_put_back() -> None:
    # dev-ministry 0008, 0012: "- Bộ trưởng (để b/c);" read "(đế b/c)".
    assert printed_items("Như Điều 3; Bộ trưởng (đế b/c); Lưu: VT, PC") == "Như Điều 3; Bộ trưởng (để b/c); Lưu: VT, PC"
    assert printed_items("UBND tỉnh (dể b/c); Lưu: VT") == "UBND tỉnh (để b/c); Lưu: VT"


def test_seal_debris_read_before_the_signers_title_is_no_part_of_it() -> None:
    from tests.ocr.test_extract_unseen_layouts import _block

    # dev-ministry 0035: the seal's ring read "ZSG\10" left of "CHỦ TỊCH".
    f = _block("TM. ỦY BAN NHÂN DÂN", "ZSG\\10 CHỦ TỊCH")
    assert f["signer_title"].value == "CHỦ TỊCH"
    assert f["signer_authority"].value == "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH"
    assert f["signer_title"].confidence < 0.9  # something unread stood there: a person confirms
    # Letters only, or no title after it: a word of the line, left as read.
    assert _block("TM. ỦY BAN NHÂN DÂN", "XYZ CHỦ TỊCH")["signer_title"].value == "XYZ CHỦ TỊCH"


def test_with_block_and_list_label_lost_the_name_beside_the_lists_closing_item_is_the_signers() -> None:
    from tests.ocr.test_extract_general import Page, _extract, _header
    from tests.ocr.test_extract_unseen_layouts import _decision

    # dev-ministry 0057, 0060: a one-line "BỘ TRƯỞNG" under the seal, the "Nơi nhận:" label garbled.
    def page(label: str) -> Page:
        p = _decision(_header(Page()))
        p.centred(770, "Về việc cấp giấy phép")
        p.line(300, 1700, label).line(300, 1770, "- Bộ trưởng (để b/c);").line(300, 1840, "- Lưu: VT, KHTC.")
        return p.line(1480, 2050, "Võ Quốc Lộc")

    f = _extract(page("nhe 3; XI")).fields
    assert f["signer_name"].value == "Võ Quốc Lộc" and f["signer_name"].confidence < 0.5
    assert f["signer_title"].value is None
    assert _extract(page("Nơi nhận:")).fields["signer_name"].value == "Võ Quốc Lộc"  # as before


def test_a_header_unit_name_read_apart_from_its_kind_is_put_back_with_it() -> None:
    from tests.ocr.test_extract_general import Page, _extract, _header

    # dev-ministry 0023: "UBND HUYỆN" and "VẬN NINH" read as two lines; the name was left as read.
    p = _header(Page(), body=("UBND HUYỆN", "VẬN NINH", "ỦY BAN NHÂN DÂN", "XÃ VẠN THỌ"),
                place_date="Vạn Thọ, ngày 12 tháng 5 năm 2020")
    p.centred(700, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN")
    f = _extract(p).fields["issuing_authority"]
    assert f.value == "UBND HUYỆN VẠN NINH ỦY BAN NHÂN DÂN XÃ VẠN THỌ" and f.confidence <= 0.85
