"""The signature block and the recipients list read a second time: agreement is the evidence a sealed
field needs to reach the default threshold, disagreement keeps it for a person."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ocr.model import Word
from ocr.signer_lines import AGREE_FLOOR, DISAGREE_CAP, agreed, confirm_line, confirm_words, find_lines
from samples._render import font
from schemas.document_types import DOCUMENT_TYPES, GENERAL_TYPE_CODE
from schemas.thresholds import DEFAULT_THRESHOLD, Thresholds


def _words(texts: list[str], y: int, x: int, line: int, conf: float = 0.6, h: int = 40) -> list[Word]:
    out, pos = [], x
    for t in texts:
        out.append(Word(t, conf, (pos, y, pos + 22 * len(t), y + h), line, 1))
        pos += 22 * len(t) + 16
    return out


def test_words_agree_letter_for_letter_marks_included_case_and_punctuation_aside():
    line = _words(["TM.", "ỦY", "BAN", "NHÂN", "DÂN"], 100, 100, 1)
    assert agreed(line, ["TM", "ủy", "ban", "nhân", "dân"]) == {0, 1, 2, 3, 4}
    # A slipped tone mark is another word: "Tuân" is not "Tuấn".
    name = _words(["Nguyễn", "Văn", "Tuân"], 100, 100, 1)
    assert agreed(name, ["Nguyễn", "Văn", "Tuấn"]) == {0, 1}
    # A speck or a word the other engine missed does not shift the rest.
    assert agreed(name, ["'", "Nguyễn", "Tuân"]) == {0, 2}


def _printed_block(lines: list[str], points: float = 13) -> tuple[Image.Image, list[list[Word]]]:
    """A right-half signature block printed on a page-wide sheet, with each word's true box."""
    f = font("regular", points)
    img = Image.new("RGB", (2400, 3300), "white")
    draw = ImageDraw.Draw(img)
    out, y = [], 2300
    for n, text in enumerate(lines):
        x = 1500
        draw.text((x, y), text, font=f, fill="black")
        _, y0, _, y1 = f.getbbox(text)
        words, start = [], 0
        for token in text.split(" "):
            at = text.index(token, start)
            left, right = x + f.getlength(text[:at]), x + f.getlength(text[:at + len(token)])
            words.append(Word(token, 0.6, (round(left), y + y0, round(right), y + y1), n, 1))
            start = at + len(token)
        out.append(words)
        y += 90 if n < len(lines) - 2 else 400  # the signature and seal between title and name
    return img, out


def test_a_sealed_block_read_alike_by_both_engines_reaches_the_default_threshold():
    img, lines = _printed_block(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Tuấn"])
    words = [w for line in lines for w in line]
    found = find_lines(words, img.width, img.height)
    assert [" ".join(w.text for w in line) for line in found] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Tuấn"]
    out = confirm_words(words, img, img.width, img.height)
    assert all(w.confidence >= AGREE_FLOOR for w in out)


def test_a_word_only_tesseract_read_so_stays_for_a_person():
    img, lines = _printed_block(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Tuấn"])
    name = lines[2]
    misread = [*name[:2], Word("Tuân", 0.97, name[2].bbox, name[2].line, 1)]  # Tesseract slipped the mark
    out = confirm_line(misread, img)
    assert [w.confidence for w in out[:2]] == [AGREE_FLOOR, AGREE_FLOOR]
    assert out[2].confidence == DISAGREE_CAP


def test_the_signers_fields_and_recipients_have_no_lowered_threshold():
    t = Thresholds()
    general = DOCUMENT_TYPES[GENERAL_TYPE_CODE]
    table = t.table(general)
    for name in ("signer_name", "signer_title", "signer_authority", "recipients"):
        assert table[name] == DEFAULT_THRESHOLD


def test_a_name_both_crops_read_otherwise_is_offered_to_the_person_never_signed():
    img, lines = _printed_block(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Tuấn"])
    name = lines[2]
    misread = [*name[:2], Word("Tuân", 0.97, name[2].bbox, name[2].line, 1)]
    out = confirm_line(misread, img, name=True)
    assert [w.text for w in out] == ["Nguyễn", "Văn", "Tuấn"]
    assert all(w.confidence <= DISAGREE_CAP for w in out)
    assert [w.bbox for w in out] == [w.bbox for w in misread]  # Tesseract's boxes stay


def test_a_name_line_tesseract_missed_is_read_below_the_block_at_a_review_confidence():
    img, lines = _printed_block(["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "Phạm Ngọc Thưởng"])
    block = [w for line in lines[:2] for w in line]  # Tesseract read the block, not the name
    out = confirm_words(block, img, img.width, img.height)
    added = out[len(block):]
    assert " ".join(w.text for w in added) == "Phạm Ngọc Thưởng"
    assert all(w.confidence <= DISAGREE_CAP for w in added)
    assert len({w.line for w in added}) == 1 and added[0].line not in {w.line for w in block}
    assert abs(added[0].bbox[1] - lines[2][0].bbox[1]) < 40  # where the name is printed


def _grey_seal(img: Image.Image, name: list[Word], grey: int = 60) -> None:
    """A seal as a photocopy leaves it (grey, as dark as the print: the brightest channel no longer
    fades it) stamped over the left of the signature: its ring through the name's first letter,
    letter-sized marks (the seal's own lettering, a star) all over its disc, level with the name too."""
    draw = ImageDraw.Draw(img)
    x0, y0, _, y1 = name[0].bbox
    mid, r = (y0 + y1) / 2, 220
    cx, cy = x0 + 8 - 0.8 * r, mid - 0.6 * r
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(grey,) * 3, width=8)
    for k in range(24):  # the lettering inside the ring
        a = 2 * np.pi * k / 24
        px, py = cx + (r - 45) * np.cos(a), cy + (r - 45) * np.sin(a)
        draw.rectangle((px - 7, py - 9, px + 7, py + 9), fill=(grey,) * 3)
    draw.ellipse((cx + 0.3 * r - 10, mid - 10, cx + 0.3 * r + 10, mid + 10), fill=(grey,) * 3)  # a star


def test_a_name_touched_by_a_grey_seal_is_read_below_the_block():
    # A photocopied page: the seal's ring and lettering share the name's rows, and the ring took the
    # name's first letter into one mark with it; before, the rows made one band too tall for a line
    # and no name was read (bgddt-qd-2..5 photocopied, ocr.bench_rescan).
    img, lines = _printed_block(["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "Nguyễn Thị Kim Chi"])
    _grey_seal(img, lines[2])
    block = [w for line in lines[:2] for w in line]
    out = confirm_words(block, img, img.width, img.height)
    added = out[len(block):]
    assert " ".join(w.text for w in added) == "Nguyễn Thị Kim Chi"
    assert all(w.confidence <= DISAGREE_CAP for w in added)


def test_marks_beside_a_name_are_no_part_of_it_and_a_name_starts_with_capitals():
    from ocr.signer_lines import lettered_span

    read = _words(["+", "Lê", "Quân", "*"], 100, 100, 1)
    assert [w.text for w in lettered_span(read)] == ["Lê", "Quân"]
    assert lettered_span(_words(["+", "*"], 100, 100, 1)) == []


# ---------------------------------------------------------------- what the seal hid (issue 12)


def test_a_first_word_lost_or_broken_under_the_seal_is_completed_from_the_centred_reading():
    from ocr.signer_lines import name_completed

    assert name_completed(["Huy", "Nam", "Sơn"], "Phạm Huy Nam Sơn") == ["Phạm", "Huy", "Nam", "Sơn"]
    assert name_completed(["an", "Ngọc", "Thướng"], "Phạm Ngọc Thưởng") == ["Phạm", "Ngọc", "Thưởng"]
    assert name_completed(["Tế", "Trung", "Chỉnh"], "Lễ Trung Chinh") == ["Lê", "Trung", "Chinh"]


def test_a_name_tesseract_read_whole_keeps_its_own_first_word():
    from ocr.signer_lines import name_completed

    # Its first word is a family name: the centred reading's other word is no reason to change it.
    assert name_completed(["Nguyễn", "Văn", "Tuấn"], "Nguyễn Văn Tuân") is None
    assert name_completed(["Lê", "Văn", "Tuấn"], "Hà Văn Tuấn") is None
    # Another name, not the same one with its start: nothing is taken.
    assert name_completed(["Huy", "Nam", "Sơn"], "Phạm Huy Nam Sang") is None
    # Debris or a word that is no family name before the name read: not a name's start.
    assert name_completed(["Huy", "Nam", "Sơn"], "Ặm Huy Nam Sơn") is None
    assert name_completed(["Huy", "Nam", "Sơn"], "CỤC Huy Nam Sơn") is None


def _centred_block(lines: list[str], points: float = 13) -> tuple[Image.Image, list[list[Word]]]:
    """A signature block centred on one axis (Decree 30), the name far under its lines."""
    f = font("regular", points)
    img = Image.new("RGB", (2400, 3300), "white")
    draw = ImageDraw.Draw(img)
    out, y, axis = [], 2300, 1800
    for n, text in enumerate(lines):
        x = round(axis - f.getlength(text) / 2)
        draw.text((x, y), text, font=f, fill="black")
        _, y0, _, y1 = f.getbbox(text)
        words, start = [], 0
        for token in text.split(" "):
            at = text.index(token, start)
            left, right = x + f.getlength(text[:at]), x + f.getlength(text[:at + len(token)])
            words.append(Word(token, 0.97, (round(left), y + y0, round(right), y + y1), 10 + n, 1))
            start = at + len(token)
        out.append(words)
        y += 90 if n < len(lines) - 2 else 400
    return img, out


def test_a_name_whose_first_word_tesseract_lost_comes_back_for_a_person_to_confirm():
    img, lines = _centred_block(["KT. CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG", "Phạm Huy Nam Sơn"])
    words = [w for line in lines[:2] for w in line] + lines[2][1:]  # "Phạm" not read (the seal)
    out = confirm_words(words, img, img.width, img.height)
    name = [w for w in out if w.line == lines[2][1].line]
    assert " ".join(w.text for w in name) == "Phạm Huy Nam Sơn"
    assert all(w.confidence <= DISAGREE_CAP for w in name)


def _page_with_list(block: list[str]) -> tuple[Image.Image, list[Word], list[list[Word]]]:
    """A page's foot: the "Nơi nhận:" list on the left, the block beside it on the right. Returns the
    image, Tesseract's words of the list, and the block's words as printed."""
    img, lines = _centred_block(block)
    draw = ImageDraw.Draw(img)
    f = font("regular", 11)
    listed = []
    for n, text in enumerate(["Nơi nhận:", "- Như trên;", "- Lưu: VT."]):
        y = 2290 + 60 * n
        draw.text((300, y), text, font=f, fill="black")
        x = 300.0
        for token in text.split(" "):
            width = f.getlength(token)
            listed.append(Word(token, 0.95, (round(x), y + 5, round(x + width), y + 40), n, 1))
            x += width + f.getlength(" ")
    return img, listed, lines


def test_an_authority_line_tesseract_did_not_read_is_read_where_the_block_stands():
    img, listed, lines = _page_with_list(["CHỦ TỊCH", "Lê Trung Chinh"])
    words = listed + lines[1]  # the title under the seal: not read at all
    out = confirm_words(words, img, img.width, img.height)
    added = out[len(words):]
    assert " ".join(w.text for w in added) == "CHỦ TỊCH"
    # One engine read them: never confirmed by that same engine, a person looks.
    assert all(w.confidence <= DISAGREE_CAP for w in added)
    assert abs(added[0].bbox[1] - lines[0][0].bbox[1]) < 40


def test_no_block_is_looked_for_where_the_page_has_one_or_no_place_for_one():
    from ocr.signer_lines import unread_block_rows

    img, listed, lines = _page_with_list(["CHỦ TỊCH", "Lê Trung Chinh"])
    bright = np.asarray(img)
    # Tesseract read the block: nothing to look for.
    assert unread_block_rows(listed + [w for line in lines for w in line], bright, img.width, img.height) == []
    # No "Nơi nhận:" and no place-and-date line: no place where a block must stand.
    assert unread_block_rows(lines[1], bright, img.width, img.height) == []


def test_a_delegation_line_read_as_debris_over_the_title_is_read_again():
    img, lines = _centred_block(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Đỗ Kim Hương"])
    tm = lines[0]
    debris = [Word("}MU", 0.6, (tm[1].bbox[0], tm[1].bbox[1], tm[2].bbox[2], tm[2].bbox[3]), tm[0].line, 1),
              Word("TT", 0.31, tm[3].bbox, tm[0].line, 1)]
    words = debris + lines[1] + lines[2]
    out = confirm_words(words, img, img.width, img.height)
    texts = [w.text for w in out]
    assert "}MU" not in texts and "TT" not in texts  # the debris is replaced, not kept beside the line
    added = [w for w in out if w.line not in {w.line for w in words}]
    assert " ".join(w.text for w in added) == "TM. ỦY BAN NHÂN DÂN"
    assert all(w.confidence <= DISAGREE_CAP for w in added)


def test_a_title_with_no_delegation_line_over_it_is_left_as_it_is():
    img, lines = _centred_block(["CHỦ TỊCH", "Lê Trung Chinh"])
    words = [w for line in lines for w in line]
    out = confirm_words(words, img, img.width, img.height)
    assert [w.text for w in out] == [w.text for w in words]
