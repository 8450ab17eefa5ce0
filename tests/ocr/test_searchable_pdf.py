"""Method (a): the searchable PDF/A-2b (real tesseract, real pdftotext and pdffonts)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest

import ocr
from core.exitcodes import ExitCode
from ocr.pdf import searchable_pdf
from sohoa.cli import main

samples = pytest.importorskip("samples")


@pytest.fixture(scope="module")
def decision() -> tuple[list[ocr.PageImage], ocr.OcrResult, dict]:
    pages, truth = samples.render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="light")
    images = [ocr.PageImage(p.convert("RGB"), truth["dpi"], i + 1) for i, p in enumerate(pages)]
    return images, ocr.ocr_pages(images, workers=1), truth


def _pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdftotext_returns_the_ocr_text_in_reading_order(decision, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages, result, _ = decision
    pdf = searchable_pdf(pages, result)
    assert _pdftotext(pdf, tmp_path, "-raw").split() == result.text().split()
    # A viewer's own layout analysis still finds every line.
    layout = _pdftotext(pdf, tmp_path)
    for line in result.pages[0].text.splitlines()[:8]:
        assert " ".join(line.split()) in " ".join(layout.split())


def test_pdfa_2b_identification_output_intent_and_embedded_font(decision, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages, result, truth = decision
    pdf = searchable_pdf(pages, result, title="Giấy xác nhận")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert str(meta["pdfaid:part"]) == "2" and str(meta["pdfaid:conformance"]) == "B"
        assert str(meta["dc:title"]) == str(doc.trailer.Info.Title) == "Giấy xác nhận"
        intent = doc.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and int(intent.DestOutputProfile.N) == 3
        assert "/Encrypt" not in doc.trailer
        page = doc.pages[0]
        # The page is the scan's physical size: pixels / dpi * 72.
        width_pt = float(page.mediabox[2])
        assert abs(width_pt - pages[0].image.width / truth["dpi"] * 72) < 0.5
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    report = pikepdf.pdfa.validate_written(io.BytesIO(pdf), "2b")
    assert report.verdict == "pass", [f.message for f in report.findings]


def test_cli_ocr_format_pdf(decision, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    pages, _, _ = decision
    scan = tmp_path / "xn.png"
    pages[0].image.save(scan, dpi=(300, 300))
    out = tmp_path / "xn.pdf"
    assert main(["ocr", str(scan), "--format", "pdf", "--out", str(out), "--workers", "1"]) == ExitCode.OK
    text = _pdftotext(out.read_bytes(), tmp_path, "-raw")
    assert "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN" in text
    assert main(["ocr", str(scan), "--format", "pdf"]) == ExitCode.USAGE
    assert "--out" in capsys.readouterr().err


def test_sideways_page_is_read_turned_and_stored_upright(decision, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages, result, truth = decision
    sideways = ocr.PageImage(pages[0].image.rotate(90, expand=True), truth["dpi"], 1)
    turned = ocr.ocr_pages([sideways], workers=1)
    assert turned.pages[0].rotation == 90  # PIL turned it 90° anticlockwise: 90° clockwise undoes it
    ex = ocr.extract_fields(turned)
    assert ex.fields["holder_id_number"].value == truth["fields"]["holder_id_number"]
    with pikepdf.open(io.BytesIO(searchable_pdf([sideways], turned))) as doc:
        box = doc.pages[0].mediabox
        assert float(box[3]) > float(box[2])  # portrait again
