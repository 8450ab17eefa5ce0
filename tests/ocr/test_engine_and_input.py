"""The tesseract seam under fault injection, the pixel cap, bad input, the CLI's exit codes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import ocr
from core.exitcodes import ExitCode
from core.shared import real_scans_dir
from ocr._exec import tesseract
from sohoa.cli import main


def _fake_tesseract(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "fake-tesseract"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return exe


def _page(text: str = "Số: 12/QĐ-UBND") -> ocr.PageImage:
    im = Image.new("RGB", (900, 300), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf", 48)
    ImageDraw.Draw(im).text((40, 100), text, font=font, fill="black")
    return ocr.PageImage(im, 300, 1)


def test_crashing_tesseract_raises_engine_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_tesseract(tmp_path, 'echo "Error in pixReadStream: corrupt image" >&2\nexit 134')
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", str(exe))
    with pytest.raises(ocr.EngineFailed) as err:
        ocr.ocr_pages([_page()], workers=1, file="scan.png")
    assert "134" in err.value.reason and "corrupt image" in err.value.reason
    assert err.value.file.startswith("scan.png")


def test_hanging_tesseract_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_tesseract(tmp_path, "echo working >&2\nexec sleep 30")
    monkeypatch.setattr(tesseract, "TESSERACT_CMD", str(exe))
    with pytest.raises(ocr.EngineFailed, match="timed out after 0.5 s"):
        ocr.ocr_pages([_page()], workers=1, timeout_s=0.5)


def test_missing_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", "/nonexistent/tesseract")
    with pytest.raises(ocr.EngineFailed, match="not found"):
        ocr.ocr_pages([_page()], workers=1)


def test_seam_sets_single_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "env.txt"
    exe = _fake_tesseract(tmp_path, f'echo "$OMP_THREAD_LIMIT" > {out}\nprintf "level\\tx\\n"')
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", str(exe))
    result = ocr.ocr_pages([_page()], workers=1)
    assert out.read_text().strip() == "1"
    assert result.pages[0].words == ()


def test_cli_reports_tool_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    exe = _fake_tesseract(tmp_path, "echo boom >&2\nexit 1")
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", str(exe))
    img = tmp_path / "a.png"
    _page().image.save(img)
    assert main(["ocr", str(img)]) == ExitCode.EXTERNAL_TOOL_FAILED
    assert "a.png" in capsys.readouterr().err


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG claiming width x height 1-bit pixels: ~100 KB on disk, gigapixels decoded."""
    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 64)  # only a few rows are actually present

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_pixel_cap_refuses_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_bomb_png(30000, 30000))
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(ocr.ImageTooLarge) as err:
        ocr.load_pages(bomb)
    assert err.value.file == "bomb.png" and "900,000,000 pixels" in err.value.reason
    assert not decoded
    # Below PIL's own bomb limit, our cap still applies.
    small = tmp_path / "big.png"
    small.write_bytes(_bomb_png(12000, 11000))
    with pytest.raises(ocr.ImageTooLarge, match="12000x11000"):
        ocr.load_pages(small)


def test_pdf_pixel_cap_checked_before_rasterising(monkeypatch: pytest.MonkeyPatch) -> None:
    real = real_scans_dir() / "2.pdf"  # in the repository: never skipped
    from ocr._exec import poppler

    monkeypatch.setattr(poppler, "rasterise", lambda *a, **k: pytest.fail("rasterised"))
    with pytest.raises(ocr.ImageTooLarge, match="page 1"):
        ocr.load_pages(real, max_pixels=5_000_000)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty file"),
    (b"hello, this is not an image", "unsupported or corrupt image"),
    (b"%PDF-1.7\n garbage", "PDF"),
])
def test_bad_input(tmp_path: Path, data: bytes, reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.bin"
    f.write_bytes(data)
    with pytest.raises(ocr.UnreadableInput, match=reason) as err:
        ocr.load_pages(f)
    assert err.value.file == "bad.bin"
    assert main(["extract", str(f)]) == ExitCode.BAD_INPUT
    assert "bad.bin" in capsys.readouterr().err


def test_encrypted_pdf(tmp_path: Path) -> None:
    import pikepdf

    pdf = tmp_path / "locked.pdf"
    with pikepdf.new() as doc:
        doc.add_blank_page()
        doc.save(pdf, encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(ocr.UnreadableInput, match="encrypted"):
        ocr.load_pages(pdf)


def test_image_roundtrip_and_json(tmp_path: Path) -> None:
    page = _page("Số: 1234/QĐ-UBND")
    path = tmp_path / "one.png"
    page.image.save(path, dpi=(300, 300))
    result = ocr.ocr_file(path, workers=1)
    assert "1234/QĐ-UBND" in result.text()
    p = result.pages[0]
    assert p.number == 1 and p.dpi == 300 and (p.width, p.height) == (900, 300)
    assert all(0 <= w.confidence <= 1 and w.bbox[2] > w.bbox[0] for w in p.words)
    assert ocr.OcrResult.from_dict(result.to_dict()) == result


def test_blank_page_is_flagged() -> None:
    blank = ocr.PageImage(Image.new("RGB", (1240, 1754), (250, 250, 248)), 150, 1)
    result = ocr.ocr_pages([blank], workers=1)
    assert result.pages[0].quality.blank
    assert {"blank", "low_resolution"} <= set(result.pages[0].quality.flags)


def test_a_failing_column_pass_keeps_the_first_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """The second tesseract call (the columns of the header and signature zones) fails: the page keeps
    its first reading, with a warning naming the file, instead of failing the whole document."""
    import shutil

    from samples import render_document

    pages, truth = render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="light")
    page = ocr.PageImage(pages[0].convert("RGB"), truth["dpi"], 1)
    real = shutil.which("tesseract")
    exe = _fake_tesseract(tmp_path, f'case "$1" in *sohoa-cols-*) echo "killed" >&2; exit 137;; esac\nexec {real} "$@"')
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", str(exe))
    with caplog.at_level("WARNING", logger="ocr.tesseract_engine"):
        degraded = ocr.ocr_pages([page], workers=1, file="scan.png")
    assert "scan.png page 1: column pass skipped" in caplog.text
    first = ocr.ocr_pages([page], engine=ocr.get_engine("tesseract", columns=()), workers=1)
    assert degraded.pages[0].text == first.pages[0].text and degraded.pages[0].text
