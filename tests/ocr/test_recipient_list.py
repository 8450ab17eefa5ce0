"""The "Nơi nhận:" list read again from its own crop (ocr.recipient_list, issue 12): where the list is
(from the page's first reading, by the form Decree 30 gives it), which reading of each line is kept,
and a generated document of a tuning family whose list the page's reading garbled (never the
held-out family)."""

from __future__ import annotations

from dataclasses import replace as rl_replace
from pathlib import Path

import ocr
from ocr.calibrate import _render, truth_fields
from ocr.fields import LOW_WORD_CAP
from ocr.model import Word
from ocr.recipient_list import _best_lines, find_list, printed_items
from samples import HELD_OUT_FAMILY, TUNING_FAMILIES
from tests.ocr.test_extract_general import Page


def _line(text: str, y: int, conf: float | list[float] = 0.95, x: int = 300, h: int = 40) -> list[Word]:
    confs = conf if isinstance(conf, list) else [conf] * len(text.split())
    out, pos = [], x
    for t, c in zip(text.split(), confs, strict=True):
        width = 20 * len(t) + 8
        out.append(Word(t, c, (pos, y, pos + width, y + h), 0, 1))
        pos += width + 18
    return out


def _texts(lines: list[list[Word]]) -> list[str]:
    return [" ".join(w.text for w in ln) for ln in lines]


def test_each_line_is_taken_from_its_surest_reading() -> None:
    page = [_line("Nơi nhận:", 100), _line("- Chủ hộ kinh doanh;", 150), _line("5iLLU)2 VI; LC", 200, [0.0, 0.45, 0.2])]
    other = [_line("Nơi nhận:", 100), _line("- Chủ hộ kính doanh;", 150, [0.9, 0.9, 0.62, 0.9, 0.9]),
             _line("- Lưu: VT, TCKH.", 200, 0.92)]
    assert _texts(_best_lines([page, other])) == ["Nơi nhận:", "- Chủ hộ kinh doanh;", "- Lưu: VT, TCKH."]


def test_a_label_run_into_the_first_item_loses_to_the_two_lines_read_apart() -> None:
    merged = [_line("de Si cấp;", 100, [0.0, 0.0, 0.97], h=90), _line("- Lưu: VT, HT.", 200, 0.9)]
    apart = [_line("Nơi nhận:", 100), _line("- Người được cấp;", 150), _line("- Lưu: VT, HT.", 200, 0.93)]
    assert _texts(_best_lines([merged, apart])) == ["Nơi nhận:", "- Người được cấp;", "- Lưu: VT, HT."]


def test_a_sure_piece_of_a_line_does_not_beat_the_whole_line() -> None:
    piece = [_line("- Người", 150, 0.96)]
    whole = [_line("- Người được cấp;", 150, [0.9, 0.9, 0.7, 0.9])]
    assert _texts(_best_lines([piece, whole])) == ["- Người được cấp;"]


def test_specks_left_of_a_line_lose_a_tie() -> None:
    specked = [_line("Ị Nơi nhận:", 100, [0.4, 0.95, 0.95], x=270)]
    clean = [_line("Nơi nhận:", 100, 0.95)]
    assert _texts(_best_lines([specked, clean])) == ["Nơi nhận:"]


def _signed_page(left: tuple[str, ...]) -> Page:
    p = Page()
    p.line(350, 1500, "trách nhiệm thi hành Quyết định này./. và các cơ quan có liên quan khác nữa")
    for i, text in enumerate(left):
        p.line(300, 1700 + 55 * i, text, h=40)
    p.line(1450, 1690, "KT. CHỦ TỊCH").line(1450, 1760, "PHÓ CHỦ TỊCH").line(1480, 2100, "Trần Hữu Tuấn")
    return p


def test_the_list_is_found_by_its_label_and_cut_before_the_signature_block() -> None:
    page = _signed_page(("Nơi nhận:", "- Như Điều 3;", "- UBND tỉnh (b/c);", "- Lưu: VT, TNMT.")).build()
    box = find_list(list(page.words), page.width, page.height)
    assert box is not None
    x0, y0, x1, y1 = box
    assert x0 == 0 and 800 < x1 <= min(1450, page.width // 2)  # past the items, before the block
    assert y0 < 1700 and y1 > 1700 + 55 * 3 + 40  # the label and every item
    assert y0 > 1500 + 50  # not the body line above, which runs across the page


def test_a_list_whose_label_and_first_item_were_lost_is_found_beside_the_block() -> None:
    page = _signed_page(("de Si cấp;", "- Lưu: VT, HT.")).build()
    box = find_list(list(page.words), page.width, page.height)
    assert box is not None and box[1] < 1700 < 1755 + 40 < box[3]


def test_a_page_without_a_list_has_nothing_to_read_again() -> None:
    p = Page()
    p.line(350, 900, "Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.")
    p.line(350, 960, "- Họ và tên: Trần Văn An; giới tính: Nam;")
    page = p.build()
    assert find_list(list(page.words), page.width, page.height) is None


def test_a_generated_list_the_pages_reading_garbled_reads_right(tmp_path: Path) -> None:
    # A tuning-family document (ocr.calibrate SETS["dev-families"], index 20) whose label and first
    # item the page's reading ran together into "de Si cấp;" and whose "Lưu" line it read as "Lưu:VT.NT".
    assert "acting-preamble" in TUNING_FAMILIES and HELD_OUT_FAMILY != "acting-preamble"
    spec = {"document_type": "xac_nhan_tinh_trang_hon_nhan", "seed": 410_020, "damage": "medium", "dpi": None,
            "province": "Khánh Hòa", "family": "acting-preamble"}
    pages, truth = _render(spec, tmp_path)
    ex = ocr.extract_fields(ocr.ocr_pages(pages, workers=1), spec["document_type"])
    assert ex.fields["recipients"].value == truth_fields(truth)["recipients"] == "Người được cấp; Lưu: VT, HT"


def test_a_line_crossing_the_gutter_keeps_the_pages_reading(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    import ocr.recipient_list as rl
    from ocr.preprocess import Prepared

    page = _signed_page(("Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, TNMT.")).build()
    # A paragraph's last line just above the list, from the margin to past the gutter, not full width.
    centred = [rl.replace(w, line=99) for w in _line("Ghi nhận thi hành Quyết định này và các bên nữa", 1640)]
    words = list(page.words) + centred
    box = rl.find_list(words, page.width, page.height)
    assert box is not None and box[1] < 1640 and box[2] < centred[-1].bbox[2] < 0.55 * page.width
    # The crop's reading gives the left part of the centred line, and the list.
    crop_lines = [[rl.replace(w, confidence=0.97, bbox=(w.bbox[0] + 20 - box[0], w.bbox[1] + 20 - box[1],
                                                        w.bbox[2] + 20 - box[0], w.bbox[3] + 20 - box[1]))
                   for w in ln if w.bbox[2] < box[2]]
                  for ln in (centred, *[[w for w in page.words if w.bbox[1] == y] for y in (1700, 1755, 1810)])]
    monkeypatch.setattr(rl, "_read", lambda crop, scale, **kw: [ln for ln in crop_lines if ln])
    prep = Prepared(np.full((page.height, page.width), 255, dtype=np.uint8), 1.0, 0.0,
                    np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    out = rl.reread_list(words, prep, page.width, page.height, dpi=300)
    assert all(w in out for w in centred)  # the page's reading of the crossing line, whole
    assert sum(1 for w in out if w.text == "Ghi") == 1


def test_the_lists_fixed_words_are_put_back_from_their_misreads_and_printed_ones_left_alone() -> None:
    printed = "Như Điều 3; UBND tỉnh (b/c); CT, các PCT UBND huyện; Lưu: VT, TNMT"
    assert printed_items(printed) == printed
    assert printed_items("Nhu Điểu 3; UBND tỉnh (b/e]; CT, cac PCT UBND huyện; Lưu; YT, TNMT") == printed
    assert printed_items("Bộ trưởng (để bíc); Như trẽn; Lưu, VĨ, Vụ PC") == "Bộ trưởng (để b/c); Như trên; Lưu: VT, Vụ PC"
    # Words that only look like the list's: an article cited without "Như", a unit that is no file copy.
    assert printed_items("Điểu 3 Luật Đất đai; Lưu trữ tỉnh") == "Điểu 3 Luật Đất đai; Lưu trữ tỉnh"


def _decision_page(left: list[tuple[int, int, str]]) -> Page:
    from tests.ocr.test_extract_general import _header

    p = _header(Page())
    p.centred(700, "QUYẾT ĐỊNH").centred(770, "Về việc công nhận gia đình văn hóa tiêu biểu năm 2019")
    p.line(350, 1500, "trách nhiệm thi hành Quyết định này./. và các cơ quan có liên quan khác nữa")
    for x, y, text in left:
        p.line(x, y, text, h=40)
    p.line(1450, 1690, "KT. CHỦ TỊCH").line(1450, 1760, "PHÓ CHỦ TỊCH").line(1480, 2100, "Trần Hữu Tuấn")
    return p


def test_an_item_the_pages_reading_cut_at_a_word_gap_is_one_item() -> None:
    from tests.ocr.test_extract_general import _extract

    # "- UBND cấp xã;" read as two lines level with each other: a short upper-case word's low height
    # made its gap to "cấp" look wide.
    page = _decision_page([(300, 1640, "Nơi nhận:"), (300, 1700, "- Chủ hộ kinh doanh;"), (300, 1755, "- UBND"),
                           (560, 1758, "cấp xã;"), (300, 1810, "- Lưu: VT, TCKH.")])
    rec = _extract(page, document_type="quyet_dinh").fields["recipients"]
    assert rec.value == "Chủ hộ kinh doanh; UBND cấp xã; Lưu: VT, TCKH"
    assert rec.checks.get("list_closed") is True


def test_a_speck_before_an_item_is_not_joined_to_it() -> None:
    from tests.ocr.test_extract_general import _extract

    page = _decision_page([(300, 1640, "Nơi nhận:"), (300, 1700, "- Như Điều 3;"), (300, 1755, "`"),
                           (360, 1757, "UBND tỉnh (b/c);"), (300, 1810, "- Lưu: VT, TNMT.")])
    assert _extract(page, document_type="quyet_dinh").fields["recipients"].value == \
        "Như Điều 3; UBND tỉnh (b/c); Lưu: VT, TNMT"


def test_without_its_label_the_list_keeps_a_first_item_whose_dash_was_lost_and_stays_doubtful() -> None:
    from tests.ocr.test_extract_general import _extract

    page = _decision_page([(300, 1645, "1x92: ve c9Đ2y"), (300, 1700, "Người được cấp;"), (300, 1755, "- Lưu: VT, HT.")])
    # The garbled label's words are unsure: it is no item.
    page.words[:] = [w if w.text not in ("1x92:", "ve", "c9Đ2y") else rl_replace(w, confidence=0.05) for w in page.words]
    rec = _extract(page, document_type="quyet_dinh").fields["recipients"]
    assert rec.value == "Người được cấp; Lưu: VT, HT"
    assert rec.confidence <= LOW_WORD_CAP
    # A body line ending the page above, not closed by ";", is no lost item.
    page = _decision_page([(300, 1700, "thi hành Quyết định này."), (300, 1755, "- Lưu: VT, HT.")])
    assert _extract(page, document_type="quyet_dinh").fields["recipients"].value == "Lưu: VT, HT"


def _continuation_page(top: int) -> Page:
    """A decision's page 2: its page number, the last article's end, then the list beside the block."""
    p = Page(number=2)
    p.line(1220, 120, "2")
    p.line(350, top, "trách nhiệm thi hành Quyết định này./. và các cơ quan có liên quan khác nữa")
    for i, text in enumerate(("Nơi nhận:", "- Như Điều 3;", "- UBND tỉnh (b/c);", "- Lưu: VT, TNMT.")):
        p.line(300, top + 120 + 55 * i, text, h=40)
    p.line(1450, top + 110, "KT. CHỦ TỊCH").line(1450, top + 180, "PHÓ CHỦ TỊCH").line(1480, top + 520, "Trần Hữu Tuấn")
    return p


def test_a_list_near_the_top_of_a_continuation_page_is_found() -> None:
    # Page 2 holds only the last article and the signature block: the list stands in the page's top
    # fifth, where a first page has its header.
    page = _continuation_page(300).build()
    box = find_list(list(page.words), page.width, page.height)
    assert box is not None and box[1] < 420 and box[3] > 420 + 55 * 3 + 40 and box[1] > 300 + 50


def test_on_a_page_with_a_header_its_top_fifth_is_the_header_not_a_list() -> None:
    p = _continuation_page(300)
    p.line(1300, 130, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").line(1450, 200, "Độc lập - Tự do - Hạnh phúc")
    page = p.build()
    box = find_list(list(page.words), page.width, page.height)
    assert box is None or box[1] > 0.2 * page.height


def test_a_list_line_run_into_the_signature_block_keeps_only_the_lists_column() -> None:
    from tests.ocr.test_extract_general import _extract

    page = _decision_page([(300, 1640, "Nơi nhận:"), (300, 1755, "- UBND tỉnh (b/c);"), (300, 1810, "- Lưu: VT, TNMT.")])
    # The page's reading ran "- Như Điều 3;" into the block's first line level with it, specks of the
    # seal bridging the gutter (no gap there wider than two word heights).
    specks = " ".join("~'"[i % 2] for i in range(16))
    line = _line("- Như Điều 3;", 1700, x=300) + _line(specks, 1700, 0.3, x=700) + _line("KT. CHỦ TỊCH", 1700, x=1460)
    page.words[:] = [w for w in page.words if w.text not in ("KT.", "CHỦ", "TỊCH") or w.bbox[1] != 1690] + \
        [rl_replace(w, line=90) for w in line]
    rec = _extract(page, document_type="quyet_dinh").fields["recipients"]
    assert rec.value == "Như Điều 3; UBND tỉnh (b/c); Lưu: VT, TNMT"


def test_a_list_line_in_the_left_half_stays_whole() -> None:
    from ocr.recipient_list import left_column

    words = _line("- Chi cục Thuế thành phố Quy Nhơn;", 100, x=300)
    assert left_column(words, 2480) == words
