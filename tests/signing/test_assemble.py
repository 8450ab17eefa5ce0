from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from signing import ConversionMarker, KeySource, SignatureStatus, assemble_pdf, sign_result, verify_pdf
from signing.pki import TestPki

from .conftest import CONVERTER, RESULT_CODE, SCAN_DPI, SCAN_SIZE, Signed, make_scan


def _pdftotext(path: Path, *extra: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *extra, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_marker_text_extractable_with_diacritics_and_vietnam_time(signed: Signed) -> None:
    text = _pdftotext(signed.path)
    assert "Bản điện tử được chuyển đổi từ văn bản giấy" in text
    assert f"Đơn vị chuyển đổi: {CONVERTER}" in text
    # converted_at is 07:05 UTC: Vietnam time is +7 h.
    assert "Thời gian chuyển đổi: 14:05 ngày 22/11/2026" in text
    assert f"Mã kết quả: {RESULT_CODE}" in text


def test_fonts_are_embedded_subsets(signed: Signed) -> None:
    out = subprocess.run(["pdffonts", str(signed.path)], check=True, capture_output=True, text=True).stdout
    rows = [r.split() for r in out.splitlines()[2:]]
    assert rows and all(r[-5:-3] == ["yes", "yes"] for r in rows), out  # emb, sub
    assert all("NotoSans" in r[0] for r in rows), out


def test_band_is_added_below_the_scan_never_over_it(signed: Signed, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-png", "-singlefile", str(signed.path), str(tmp_path / "p")],
                   check=True)
    page = Image.open(tmp_path / "p.png").convert("RGB")
    w, h = SCAN_SIZE
    assert abs(page.width - w) <= 1
    band_px = page.height - h
    assert band_px > 40, "the page must be extended by the marker band"
    scan_region = page.crop((0, 0, w, h))
    diff = ImageStat.Stat(ImageChops.difference(scan_region, signed.scan.convert("RGB"))).mean
    assert max(diff) < 4, f"scan region differs from the scan: {diff}"
    # The scan's black bottom strip is still there, right above the band.
    assert max(ImageStat.Stat(page.crop((0, h - 25, w, h - 5))).mean) < 30
    band = page.crop((0, h + 2, w, page.height)).convert("L")
    lo, hi = band.getextrema()
    assert hi > 240 and lo < 60  # white band with dark text and QR
    assert ImageStat.Stat(band).mean[0] > 180


def test_multi_page_text_layer_attachments_and_jpeg_passthrough(key: KeySource, marker: ConversionMarker,
                                                               pki: TestPki, tmp_path: Path) -> None:
    jpeg_path = tmp_path / "p2.jpg"
    make_scan((600, 800), seed=3).save(jpeg_path, quality=80)
    pages = [make_scan(), jpeg_path, make_scan((1000, 700), seed=1).convert("L")]
    layers = ["QUYẾT ĐỊNH\nVề việc cấp giấy phép", "", "Nơi nhận: như trên"]
    fields = b'{"so_hieu": "1234/QD-UBND"}'
    result = sign_result(pages, marker, key, dpi=[SCAN_DPI, 150, 200], text_layers=layers,
                         attachments={"fields.json": fields})
    path = tmp_path / "multi.pdf"
    path.write_bytes(result.pdf)
    assert result.pdf.count(jpeg_path.read_bytes()) == 1  # embedded as is, not re-encoded
    for n in (1, 2, 3):  # the marker on every page
        assert "Bản điện tử được chuyển đổi từ văn bản giấy" in _pdftotext(path, "-f", str(n), "-l", str(n))
    text = _pdftotext(path)
    assert "QUYẾT ĐỊNH" in text and "Nơi nhận: như trên" in text
    with pikepdf.open(io.BytesIO(result.pdf)) as pdf:
        assert len(pdf.pages) == 3
        assert pdf.attachments["fields.json"].get_file().read_bytes() == fields
        w2 = float(pdf.pages[1].mediabox[2])
        assert abs(w2 - 600 * 72 / 150) < 0.01  # physical size kept
    report = verify_pdf(path, [pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report


def test_assemble_rejects_mismatched_arguments(marker: ConversionMarker) -> None:
    import pytest

    with pytest.raises(ValueError):
        assemble_pdf([], marker)
    with pytest.raises(ValueError):
        assemble_pdf([make_scan()], marker, dpi=[100, 200])
    with pytest.raises(ValueError):
        assemble_pdf([make_scan()], marker, text_layers=["a", "b"])


def test_qr_code_decodes_to_the_marker_payload(signed: Signed, tmp_path: Path) -> None:
    import json

    import pytest

    cv2 = pytest.importorskip("cv2")
    import numpy as np

    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-singlefile", str(signed.path), str(tmp_path / "q")], check=True)
    pixels = np.array(Image.open(tmp_path / "q.pgm"))
    text, *_ = cv2.QRCodeDetector().detectAndDecode(pixels)
    assert json.loads(text) == json.loads(signed.marker.qr_payload())



def test_ocr_word_boxes_become_a_positioned_text_layer(marker: ConversionMarker, tmp_path: Path) -> None:
    """An ocr.PageText layer puts each word over its box: pdftotext -bbox finds the word where it was read."""
    import ocr

    scan = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(scan)
    font = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 48)
    draw.text((300, 400), "QUYẾT ĐỊNH", fill="black", font=font)
    draw.text((300, 1200), "Nguyễn Thị Hoa", fill="black", font=font)
    page = ocr.ocr_pages([ocr.PageImage(scan, 200, 1)], workers=1).pages[0]
    word = next(w for w in page.words if w.text == "Hoa")
    path = tmp_path / "layer.pdf"
    path.write_bytes(assemble_pdf([scan], marker, dpi=200, text_layers=[page]))

    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # <word xMin=".." yMin=".." ...>Hoa</word>, in points from the page's top-left; the band is below the scan.
    found = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">Hoa</word>', html)
    assert found, html[:2000]
    points_per_pixel = 72 / 200
    assert abs(float(found.group(1)) - word.bbox[0] * points_per_pixel) < 3
    assert abs(float(found.group(2)) - word.bbox[1] * points_per_pixel) < 6
