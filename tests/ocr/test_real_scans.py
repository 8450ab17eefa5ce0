"""Real scans against hand-made ground truth, both in the repository (tests/data/real-scans).

Real tesseract, real poppler; each page is read once for the session (tests/ocr/conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import ocr
from ocr.bench import REAL_SCANS, REAL_TRUTH, measure_real
from ocr.fields import HANDWRITTEN_CAP
from ocr.marks import UNDER_MARK_CAP, find_marks
from ocr.signer_lines import AGREE_FLOOR

REVIEW_THRESHOLD = 0.80  # schemas: a field below this goes to a person

@pytest.fixture(scope="module")
def letter(real_reading) -> tuple[list[ocr.PageImage], ocr.OcrResult]:  # type: ignore[no-untyped-def]
    return real_reading("1.pdf")


@pytest.fixture(scope="module")
def copy_scan(real_reading) -> tuple[list[ocr.PageImage], ocr.OcrResult]:  # type: ignore[no-untyped-def]
    return real_reading("3.pdf", pages=[1])


def test_ground_truth_is_there() -> None:
    truths = sorted(p.name for p in REAL_TRUTH.glob("*.truth.txt"))
    assert truths == ["1-p1.truth.txt", "1-p2.truth.txt", "2-p1.truth.txt", "3-p1.truth.txt"]
    assert "Đà Nẵng, ngày 31 tháng 5 năm 2019" in (REAL_TRUTH / "1-p1.truth.txt").read_text(encoding="utf-8")


def test_real_scan_wer_within_target_and_half_of_plain_tesseract(shared_readings: None) -> None:
    """The bench's own measurement (ocr.bench.measure_real), its pages read through the session's
    memo (tests/ocr/conftest.py): the same readings the tests below make their points on."""
    figures = measure_real()
    assert set(figures["pages"]) == {"1-p1", "1-p2", "2-p1", "3-p1"}
    ours, plain = figures["mean"]["sohoa"]["wer"], figures["mean"]["plain_tesseract"]["wer"]
    assert ours <= 0.08, figures
    assert ours <= plain / 2, figures
    for page in figures["pages"].values():
        assert page["sohoa"]["cer"] < page["plain_tesseract"]["cer"]


def test_text_layer_is_never_trusted(letter: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    """1.pdf carries an English OCR layer ("Hph phtic", "Throng phong"): we re-OCR the image."""
    layer = subprocess.run(["pdftotext", str(REAL_SCANS / "1.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "Hph phtic" in layer and "Hạnh phúc" not in layer  # the layer is garbage
    text = letter[1].text()
    assert "Độc lập - Tự do - Hạnh phúc" in text and "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text
    assert "Hph phtic" not in text and "Throng phong" not in text


def test_annotations_added_later_are_not_read_as_the_paper(letter: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    """A typed FreeText note lies over page 1 of 1.pdf; it is not part of the scanned paper."""
    text = letter[1].pages[0].text
    assert "Cô Hương" not in text and "phổ biến đến toàn thể SV" not in text
    assert "- Trưởng phòng GD&ĐT các quận, huyện;" in text  # the recipients under the note still read


def test_two_column_header_read_column_by_column(letter: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    lines = letter[1].pages[0].text.splitlines()
    at = {key: next(i for i, line in enumerate(lines) if key in line)
          for key in ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "quốc gia năm 2019", "CỘNG HOÀ XÃ HỘI", "tháng 5 năm 2019", "Kính gửi")}
    assert at["SỞ GIÁO DỤC VÀ ĐÀO TẠO"] < at["quốc gia năm 2019"] < at["CỘNG HOÀ XÃ HỘI"] < at["tháng 5 năm 2019"] \
        < at["Kính gửi"]


def test_recipients_list_read_before_signature_block(letter: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    text = letter[1].pages[1].text
    recipients = text.index("Nơi nhận:")
    last_recipient = text.index("- Lưu: VT")
    assert recipients < text.index("- UBND TP. Đà Nẵng;") < last_recipient < text.index("KT. GIÁM ĐỐC") \
        < text.index("Trần Nguyễn Minh Thành")


def test_handwritten_number_and_date_go_to_review(letter: tuple[list[ocr.PageImage], ocr.OcrResult],
                                                  copy_scan: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    """Number and day are written by hand into printed blanks on both letters."""
    for result in (letter[1], copy_scan[1]):
        ex = ocr.extract_fields(result)
        for name in ("document_number", "issue_date"):
            f = ex.fields[name]
            assert f.confidence < REVIEW_THRESHOLD, (name, f)
            assert f.page == 1 and f.bbox is not None, (name, f)  # the reviewer is pointed at the place
    ex = ocr.extract_fields(letter[1])
    assert ex.fields["issuing_authority"].value == "UBND THÀNH PHỐ ĐÀ NẴNG SỞ GIÁO DỤC VÀ ĐÀO TẠO"


def test_the_symbols_lower_case_letter_is_kept_as_printed(letter: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    """1.pdf's symbol is "SGDĐT-CTrTT" (Decree 30 writes "Tr" so): not put in capitals."""
    f = ocr.extract_fields(letter[1]).fields["document_number"]
    assert f.value is not None and f.value.endswith("/SGDĐT-CTrTT"), f


def test_handwriting_cap_applies_to_confident_fill_ins() -> None:
    """A fill-in Tesseract reads confidently is still capped when it stands apart in a printed blank."""
    from ocr.model import PageText, Word
    from ocr.quality import PageQuality

    y = 300
    words = (Word("Số:", 0.95, (400, y, 470, y + 40), 0, 1), Word("1595", 0.93, (520, y - 12, 640, y + 48), 0, 1),
             Word("/SGDĐT-CTrTT", 0.95, (700, y, 1000, y + 40), 0, 1))
    page = PageText(1, 2480, 3508, 300, words, "Số: 1595 /SGDĐT-CTrTT", 0.94, PageQuality(300, 900.0, 0.8, 0.05, False))
    f = ocr.extract_fields(ocr.OcrResult((page,), "test"), "quyet_dinh").fields["document_number"]
    assert f.value == "1595/SGDĐT-CTrTT" and f.confidence <= HANDWRITTEN_CAP
    printed = (Word("Số:", 0.95, (400, y, 470, y + 40), 0, 1), Word("1595/QĐ-UBND", 0.95, (480, y, 800, y + 40), 0, 1))
    page = PageText(1, 2480, 3508, 300, printed, "Số: 1595/QĐ-UBND", 0.95, PageQuality(300, 900.0, 0.8, 0.05, False))
    f = ocr.extract_fields(ocr.OcrResult((page,), "test"), "quyet_dinh").fields["document_number"]
    assert f.value == "1595/QĐ-UBND" and f.confidence > REVIEW_THRESHOLD


def test_words_under_seal_and_signature_are_capped(letter: tuple[list[ocr.PageImage], ocr.OcrResult],
                                                   copy_scan: tuple[list[ocr.PageImage], ocr.OcrResult]) -> None:
    pages, result = letter
    marks = find_marks(np.asarray(pages[1].image), pages[1].dpi)
    assert marks, "the seal and signature of 1.pdf page 2 are found"
    title = [w for w in result.pages[1].words if w.text in ("ĐỐC", "GIÁM")]
    # Capped under the seal, unless the second recogniser read the word alike (ocr.signer_lines):
    # agreement is the evidence that lifts the cap, never a value between the two.
    assert title and all(w.confidence <= UNDER_MARK_CAP or w.confidence >= AGREE_FLOOR for w in title)
    ex = ocr.extract_fields(result)
    assert ex.fields["signer_title"].confidence < REVIEW_THRESHOLD
    # 3.pdf: the red seal covers the signer's title; nothing read there is certain.
    seal = [m for m in find_marks(np.asarray(copy_scan[0][0].image), 200) if m.kind == "seal"]
    assert seal
    x0, y0, x1, y1 = seal[0].bbox
    inside = [w for w in copy_scan[1].pages[0].words if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1
              and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1]
    assert inside and all(w.confidence <= UNDER_MARK_CAP or w.confidence >= AGREE_FLOOR for w in inside)
    assert any(w.confidence <= UNDER_MARK_CAP for w in inside)  # what only Tesseract read stays doubted


def test_cli_ocr_real_scan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from core.exitcodes import ExitCode
    from sohoa.cli import main

    assert main(["ocr", str(REAL_SCANS / "1.pdf"), "--format", "json", "--workers", "1"]) == ExitCode.OK
    out = json.loads(capsys.readouterr().out)
    assert [p["number"] for p in out["pages"]] == [1, 2]
    page = out["pages"][0]
    assert {"text", "words", "quality", "rotation", "mean_confidence"} <= set(page)
    assert page["quality"]["rescan"] is False and 0 < page["quality"]["score"] <= 1
