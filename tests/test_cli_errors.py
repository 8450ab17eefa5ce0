"""The CLI's one error handler: a failing tool, injected through its seam, and a defect end in the
documented exit code and one line on stderr naming the file and the reason; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from core.exitcodes import ExitCode
from ocr._exec import poppler
from sohoa.cli import main

SOHOA = str(Path(sys.executable).parent / "sohoa")


def _scan(path: Path) -> Path:
    im = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(im).text((20, 80), "Số: 12/QĐ-UBND", fill="black")
    im.save(path, resolution=150)
    return path


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_missing_tesseract_through_the_installed_command(tmp_path: Path) -> None:
    scan = _scan(tmp_path / "giay-phep.png")
    env = {**os.environ, "SOHOA_TESSERACT_CMD": "/nonexistent/tesseract", "SOHOA_HOME": str(tmp_path / "home")}
    run = subprocess.run([SOHOA, "ocr", str(scan), "--workers", "1"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == ExitCode.EXTERNAL_TOOL_FAILED, run.stderr
    line = _one_line(run.stderr)
    assert line.startswith("Lỗi công cụ OCR: giay-phep.png")
    assert "not found ('/nonexistent/tesseract')" in line and "install tesseract-ocr" in line


def test_hanging_pdftoppm_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    # A real PDF the real pdfinfo reads first; a palette image, not one JPEG a page (that one is read
    # from its JPEG without pdftoppm, ocr.scan_jpegs).
    pdf = tmp_path / "quyet-dinh.pdf"
    Image.open(_scan(tmp_path / "quyet-dinh.png")).convert("P").save(pdf, resolution=150)
    hanging = tmp_path / "pdftoppm"
    hanging.write_text("#!/bin/sh\necho rendering >&2\nsleep 30\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(poppler, "PDFTOPPM_CMD", str(hanging))
    monkeypatch.setattr(poppler, "RASTER_TIMEOUT_S", 0.5)
    assert main(["ocr", str(pdf), "--workers", "1"]) == ExitCode.EXTERNAL_TOOL_FAILED
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("Lỗi công cụ OCR: quyet-dinh.pdf") and "pdftoppm: timed out after 0.5 s" in line


def test_a_defect_is_one_line_with_the_traceback_in_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import ocr
    from core.settings import reset_settings

    def broken(*_: object, **__: object) -> None:
        raise KeyError("trang")

    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    reset_settings()
    monkeypatch.setattr(ocr, "load_pages", broken)
    try:
        assert main(["ocr", str(_scan(tmp_path / "a.png"))]) == ExitCode.UNEXPECTED
    finally:
        reset_settings()
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("Lỗi không mong đợi: KeyError: 'trang' (chi tiết: ")
    logged = list((tmp_path / "home" / "logs").glob("error-*.txt"))
    assert len(logged) == 1 and str(logged[0]) in line
    text = logged[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "in broken" in text  # the traceback is in the log, not on the screen


def test_a_bad_argument_found_by_a_command_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", str(tmp_path / "out"), "--families", "nope"]) == ExitCode.USAGE
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("Tham số không hợp lệ: unknown template family")
