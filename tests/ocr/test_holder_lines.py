"""The holder's labelled lines read a second time (ocr.holder_lines): a value both engines read alike
may reach the default threshold, a value only Tesseract read so stays for a person. Lines are printed
with the generator's font on a page-wide sheet and read by the real second recogniser."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image, ImageDraw

from ocr.extract import extract_fields
from ocr.holder_lines import (
    AGREE_FLOOR,
    DISAGREE_CAP,
    ValueLine,
    agreeing,
    confirm_holder_words,
    confirm_value,
    cut_short,
    find_value_lines,
)
from ocr.model import OcrResult, PageText, Word
from ocr.quality import PageQuality
from ocr.tesseract_engine import TesseractEngine
from samples._render import font

HKD = "giay_chung_nhan_ho_kinh_doanh"
LINES = ["Họ và tên: NGUYỄN KIM NGÂN", "Sinh ngày: 14/12/1952", "Số CCCD: 056152655787",
         "Mã số hộ kinh doanh: 37A8315720", "Tên hộ kinh doanh: HẢI SẢN VIỆT XANH"]


def _printed(lines: list[str], confidence: float = 0.36, points: float = 13) -> tuple[Image.Image, list[Word]]:
    """Lines printed in the body of an A4 sheet at 300 dpi, each word with its true box (what
    Tesseract would give, at `confidence`)."""
    f = font("regular", points)
    img = Image.new("RGB", (2480, 3508), "white")
    draw = ImageDraw.Draw(img)
    out, y = [], 1200
    for n, text in enumerate(lines):
        x = 250
        draw.text((x, y), text, font=f, fill="black")
        _, y0, _, y1 = f.getbbox(text)
        start = 0
        for token in text.split(" "):
            at = text.index(token, start)
            left, right = x + f.getlength(text[:at]), x + f.getlength(text[:at + len(token)])
            out.append(Word(token, confidence, (round(left), y + y0, round(right), y + y1), n + 1, 1))
            start = at + len(token)
        y += 80
    return img, out


def _texts(line: ValueLine) -> str:
    return " ".join(w.text for w in line.words)


def test_the_value_words_are_the_ones_the_extractor_takes_labels_left_out():
    img, words = _printed(LINES)
    found = {line.field: _texts(line) for line in find_value_lines(words, img.width, img.height)}
    assert found == {"holder_name": "NGUYỄN KIM NGÂN", "holder_birth_date": "14/12/1952",
                     "holder_id_number": "056152655787", "registration_number": "37A8315720",
                     "business_name": "HẢI SẢN VIỆT XANH"}


def test_values_read_alike_by_both_engines_rise_to_the_floor_and_the_labels_stay():
    img, words = _printed(LINES)
    out = confirm_holder_words(words, img, img.width, img.height)
    values = {"NGUYỄN", "KIM", "NGÂN", "14/12/1952", "056152655787", "37A8315720", "HẢI", "SẢN", "VIỆT", "XANH"}
    for before, after in zip(words, out, strict=True):
        assert after.text == before.text and after.bbox == before.bbox  # words are never replaced
        if before.text in values:
            assert after.confidence == AGREE_FLOOR, after
        else:
            assert after.confidence == before.confidence, after  # "Họ", "tên:", "CCCD:" untouched


def test_a_value_only_tesseract_read_so_is_capped_even_when_tesseract_was_sure():
    img, words = _printed(["Sinh ngày: 14/12/1952", "Họ và tên: NGUYỄN KIM NGÂN"], confidence=0.97)
    date = next(w for w in words if w.text == "14/12/1952")
    wrong_date = ValueLine("holder_birth_date", (replace(date, text="14/12/1958"),))
    out, reading = confirm_value(wrong_date, img)
    assert "1952" in reading
    assert out[0].confidence == DISAGREE_CAP
    # A slipped mark in a name: "NGẦN" is not "NGÂN"; the other words agree.
    name = [w for w in words if w.text in ("NGUYỄN", "KIM", "NGÂN")]
    slipped = ValueLine("holder_name", (name[0], name[1], replace(name[2], text="NGẦN")))
    out, _ = confirm_value(slipped, img)
    assert [w.confidence for w in out] == [0.97, 0.97, DISAGREE_CAP]


def test_a_value_tesseract_cut_short_is_not_confirmed_though_its_words_agree():
    """A phone capture's last word lost by Tesseract ("TRẦN XUÂN" of "TRẦN XUÂN SƠN"): the crop runs
    on past the value, the second recogniser reads the lost word, and the value stays for a person."""
    img, words = _printed(["Họ và tên: TRẦN XUÂN SƠN", "Số CCCD: 038191516028"], confidence=0.95)
    lost = [w for w in words if w.text in ("Họ", "và", "tên:", "TRẦN", "XUÂN", "Số", "CCCD:")]
    number = next(w for w in words if w.text == "038191516028")
    lost.append(replace(number, text="03819151", bbox=(number.bbox[0], number.bbox[1],
                                                        number.bbox[0] + (number.bbox[2] - number.bbox[0]) * 2 // 3,
                                                        number.bbox[3])))
    found = {line.field: line for line in find_value_lines(lost, img.width, img.height)}
    name, _ = confirm_value(found["holder_name"], img)
    assert [w.text for w in name] == ["TRẦN", "XUÂN"]
    assert [w.confidence for w in name] == [DISAGREE_CAP, DISAGREE_CAP]
    digits, _ = confirm_value(ValueLine("holder_id_number", (lost[-1],), img.width), img)
    assert digits[0].confidence == DISAGREE_CAP
    # The whole name read by Tesseract: the crop stops at the page's edge, nothing follows, confirmed.
    whole = {line.field: line for line in find_value_lines(words, img.width, img.height)}
    name, _ = confirm_value(whole["holder_name"], img)
    assert [w.confidence for w in name] == [0.95] * 3  # kept: at least the floor, never lowered
    assert cut_short(whole["holder_name"].words, "TRẦN XUÂN SƠN Giới tính") is True
    assert cut_short(whole["holder_name"].words, ": TRẦN XUÂN SƠN ;") is False
    assert cut_short([number], "038191516028 Dân tộc", unspaced=True) is False
    # A word Tesseract read right after the value ends it: its first letter in the crop's margin is
    # no lost end ("Vân;" then "giới tính").
    img, words = _printed(["- Họ và tên: Phạm Ngọc Vân; giới tính: Nữ;"], confidence=0.7)
    line = next(v for v in find_value_lines(words, img.width, img.height) if v.field == "holder_name")
    assert [w.text for w in line.words] == ["Phạm", "Ngọc", "Vân;"]
    assert [w.confidence for w in confirm_value(line, img)[0]] == [AGREE_FLOOR] * 3
    # A field at a tab stop after the value ("Giới tính" a few word heights on) stays out of the crop.
    img, words = _printed(["Họ và tên: NGUYỄN NGỌC TÀI   Giới tính: Nam"], confidence=0.7)
    line = next(v for v in find_value_lines(words, img.width, img.height) if v.field == "holder_name")
    assert [w.text for w in line.words] == ["NGUYỄN", "NGỌC", "TÀI"]
    assert [w.confidence for w in confirm_value(line, img)[0]] == [AGREE_FLOOR] * 3


def test_spaces_matter_in_a_name_not_in_a_date_or_a_number():
    glued = [Word("NGUYỄN", 0.9, (0, 0, 10, 10), 1, 1), Word("KIMNGÂN", 0.4, (12, 0, 30, 10), 1, 1)]
    assert agreeing(glued, ": NGUYỄN KIM NGÂN") == {0}
    assert agreeing(glued, ": NGUYỄN KIM NGÂN", unspaced=True) == {0, 1}
    split = [Word("14/12/", 0.4, (0, 0, 10, 10), 1, 1), Word("1952", 0.4, (12, 0, 30, 10), 1, 1)]
    assert agreeing(split, "14/12/1952", unspaced=True) == {0, 1}
    assert agreeing(split, "14/12/1958", unspaced=True) == set()


def _extraction(words: list[Word], img: Image.Image) -> dict[str, float]:
    page = PageText(number=1, width=img.width, height=img.height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.5, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=False))
    fields = extract_fields(OcrResult(pages=(page,), engine="tesseract"), HKD).fields
    return {k: fields[k].confidence for k in ("holder_name", "holder_birth_date", "registration_number")}


def test_a_birth_date_tesseract_doubted_reaches_the_threshold_when_both_engines_agree():
    img, words = _printed(["GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", *LINES])
    before = _extraction(words, img)
    after = _extraction(confirm_holder_words(words, img, img.width, img.height), img)
    assert before["holder_birth_date"] <= 0.5 and after["holder_birth_date"] >= AGREE_FLOOR
    assert after["holder_name"] >= AGREE_FLOOR and after["registration_number"] >= AGREE_FLOOR


def test_on_a_rendered_certificate_read_by_tesseract_the_right_birth_date_is_no_longer_held_back():
    """The awkward batch's first household certificate (samples.awkward: seed 11, light damage):
    Tesseract reads its birth date right but at 0.36; the engine's second reading agrees."""
    from ocr import ocr_pages
    from ocr.pages import PageImage
    from samples import render_document

    pages, truth = render_document(HKD, seed=11, damage="light", province="Khánh Hòa")
    page = PageImage(image=pages[0].convert("RGB"), dpi=300, number=1)
    without = ocr_pages([page], engine=TesseractEngine(holder_lines=False), workers=1)
    before = extract_fields(without, HKD).fields["holder_birth_date"]
    after = extract_fields(ocr_pages([page], engine=TesseractEngine(), workers=1), HKD).fields["holder_birth_date"]
    assert before.value == after.value == truth["fields"]["holder_birth_date"]
    assert before.confidence < 0.9 <= after.confidence
