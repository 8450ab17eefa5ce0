"""The signature block and the recipients list read a second time: agreement is the evidence a sealed
field needs to reach the default threshold, disagreement keeps it for a person."""

from __future__ import annotations

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
