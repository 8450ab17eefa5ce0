"""The number and date lines read by a second recogniser and reconciled with Tesseract's reading."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace

import pytest
from PIL import Image, ImageDraw

from ocr import extract_fields, load_pages, ocr_pages
from ocr.aster_engine import AsterEngine, LineReading, read_line
from ocr.engine import OcrEngine, get_engine
from ocr.key_lines import (
    AGREE_FLOOR,
    DISAGREE_CAP,
    KeyLine,
    decide,
    find_key_lines,
    key_value,
    needs_second_reading,
    read_day,
    reconcile,
    reread_words,
    unblank,
)
from ocr.model import Word
from ocr.tesseract_engine import TesseractEngine
from samples import DOCUMENT_TYPES, generate_batch
from samples._render import font


def _line(texts: list[str], confs: list[float], *, y: int = 100, x: int = 100, line: int = 3) -> tuple[Word, ...]:
    words, pos = [], x
    for t, c in zip(texts, confs, strict=True):
        words.append(Word(t, c, (pos, y, pos + 20 * len(t), y + 40), line, 1))
        pos += 20 * len(t) + 15
    return tuple(words)


# ------------------------------------------------------------------ the decision, on text alone


def test_the_values_each_line_gives_follow_the_number_pattern_and_date_grammar():
    assert key_value("number", "Số: 2827 /QĐ-BGDĐT") == "2827/QĐ-BGDĐT"
    assert key_value("number", "Số: [75 /UBND-SGDĐT") is None
    assert key_value("date", "Đà Nẵng, ngày 26 tháng 4 năm 2018") == "2018-04-26"
    assert key_value("date", "Đà Nẵng, ngày 84 tháng 5 năm 2019") is None  # no 84th day


def test_agreeing_engines_keep_the_value_and_say_they_agree():
    v = decide("number", "Số: 2652 /QĐ-BGDĐT", "Số: 2652 /QĐ-BGDĐT", tesseract_confidence=0.72, aster_confidence=0.99)
    assert (v.source, v.agree, v.value) == ("tesseract", True, "2652/QĐ-BGDĐT")


def test_agreement_after_folding_takes_the_spelling_of_the_surer_engine():
    v = decide("number", "Số: 2827 /QD-BGDĐT", "Số: 2827 /QĐ-BGDĐT", tesseract_confidence=0.71, aster_confidence=0.97)
    assert (v.source, v.agree, v.value) == ("aster", True, "2827/QĐ-BGDĐT")


def test_a_malformed_reading_loses_to_one_that_fits_the_form():
    v = decide("number", "Số: [75 /UBND-SGDĐT", "Số: 570 /UBND-SGDĐT", tesseract_confidence=0.9, aster_confidence=0.4)
    assert (v.source, v.agree, v.value) == ("aster", False, "570/UBND-SGDĐT")
    v = decide("date", "Hà Nội, ngày 22 tháng 4 năm 2026", "Hà Nội, ngày 2X tháng4 năm", tesseract_confidence=0.2,
               aster_confidence=0.99)
    assert (v.source, v.agree, v.value) == ("tesseract", False, "2026-04-22")


def test_two_well_formed_different_values_go_to_the_surer_engine_as_a_disagreement():
    v = decide("number", "Số: 445 /CV-PA83", "Số: 115 /CV-PA83", tesseract_confidence=0.35, aster_confidence=0.67)
    assert (v.source, v.agree, v.value) == ("aster", False, "115/CV-PA83")
    v = decide("number", "Số: 445 /CV-PA83", "Số: 115 /CV-PA83", tesseract_confidence=0.8, aster_confidence=0.67)
    assert (v.source, v.agree, v.value) == ("tesseract", False, "445/CV-PA83")


def test_when_neither_reading_fits_tesseract_keeps_the_line():
    v = decide("date", "Đà Nẵng, ngày /tháng 10 năm 2023", "Đà Nẵng, ngày /gtháng 10 năm 2023",
               tesseract_confidence=0.5, aster_confidence=0.9)
    assert (v.source, v.agree, v.value) == ("tesseract", False, None)


# ------------------------------------------------------------------ confidences and words


def test_agreement_raises_the_value_words_confidence():
    line = KeyLine("number", _line(["Số:", "2652", "/QĐ-BGDĐT"], [0.97, 0.55, 0.72]))
    aster = LineReading("Số: 2652 /QĐ-BGDĐT", 0.99, _line(["Số:", "2652", "/QĐ-BGDĐT"], [1.0, 0.99, 0.98], line=0))
    out = reconcile(line, aster)
    assert [w.text for w in out] == ["Số:", "2652", "/QĐ-BGDĐT"]
    assert out[1].confidence >= AGREE_FLOOR and out[2].confidence >= AGREE_FLOOR
    assert [w.bbox for w in out] == [w.bbox for w in line.words]  # Tesseract's words, boxes kept


def test_disagreement_keeps_the_well_formed_reading_at_a_review_confidence():
    line = KeyLine("number", _line(["Số:", "[75", "/UBND-SGDĐT"], [0.96, 0.17, 0.92]))
    aster = LineReading("Số: 570 /UBND-SGDĐT", 0.92,
                        _line(["Số:", "570", "/UBND-SGDĐT"], [1.0, 0.99, 0.99], y=90, x=105, line=0))
    out = reconcile(line, aster)
    assert [w.text for w in out] == ["Số:", "570", "/UBND-SGDĐT"]
    assert all(w.confidence <= DISAGREE_CAP for w in out[1:])
    assert all(w.line == 3 and w.block == 1 for w in out)
    top, bottom = line.box[1], line.box[3]
    assert all((w.bbox[1], w.bbox[3]) == (top, bottom) and w.bbox[0] < w.bbox[2] for w in out)


def test_a_malformed_second_reading_leaves_a_good_line_alone_but_capped():
    line = KeyLine("date", _line(["Lào", "Cai,", "ngày", "21", "tháng", "7", "năm", "2026"], [0.96] * 8))
    aster = LineReading("Lào Cai, ngày 2l thángq năm", 0.9, _line(["Lào", "Cai,", "ngày", "2l", "thángq", "năm"], [0.9] * 6))
    out = reconcile(line, aster)
    assert " ".join(w.text for w in out) == "Lào Cai, ngày 21 tháng 7 năm 2026"
    day = out[3]
    assert day.confidence <= DISAGREE_CAP  # the engines disagree on the value: a person looks
    assert out[0].confidence >= AGREE_FLOOR  # "Lào" read alike by both


def test_the_number_and_date_lines_are_found_in_the_header_not_the_body():
    number = _line(["Số:", "4/35", "/SGDĐT-CTrTT"], [0.96, 0.5, 0.5], y=300, x=280, line=2)
    date = _line(["Đà", "Nẵng,", "ngày", "84", "tháng", "5", "năm", "2019"], [0.9] * 8, y=300, x=850, line=3)
    body = _line(["Căn", "cứ", "Nghị", "định", "số", "37/2025/NĐ-CP", "ngày", "26", "tháng", "02", "năm", "2025", "của"], [0.9] * 13, y=500, x=200, line=4)
    low = _line(["Hà", "Nội,", "ngày", "22", "tháng", "12", "năm", "2025"], [0.9] * 8, y=1800, x=850, line=5)
    lines = find_key_lines(list(number + date + body + low), 1650, 2340)
    assert [(k.kind, k.words) for k in lines] == [("number", number), ("date", date)]


def test_a_number_line_whose_label_was_lost_is_found_by_its_symbol():
    header = _line(["BỘ", "CÔNG", "THƯƠNG"], [0.95] * 3, y=150, x=270, line=0)
    number = _line(["sẽ?", "6", "ŸBCT-ATMT"], [0.0, 0.6, 0.5], y=190, x=270, line=1)
    lines = find_key_lines(list(header + number), 1238, 1755)
    assert [(k.kind, k.words) for k in lines] == [("number", number)]


# ------------------------------------------------------------------ the real engine


def _printed_line(text: str, points: float = 13) -> Image.Image:
    return _printed(text, points)[0]


def _printed(text: str, points: float = 13) -> tuple[Image.Image, list[Word]]:
    """A generated line image and its words with their true boxes (what Tesseract would find)."""
    f = font("regular", points)
    _, y0, x1, y1 = f.getbbox(text)
    img = Image.new("RGB", (x1 + 80, y1 + 60), "white")
    ImageDraw.Draw(img).text((40, 30), text, font=f, fill="black")
    words, start = [], 0
    for token in text.split(" "):
        at = text.index(token, start)
        left, right = 40 + f.getlength(text[:at]), 40 + f.getlength(text[:at + len(token)])
        words.append(Word(token, 0.95, (round(left), 30 + y0, round(right), 30 + y1), 0, 1))
        start = at + len(token)
    return img, words


def test_the_second_recogniser_reads_a_generated_number_line():
    img = _printed_line("Số: 2827/QĐ-BGDĐT")
    reading = read_line(img, (20, 30, img.width - 20, img.height - 15))
    assert reading.text == "Số: 2827/QĐ-BGDĐT"
    assert reading.confidence > 0.9
    # Word boxes come from where the network emitted each character: left to right, inside the crop.
    assert [w.text for w in reading.words] == ["Số:", "2827/QĐ-BGDĐT"]
    assert reading.words[0].bbox[0] < reading.words[1].bbox[0] < reading.words[1].bbox[2] <= img.width - 20


def test_the_second_recogniser_is_an_ocr_engine_that_pickles():
    engine = get_engine("aster")
    assert isinstance(engine, AsterEngine) and isinstance(engine, OcrEngine)
    again = pickle.loads(pickle.dumps(engine))
    page = again.recognise(_printed_line("Khánh Hòa, ngày 14 tháng 10 năm 2025"), dpi=200)
    assert key_value("date", page.text) == "2025-10-14"


def _inked(text: str, fill: str) -> Image.Image:
    f = font("regular", 13)
    _, _, x1, y1 = f.getbbox(text)
    img = Image.new("RGB", (int(x1) + 80, int(y1) + 60), "white")
    ImageDraw.Draw(img).text((40, 30), text, font=f, fill=fill)
    return img


def test_a_clean_printed_key_line_is_not_read_again_a_doubtful_or_handwritten_one_is(monkeypatch):
    """The second recogniser costs ~0.03 CPU s a crop: a date or number line Tesseract read surely, in
    its form, in black print, is left as it is (agreement would not change it)."""
    import ocr.key_lines as kl

    text = "Khánh Hòa, ngày 31 tháng 5 năm 2019"
    img, words = _printed(text)  # every word at 0.95
    line = KeyLine("date", tuple(words))
    assert not needs_second_reading(line, img)
    assert needs_second_reading(KeyLine("date", (*words[:3], replace(words[3], confidence=0.85), *words[4:])), img)
    assert needs_second_reading(KeyLine("date", (*words[:3], replace(words[3], text="41"), *words[4:])), img)
    assert needs_second_reading(line, _inked(text, "#1f3aa6"))  # a pen's blue: handwriting-looking
    calls: list[object] = []
    real = kl.read_line

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(kl, "read_line", counting)
    assert reread_words(words, img, img.width, img.height * 4) == words and not calls
    doubtful = [*words[:3], replace(words[3], confidence=0.7), *words[4:]]
    out = reread_words(doubtful, img, img.width, img.height * 4)
    assert calls and out[3].text == "31" and out[3].confidence >= AGREE_FLOOR


def test_reread_replaces_a_misread_date_line_by_the_second_reading():
    """Tesseract's words for a date line it misread (a day of 84): the second reading of the real
    pixels fits the grammar, so the line takes it, at a review confidence."""
    img, words = _printed("Khánh Hòa, ngày 31 tháng 5 năm 2019")
    words[3] = Word("84", 0.59, words[3].bbox, 0, 1)
    out = reread_words(words, img, img.width, img.height * 4)
    assert " ".join(w.text for w in out) == "Khánh Hòa, ngày 31 tháng 5 năm 2019"
    assert out[3].confidence <= DISAGREE_CAP
    assert out[0].confidence == 0.95  # read alike by both: Tesseract's confidence stands


@pytest.mark.parametrize("kind,text", [("number", "Số: 115 /CV-PA83"), ("date", "Đà Nẵng, ngày 26 tháng 4 năm 2018")])
def test_key_values_survive_the_engine_round_trip(kind, text):
    page = AsterEngine().recognise(_printed_line(text), dpi=200)
    assert key_value(kind, page.text) == key_value(kind, text)


def test_a_number_line_run_into_the_date_line_is_split_at_the_column_gap():
    number = _line(["Số:", "115", "/CV-PA83"], [0.35, 0.35, 0.85], y=320, x=330, line=2)
    date = _line(["Đà", "Nẵng,", "ngày", "26", "tháng", "4", "năm", "2018"], [0.97] * 8, y=320, x=1430, line=2)
    lines = find_key_lines(list(number + date), 2555, 4200)
    assert [(k.kind, k.words) for k in lines] == [("number", number), ("date", date)]


def test_handwritten_number_and_day_of_a_real_letter_are_read_by_the_second_recogniser():
    """laocai-CV-813 (a development page, 87 dpi): "Số: 813 /HC-CNHC" and "ngày 22" are written by
    hand. Tesseract's words and boxes for the two lines are as it read them ("ÊÁ4Š", "°ÊÌ"); the
    second recogniser reads the real crops, the readings fit the form where Tesseract's do not,
    so the lines take them, at a review confidence (the engines disagree)."""
    from pathlib import Path

    from ocr import load_pages
    from ocr.key_lines import read_key_line, text_of

    scan = Path(__file__).resolve().parents[1] / "data" / "real-scans" / "laocai-CV-813-CucHoaChat.pdf"
    page = load_pages(scan)[0]
    assert page.image.size == (719, 1018)
    number = [("Số:", 0.933, (130, 140, 150, 155)), ("ÊÁ4Š", 0.392, (162, 135, 189, 154)),
              ("/HC-CNHC", 0.888, (198, 141, 270, 155))]
    date = [("Hà", 0.965, (356, 140, 375, 153)), ("Nội,", 0.970, (378, 139, 403, 154)),
            ("ngày", 0.933, (407, 139, 438, 154)), ("°ÊÌ", 0.151, (443, 133, 464, 152)),
            ("tháng", 0.925, (470, 138, 505, 154)), ("4", 0.967, (508, 138, 516, 150)),
            ("năm", 0.967, (519, 138, 545, 150)), ("2026", 0.969, (548, 137, 579, 150))]
    words = [Word(t, c, b, 4, 1) for t, c, b in number] + [Word(t, c, b, 5, 1) for t, c, b in date]
    lines = find_key_lines(words, *page.image.size)
    assert [k.kind for k in lines] == ["number", "date"]
    assert key_value("number", read_key_line(lines[0], page.image).text) == "813/HC-CNHC"
    out = reread_words(words, page.image, *page.image.size)
    assert key_value("number", text_of([w for w in out if w.line == 4])) == "813/HC-CNHC"
    assert key_value("date", text_of([w for w in out if w.line == 5])) == "2026-04-22"
    assert max(w.confidence for w in out if w.text in ("813", "22")) <= DISAGREE_CAP


# ------------------------------------------------------------------ handwriting on a dotted blank


def test_the_place_before_the_date_keeps_tesseracts_words_when_the_second_reading_wins():
    # The handwritten family: Tesseract reads the place well and the drawn day as dots and debris; the
    # second recogniser reads the day but misreads the place's marks ("Lốc" for "Lộc").
    line = KeyLine("date", _line(["Lộc", "Thọ,", "ngày", ".....$Í....", "tháng", "7", "năm", "2021"],
                                 [0.96, 0.97, 0.83, 0.17, 0.96, 0.97, 0.97, 0.97]))
    aster = LineReading("Lốc Thọ, ngày....31... tháng 7 năm 2021", 0.97,
                        _line(["Lốc", "Thọ,", "ngày....31...", "tháng", "7", "năm", "2021"], [0.9] * 7, line=0))
    out = reconcile(line, aster)
    assert " ".join(w.text for w in out) == "Lộc Thọ, ngày 31 tháng 7 năm 2021"
    assert [w.bbox for w in out[:2]] == [w.bbox for w in line.words[:2]]  # the place as Tesseract read it
    assert all(w.confidence <= DISAGREE_CAP for w in out[2:])  # the engines disagree: a person looks


def test_dot_leaders_of_a_blank_are_not_part_of_the_value():
    assert key_value("date", "Diên An, ngày....25.... tháng 02 năm 2020") == "2020-02-25"
    assert key_value("number", "Số: ...1127../GCN-TCKH") == "1127/GCN-TCKH"
    words = unblank(_line(["Số:", "..3708../QĐ-UBND", "UBND.", "ngày....31...", "....."], [0.9] * 5))
    assert [w.text for w in words] == ["Số:", "3708/QĐ-UBND", "UBND.", "ngày", "31", "....."]
    assert words[3].bbox[2] == words[4].bbox[0]  # no gap where the dots were: the line stays one piece


def test_a_generated_handwritten_page_keeps_its_place_and_reads_the_day(tmp_path):
    # The place words of the date line survive the second reading (they were lost when its whole
    # line replaced Tesseract's), and the hand-written day stays below auto-approval.
    doc = generate_batch(tmp_path, count=1, seed=11, document_types=DOCUMENT_TYPES, families=("handwritten",),
                         formats=("png",), damages=("light",))[0]
    scan = tmp_path / doc.file_name
    truth = json.loads(scan.with_name(scan.name + ".truth.json").read_text(encoding="utf-8"))["fields"]
    result = ocr_pages(load_pages(scan), engine=TesseractEngine(key_lines=True), workers=1)
    fields = extract_fields(result, doc.document_type).fields
    assert fields["issue_place"].value == truth["issue_place"]
    assert fields["issue_date"].confidence < 0.8


def test_a_date_line_whose_ngay_was_misread_keeps_its_place():
    # bgddt-qd-3 (development): Tesseract read "này24 tháng9", the second reading the whole line.
    line = KeyLine("date", _line(["Hà", "Nội,", "này24", "tháng9", "năm", "2025"], [0.97, 0.93, 0.28, 0.28, 0.97, 0.95]))
    aster = LineReading("Hà Nội, ngày 24 tháng 9 năm 2025", 0.99,
                        _line(["Hà", "Nội,", "ngày", "24", "tháng", "9", "năm", "2025"], [0.99] * 8, line=0))
    out = reconcile(line, aster)
    assert " ".join(w.text for w in out) == "Hà Nội, ngày 24 tháng 9 năm 2025"
    assert [w.bbox for w in out[:2]] == [w.bbox for w in line.words[:2]]


def _handwritten_day(day: str, seed: int) -> tuple[Image.Image, list[Word]]:
    """A printed date line with its day drawn by hand into the dotted blank, as the generator does."""
    import random

    from samples._render import DOTS, handwrite

    img, words = _printed(f"Nha Trang, ngày {DOTS} tháng 6 năm 2019", 13.5)
    f = font("regular", 13.5)
    blank = words[3]
    baseline = blank.bbox[3] - 2
    handwrite(ImageDraw.Draw(img), day, blank.bbox[0] + 4, baseline, f.getlength(DOTS) - 8, round(f.size * 0.95),
              random.Random(seed))
    return img, words


def test_the_day_drawn_into_the_blank_is_read_as_digits_and_never_trusted():
    # Stroke digits ("1" with its flag is still read as "7" at times): most days read right, every
    # one stays at a review confidence, and the place before "ngày" is Tesseract's.
    right = 0
    for day, seed in (("18", 1), ("25", 2), ("31", 3), ("09", 4)):
        img, words = _handwritten_day(day, seed)
        line = KeyLine("date", tuple(words))
        word = read_day(line, img)
        assert word is not None and word.confidence <= DISAGREE_CAP
        right += word.text == day
        out = reconcile(line, read_line(img, (0, 0, img.width, img.height)), word)
        assert [w.text for w in out[:3]] == ["Nha", "Trang,", "ngày"]
        assert all(w.confidence <= DISAGREE_CAP for w in out[2:])
    assert right >= 3


# ------------------------------------------------------------------ blanks read as digits, real pages


def _real_page(name: str):
    from pathlib import Path

    return load_pages(Path(__file__).resolve().parents[1] / "data" / "real-scans" / name)[0]


def test_a_blue_ink_day_and_month_on_a_light_print_are_read_from_their_blanks():
    """laocai-CV-2265 (a development page): "ngày 02 tháng 4" written in blue ink into the blanks.
    Tesseract, reading the brightest channel, sees "ngày))" and "tháng)"; the second recogniser
    reads "ngày0)" and "thángh". The blanks are found from the second reading's letters (a word box
    spans label and handwriting there) and read as digits only, on the darkest channel too: the day
    and the month come out, capped (one engine read them)."""
    page = _real_page("laocai-CV-2265-BCT-ATMT-trien-khai.pdf")
    assert page.image.size == (1238, 1755)
    date = [("Hà", 0.966, (662, 243, 698, 265)), ("Nội,", 0.933, (705, 242, 752, 268)),
            ("ngày))", 0.571, (762, 241, 850, 270)), ("tháng)", 0.371, (857, 241, 942, 269)),
            ("năm", 0.97, (953, 241, 1003, 263)), ("2026", 0.969, (1011, 240, 1070, 262))]
    words = [Word(t, c, b, 9, 1) for t, c, b in date]
    out = reread_words(words, page.image, *page.image.size)
    assert key_value("date", " ".join(w.text for w in out)) == "2026-04-02"
    assert [w.text for w in out[:2]] == ["Hà", "Nội,"]
    assert max(w.confidence for w in out if w.text in ("02", "4")) <= DISAGREE_CAP


def test_a_day_the_greedy_reading_gets_wrong_is_its_runner_up_that_fits_the_calendar():
    """1.pdf (a development page): the day "31" is written with a flagged "1" that both engines read
    as "4" ("84", "34": no day). The digits-only reading keeps the likeliest candidates of each
    crop; "34" does not fit a day, its runner-up "31" does, and stays at a review confidence."""
    page = _real_page("1.pdf")
    date = [("Đà", 0.941, (849, 303, 895, 332)), ("Nẵng,", 0.969, (904, 295, 995, 340)),
            ("ngày", 0.906, (1009, 303, 1086, 339)), ("84", 0.593, (1091, 300, 1136, 336)),
            ("tháng", 0.961, (1154, 304, 1244, 341)), ("5", 0.773, (1253, 304, 1272, 333)),
            ("năm", 0.969, (1282, 305, 1347, 332)), ("2019", 0.964, (1358, 304, 1435, 333))]
    words = [Word(t, c, b, 8, 1) for t, c, b in date]
    out = reread_words(words, page.image, *page.image.size)
    assert key_value("date", " ".join(w.text for w in out)) == "2019-05-31"
    assert all(w.confidence <= DISAGREE_CAP for w in out[2:])


def test_digit_candidates_are_sorted_probabilities_of_digit_strings():
    from ocr.aster_engine import digit_candidates

    img = Image.new("RGB", (160, 48), "white")
    ImageDraw.Draw(img).text((10, 2), "27", fill="black", font=font("regular", 10))
    found = digit_candidates(img, (0, 0, 160, 48))
    assert found and found[0][0] == "27"
    assert all(d.isdigit() for d, _ in found)
    assert [p for _, p in found] == sorted((p for _, p in found), reverse=True)
    assert sum(p for _, p in found) <= 1.0 + 1e-6


# ------------------------------------------------------------------ lines Tesseract did not read


def test_a_date_line_tesseract_never_read_on_a_phone_photo_is_found_by_layout():
    """laocai-Mau-giay-phep (a development page, a phone photo of a permit): Tesseract reads nothing
    below the body text, where "Hà Nội, ngày <handwritten> tháng 12 năm 2025" stands above the
    signer. The rows of ink no word covers are read one at a time; the one that reads as a place
    and date becomes the date line, read again like any other, and its value stays at a review
    confidence (the handwritten day is one engine's guess)."""
    page = _real_page("laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg")
    width, height = page.image.size
    # Read unflattened: the flattened page gives Tesseract part of the line (the next test's case).
    first = TesseractEngine(key_lines=False, signer_lines=False, marks=False, flatten=False).recognise(
        page.image, dpi=page.dpi)
    assert not any("2025" in w.text and w.bbox[1] > 0.6 * height for w in first.words)  # Tesseract missed it
    out = reread_words(first.words, page.image, width, height)
    added = [w for w in out if w.line > max(x.line for x in first.words)]
    text = " ".join(w.text for w in added)
    assert text.startswith("Hà Nội, ngày") and text.endswith("tháng 12 năm 2025")
    assert all(w.bbox[1] > 0.6 * height and w.bbox[0] > 0.4 * width for w in added)
    assert max(w.confidence for w in added if w.text not in ("Hà", "Nội,")) <= DISAGREE_CAP


def test_unread_rows_are_the_rows_of_ink_no_word_covers():
    from ocr.key_lines import unread_rows

    img, words = _printed("Hà Nội, ngày 5 tháng 6 năm 2019 và Ủy ban nhân dân tỉnh", 13.5)
    assert unread_rows(words, img, *img.size) == []  # every row of ink is under a word
    rows = unread_rows(words[:2], img, *img.size)  # Tesseract read "Hà Nội," only
    assert len(rows) == 1
    x0, y0, x1, y1 = rows[0]
    # The searched band runs from 30 % to 97 % of the width: the row is the ink inside it.
    assert abs(x0 - max(words[2].bbox[0], round(0.3 * img.width))) <= 3
    assert abs(x1 - min(words[-1].bbox[2], round(0.97 * img.width))) <= 3
    assert y0 <= words[5].bbox[3] and y1 >= words[5].bbox[1]


def test_the_printed_symbol_keeps_tesseracts_spelling_when_the_second_reading_wins_the_number():
    """laocai-CV-813 (development, 87 dpi): the second recogniser reads the small print's symbol
    without its case and hyphen ("/hccnhc"); the same letters as Tesseract's "/HC-CNHC" mean the
    print is Tesseract's to spell."""
    line = KeyLine("number", (Word("Số:", 0.931, (131, 140, 150, 155), 2, 1), Word("Ê|Š", 0.536, (162, 135, 189, 154), 2, 1),
                              Word("/HC-CNHC", 0.737, (198, 141, 270, 154), 2, 1)))
    aster = LineReading("số: 213 /hccnhc", 0.89, (Word("số:", 0.9, (128, 133, 152, 157), 0, 0),
                                                  Word("213", 0.6, (158, 133, 192, 157), 0, 0),
                                                  Word("/hccnhc", 0.7, (196, 133, 272, 157), 0, 0)))
    out = reconcile(line, aster)
    assert key_value("number", " ".join(w.text for w in out)) == "213/HC-CNHC"
    assert all(w.confidence <= DISAGREE_CAP for w in out[1:])
    # Different letters: the second reading's symbol stays as it read it.
    other = replace(aster, text="số: 213 /hcxnhc", words=(*aster.words[:2], replace(aster.words[2], text="/hcxnhc")))
    assert key_value("number", " ".join(w.text for w in reconcile(line, other))) == "213/HCXNHC"


def test_a_handwritten_day_is_read_one_glyph_at_a_time():
    """3.pdf (a development page): "ngày 18" with a flagged "1" drawn into the "/" of "/tháng". Read
    as a whole crop the day is "28" most of the time; read one glyph at a time it is "4" then "8",
    and the calendar ("48" is no day) leaves "18". The day stays at a review confidence."""
    from ocr.key_lines import glyph_candidates

    page = _real_page("3.pdf")
    date = [("Đà", 0.953, (848, 206, 893, 233)), ("Nẵng,", 0.958, (900, 199, 984, 241)),
            ("ngày", 0.933, (996, 207, 1067, 242)), ("/tháng", 0.564, (1074, 204, 1194, 245)),
            ("10", 0.969, (1203, 207, 1238, 235)), ("năm", 0.969, (1246, 209, 1307, 235)),
            ("2023", 0.969, (1315, 208, 1386, 236))]
    words = [Word(t, c, b, 9, 1) for t, c, b in date]
    out = reread_words(words, page.image, *page.image.size)
    assert key_value("date", " ".join(w.text for w in out)) == "2023-10-18"
    assert [w.text for w in out[:2]] == ["Đà", "Nẵng,"]
    assert all(w.confidence <= DISAGREE_CAP for w in out[2:])
    glyphs = dict(glyph_candidates(page.image, (1071, 1107), (199, 245)))
    assert max(glyphs, key=lambda d: glyphs[d]) == "48" and glyphs["18"] > glyphs.get("28", 0.0)


def test_the_cursive_day_of_a_phone_photo_is_read_one_glyph_at_a_time():
    """laocai-Mau-giay-phep (development, a phone photo): the day "22" written as two loops that a
    whole-crop reading takes for "8"; its two glyphs read alone are "2" and "2"."""
    from ocr.key_lines import glyph_candidates

    page = _real_page("laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg")
    found = glyph_candidates(page.image, (566, 606), (918, 945))
    assert found and found[0][0] == "22"


def test_a_date_line_cut_in_two_at_its_blank_is_one_line_again():
    from ocr.key_lines import join_split_date_lines

    place = [Word("Hà", 0.96, (446, 926, 474, 944), 30, 1), Word("Nội,", 0.97, (477, 926, 513, 946), 30, 1),
             Word("ngày", 0.92, (519, 924, 560, 944), 30, 1)]
    rest = [Word(t, 0.6, (x, 921, x + 40, 940), 31, 1) for t, x in (("tháng", 613), ("12", 669), ("năm", 694),
                                                                      ("2025", 735))]
    below = [Word("tháng", 0.9, (613, 990, 653, 1010), 32, 1)]
    out = join_split_date_lines(place + rest + below)
    assert {w.line for w in out[:7]} == {30} and out[7].line == 32  # the next row's "tháng" is its own
    assert [w.text for w in out] == [w.text for w in place + rest + below]
    assert join_split_date_lines(place + below) == place + below


def test_the_phone_photo_permit_keeps_its_title_when_its_date_is_found_above_the_signer():
    """The same phone photo through the engine and the extractor: the date found below the body is
    the permit's date, and the title above it stays the title (the header ends at the number line,
    not at a date line printed above the signer)."""
    page = _real_page("laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg")
    fields = extract_fields(ocr_pages([page], engine=TesseractEngine(), workers=1)).fields
    assert fields["issue_date"].value == "2025-12-22" and fields["issue_date"].confidence <= DISAGREE_CAP
    assert fields["kind"].value == "GIẤY PHÉP"
    assert fields["title"].value == "GIẤY PHÉP VẬN CHUYỂN HÀNG HÓA NGUY HIỂM"


# ------------------------------------------------------------------ the number, glyph by glyph


def _number_blank_page(digits: str, *, gap: int = 14) -> tuple[Image.Image, tuple[int, int], tuple[int, int]]:
    """A white strip with "Số:", `digits` drawn one by one `gap` px apart, "/QĐ-UBND", a rule above
    and dot leaders under the digits; the blank's x-range and the printed line's (top, bottom)."""
    img = Image.new("RGB", (900, 200), "white")
    draw = ImageDraw.Draw(img)
    printed, hand = font("regular", 13), font("italic", 16)
    draw.text((40, 90), "Số:", font=printed, fill="black")
    label_right = round(40 + draw.textlength("Số:", font=printed))
    draw.line((40, 30, 600, 30), fill="black", width=3)  # a rule above the line
    x = label_right + 20
    for d in digits:
        draw.text((x, 80), d, font=hand, fill=(20, 30, 160))  # blue ink, a little above the print
        x += round(draw.textlength(d, font=hand)) + gap
    draw.text((40, 120), "." * 60, font=printed, fill="black")  # the next line's dots, below
    slash = x + 20
    draw.text((slash, 90), "/QĐ-UBND", font=printed, fill="black")
    top, bottom = 90, 90 + round(1.2 * printed.size)
    return img, (label_right, slash), (top, bottom)


def test_a_drawn_number_is_cut_into_its_glyphs_without_rules_or_the_next_lines_ink():
    from ocr.key_lines import number_glyphs

    img, span, band = _number_blank_page("3708")
    glyphs = number_glyphs(img, span, band)
    assert len(glyphs) == 4
    assert all(0.1 < g.width < 1.0 for g in glyphs)
    # No ink of the blank: nothing to read.
    blank = Image.new("RGB", img.size, "white")
    assert number_glyphs(blank, span, band) == []


def test_tesseract_reads_each_glyph_sheet_as_digits_in_one_call():
    import numpy as np

    from ocr.key_lines import tesseract_digits

    sheets = []
    for text in ("7", "35"):
        sheet = Image.new("L", (140, 110), 255)
        ImageDraw.Draw(sheet).text((20, 10), text, font=font("regular", 14), fill=0)
        sheets.append(np.asarray(sheet))
    assert tesseract_digits(sheets, psm=10)[0] == "7"
    assert tesseract_digits(sheets, psm=7)[1] == "35"


def test_a_drawn_number_is_read_from_its_glyphs_side_by_side_but_capped():
    """A clearly drawn number: its glyphs read alone and side by side, by both engines, give it; the
    glyphs side by side settle the number of a line whose readings disagreed, at a review
    confidence. A blank with no ink gives nothing."""
    from ocr.key_lines import HW_MIN, glyph_number, number_votes

    img, span, band = _number_blank_page("2646", gap=18)
    votes = number_votes(img, span, band)
    assert set(votes) == {"glyphs", "glyphs-tesseract", "joined", "joined-tesseract", "glyphs-hw"}
    # The handwritten digit classifier is no reader of a typeface's "4": it is not sure of this
    # number (below HW_MIN, so it overrules nothing); the readers of print agree on it.
    hw = votes.pop("glyphs-hw")
    assert max(hw.values()) < HW_MIN
    assert {max(found, key=lambda d: found[d]) for found in votes.values()} == {"2646"}
    assert set(number_votes(img, span, band, sources=("joined",))) == {"joined"}
    words = _line(["Số:", "2?4B", "/QĐ-UBND"], [0.95, 0.3, 0.9], y=band[0], x=40)
    words = (replace(words[0], bbox=(40, band[0], span[0], band[1])),
             replace(words[1], bbox=(span[0] + 10, band[0], span[1] - 10, band[1])),
             replace(words[2], bbox=(span[1], band[0], span[1] + 120, band[1])))
    line = KeyLine("number", words)
    word = glyph_number(line, img, LineReading("", 0.0))
    assert word is not None and word.text == "2646" and word.confidence <= DISAGREE_CAP
    assert glyph_number(line, Image.new("RGB", img.size, "white"), LineReading("", 0.0)) is None


def test_the_87_dpi_number_is_read_from_its_glyphs_where_the_line_reading_misses_it():
    """laocai-CV-813 (development, 87 dpi): the line reading gives "848" for the handwritten "813",
    Tesseract "kA ổ" and no symbol; the glyphs cut from the upscaled blank, set side by side without
    the dots and the next line's ink, read "813", which the number line takes, capped."""
    page = _real_page("laocai-CV-813-CucHoaChat.pdf")
    number = [Word("Số:", 0.968, (131, 138, 150, 160), 2, 2), Word("kA", 0.212, (162, 135, 180, 159), 2, 2),
              Word("ổ", 0.688, (181, 137, 189, 153), 2, 2)]
    below = [Word(t, 0.97, b, 3, 2) for t, b in (("V/v", (116, 160, 136, 170)), ("số", (227, 156, 240, 170)))]
    date = [Word(t, 0.95, b, 7, 2) for t, b in (("Hà", (357, 140, 375, 152)), ("Nội,", (379, 140, 403, 153)))]
    out = reread_words(number + below + date, page.image, *page.image.size)
    line = [w for w in out if w.line == 2]
    assert key_value("number", " ".join(w.text for w in line)) == "813/HC-CNHC"
    assert max(w.confidence for w in line if "813" in w.text) <= DISAGREE_CAP


def test_a_number_line_whose_printed_symbol_tesseract_lost_is_completed_from_its_row():
    """laocai-CV-813 (development, 87 dpi): Tesseract read "Số:" and the handwritten "813" as "kA ổ"
    and nothing of the printed "/HC-CNHC" after it; the row right of the line is read again and the
    symbol joins the line, so the number has its symbol and its blank a right edge."""
    from ocr.key_lines import complete_number_line

    page = _real_page("laocai-CV-813-CucHoaChat.pdf")
    number = [Word("Số:", 0.968, (131, 138, 150, 160), 2, 2), Word("kA", 0.212, (162, 135, 180, 159), 2, 2),
              Word("ổ", 0.688, (181, 137, 189, 153), 2, 2)]
    below = [Word(t, 0.97, b, 3, 2) for t, b in (("V/v", (116, 160, 136, 170)), ("số", (227, 156, 240, 170)))]
    date = [Word(t, 0.95, b, 7, 2) for t, b in (("Hà", (357, 140, 375, 152)), ("Nội,", (379, 140, 403, 153)))]
    line = KeyLine("number", tuple(number))
    done = complete_number_line(line, number + below + date, page.image, page.image.size[0])
    assert done.words[:3] == line.words
    assert done.words[-1].text.endswith("/HC-CNHC") and done.words[-1].bbox[2] < 357
    # A line that has its symbol is left as it is.
    assert complete_number_line(done, number, page.image, page.image.size[0]) == done


# ------------------------------------------------------------------ the line decoded against its grammar


@pytest.fixture(scope="module")
def handwritten_certificate(tmp_path_factory):
    """The third document of the `handwritten` generator family at seed 5 (a tuning family): a
    marital-status certificate, heavy damage, 150 dpi JPEG, number "258" drawn into "Số: …/UBND-XNTTHN"
    and day "26" into "ngày … tháng 9"."""
    out = tmp_path_factory.mktemp("handwritten")
    docs = generate_batch(out, count=3, seed=5, document_types=DOCUMENT_TYPES, families=("handwritten",))
    doc = docs[2]
    assert doc.truth["fields"]["document_number"] == "258/UBND-XNTTHN"
    return load_pages(out / doc.file_name)[0]


def test_a_drawn_number_the_blank_readings_lose_is_read_from_the_whole_line_against_its_grammar(
        handwritten_certificate):
    """Tesseract reads the number line "Số: ....0Ẽ.../UBND-XNTTHN"; the blank read as digits gave "2"
    (the other digits lost in the dots). Decoded against "Số" DIGITS "/" LETTER, the three crops of the
    line put most of their mass on "258" (0.66), which settles it -- at a review confidence: the line
    readings disagreed."""
    page = handwritten_certificate
    rows = [("Số:", 0.7719, (216, 231, 257, 257), 4), ("....0Ẽ.../UBND-XNTTHN", 0.0, (269, 224, 584, 269), 4),
            ("Diên", 0.8869, (622, 248, 676, 271), 7), ("Toàn,", 0.97, (684, 250, 748, 275), 7),
            ("ngày", 0.9309, (757, 253, 816, 280), 7), ("tháng", 0.9701, (927, 259, 996, 286), 7),
            ("9", 0.9701, (1004, 262, 1018, 283), 7), ("năm", 0.9668, (1026, 263, 1078, 285), 7),
            ("2026", 0.9676, (1086, 264, 1148, 287), 7)]
    words = [Word(t, c, b, line, 3) for t, c, b, line in rows]
    out = reread_words(words, page.image, *page.image.size)
    number = [w for w in out if w.line == 4]
    assert key_value("number", " ".join(w.text for w in number)) == "258/UBND-XNTTHN"
    assert max(w.confidence for w in number[1:]) <= DISAGREE_CAP


def test_a_grammar_value_without_most_of_the_mass_settles_nothing():
    """laocai-Mau-giay-phep (development, a phone photo): the handwritten "152" beside a symbol too
    washed out to read. Decoded against the number grammar the crops spread their mass over one-digit
    guesses ("2" 0.33, "7" 0.25, …): below GRAMMAR_MIN, so no value is made up, and the line keeps its
    garbage at a low confidence."""
    from ocr.key_lines import GRAMMAR_MIN, grammar_reading, grammar_values

    page = _real_page("laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg")
    words = (Word("Số:", 0.933, (133, 155, 160, 177), 2, 4), Word("//6m/Q:-1C", 0.1262, (168, 145, 292, 179), 2, 4))
    line = KeyLine("number", words)
    values = grammar_values(line, page.image)
    assert values and next(iter(values.values())) < GRAMMAR_MIN
    assert grammar_reading(line, page.image) is None
    out = reread_words(list(words), page.image, *page.image.size)
    assert key_value("number", " ".join(w.text for w in out)) is None
    assert max(w.confidence for w in out[1:]) < 0.5


def test_a_grammar_value_is_a_probability_over_forms_that_fit():
    """2.pdf (development): "Số: 115 /CV-PA83", the "1"s flagged. The grammar's values are numbers
    of one to six digits with their mean posterior over the crops; "115" holds almost all of it."""
    from ocr.key_lines import grammar_values

    page = _real_page("2.pdf")
    line = KeyLine("number", (Word("Số:", 0.3523, (332, 323, 404, 376), 2, 5),
                              Word("445", 0.3523, (416, 321, 493, 367), 2, 5),
                              Word("/CV-PA83", 0.8504, (509, 334, 756, 376), 2, 5)))
    values = grammar_values(line, page.image)
    assert all(len(v) == 1 and v[0].isdigit() and 1 <= len(v[0]) <= 6 for v in values)
    assert next(iter(values)) == ("115",) and next(iter(values.values())) > 0.9
    assert sum(values.values()) <= 1.0 + 1e-6
