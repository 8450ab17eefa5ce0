"""Tesseract's library in this process reads exactly what the `tesseract` program prints (issue 16:
starting the program cost 0.13 CPU s a call, about 3.5 calls a page). The readings below run in an
order that changes the page segmentation, the resolution and the thresholding between calls: each
must still be the program's, byte for byte."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from core import tools
from ocr._exec import tesseract
from ocr.errors import EngineFailed

samples = pytest.importorskip("samples")

PAGE = ["-l", "vie", "--psm", "4", "--dpi", "300", "-c", "preserve_interword_spaces=0", "tsv"]
SMALL = ["-l", "vie", "--psm", "4", "--dpi", "200", "-c", "preserve_interword_spaces=0", "-c",
         "thresholding_method=2", "-c", "thresholding_kfactor=0.7", "tsv"]
BLOCK = ["-l", "vie", "--psm", "6", "--dpi", "420", "-c", "preserve_interword_spaces=0", "tsv"]
LINE = ["-l", "vie", "--psm", "7", "tsv"]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pages, _ = samples.render_document("quyet_dinh", seed=4, damage="light")
    gray = cv2.cvtColor(np.asarray(pages[0].convert("RGB")), cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    folder = tmp_path_factory.mktemp("tess")
    out = {"page": gray, "top": gray[: h // 4], "line": gray[h // 8: h // 8 + 120, : w // 2]}
    paths = {}
    for name, image in out.items():
        paths[name] = str(folder / f"{name}.pgm")
        cv2.imwrite(paths[name], image)
    return paths


def _program(image: str, args: list[str]) -> str:
    return subprocess.run(["tesseract", image, "stdout", *args], capture_output=True, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout.decode()


def test_the_library_reads_what_the_program_prints(images: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert tesseract.library_ready()
    started: list[str] = []
    run = tools.run
    monkeypatch.setattr(tools, "run", lambda argv, **kw: started.append(str(argv[0])) or run(argv, **kw))
    order = [("page", PAGE), ("top", SMALL), ("top", BLOCK), ("line", LINE), ("top", PAGE), ("page", SMALL),
             ("line", BLOCK)]
    read = [tesseract.run(images[name], args) for name, args in order]
    assert started == []  # no program started: the library read them all
    monkeypatch.setattr(tools, "run", run)
    for (name, args), got in zip(order, read, strict=True):
        assert got == _program(images[name], args), (name, args)
    assert sum(row.startswith("5\t") for row in read[0].splitlines()) > 50  # the page's words


def test_the_program_runs_for_what_the_library_does_not_do(images: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []
    run = tools.run

    def counted(argv: Any, **kw: Any) -> Any:
        started.append([str(a) for a in argv])
        return run(argv, **kw)

    monkeypatch.setattr(tools, "run", counted)
    tesseract.run(images["page"], ["--psm", "0", "--dpi", "150"])  # OSD
    tesseract.run(images["line"], ["-l", "vie", "--psm", "7"])  # plain text
    assert len(started) == 2
    monkeypatch.setenv("SOHOA_TESSERACT_IN_PROCESS", "0")
    assert tesseract.run(images["line"], LINE) == _program(images["line"], LINE)
    assert len(started) == 3
    # A test's (or a deployment's) own executable is always run as a program.
    monkeypatch.delenv("SOHOA_TESSERACT_IN_PROCESS")
    monkeypatch.setenv("SOHOA_TESSERACT_CMD", "/nonexistent/tesseract")
    with pytest.raises(EngineFailed, match="not found|cannot be started"):
        tesseract.run(images["line"], LINE)


def test_requests_are_parsed_as_the_program_reads_its_arguments() -> None:
    req = tesseract.Request.parse(SMALL)
    assert req == tesseract.Request("vie", 4, 200, (("preserve_interword_spaces", "0"), ("thresholding_method", "2"),
                                                    ("thresholding_kfactor", "0.7")))
    assert tesseract.Request.parse(["-l", "vie", "tsv"]) == tesseract.Request("vie", 3, 0, ())
    for args in (["--psm", "0", "tsv"], ["-l", "vie"], ["-l", "vie", "--oem", "0", "tsv"], ["--psm", "x", "tsv"],
                 ["-l", "vie", "hocr"]):
        assert tesseract.Request.parse(args) is None, args


def test_a_reading_past_its_time_limit_fails_as_the_program_would(images: dict[str, str]) -> None:
    with pytest.raises(EngineFailed, match="timed out"):
        tesseract.run(images["page"], PAGE, timeout_s=0.001, file="slow.pdf page 1")
    # The handle is usable again afterwards.
    assert tesseract.run(images["line"], LINE) == _program(images["line"], LINE)


def test_an_unreadable_image_and_a_list_of_images_go_to_the_program(images: dict[str, str], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    run = tools.run
    monkeypatch.setattr(tools, "run", lambda argv, **kw: started.append(str(argv[1])) or run(argv, **kw))
    bad = tmp_path / "bad.pgm"
    bad.write_bytes(b"not an image")
    with pytest.raises(EngineFailed):
        tesseract.run(str(bad), LINE, file="bad")
    listing = tmp_path / "sheets.txt"  # one reading of several images, page_num counting them
    listing.write_text(f"{images['line']}\n{images['top']}\n", encoding="utf-8")
    both = tesseract.run(str(listing), BLOCK)
    assert started == [str(bad), str(listing)]
    assert {row.split("\t")[1] for row in both.splitlines()[1:]} == {"1", "2"}
