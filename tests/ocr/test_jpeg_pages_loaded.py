"""The OCR stage reads a scan that is one JPEG a page from its JPEGs (issue 16, cost outside OCR):
poppler is not started for it, and the pixels are the JPEG's own; anything else is rasterised as
before. And the post-correction's per-process tables are made once, not for each word or line."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr import pages as ocr_pages
from ocr._exec import poppler
from ocr.scan_jpegs import scan_jpegs
from tests.scan_pdfs import jpeg_of, pdf_of_jpegs

MAX = 120_000_000


def _scan(size: tuple[int, int] = (620, 877)) -> Image.Image:
    im = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(im)
    draw.text((40, 40), "QUYẾT ĐỊNH", fill="black")
    draw.ellipse((300, 500, 420, 620), outline="red", width=6)  # a seal: colour kept
    return im


def _count(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The poppler programs started from here on, by name (each still runs)."""
    calls: list[str] = []
    for name in ("info", "rasterise"):
        real: Callable[..., Any] = getattr(poppler, name)

        def counted(*a: Any, _real: Callable[..., Any] = real, _name: str = name, **k: Any) -> Any:
            calls.append(_name)
            return _real(*a, **k)

        monkeypatch.setattr(poppler, name, counted)
    return calls


def test_a_pdf_of_one_jpeg_a_page_is_read_from_its_jpegs_without_poppler(monkeypatch: pytest.MonkeyPatch) -> None:
    jpegs = [jpeg_of(_scan()), jpeg_of(_scan((600, 850)).convert("L"))]
    # 620 px over 297.6 pt = 150 dpi; 600 px over 432 pt = 100 dpi
    raw = pdf_of_jpegs(jpegs, [(297.6, 420.96), (432.0, 612.0)])
    calls = _count(monkeypatch)
    pages = ocr_pages.load_pages(raw)
    assert calls == []  # neither pdfinfo nor pdftoppm started: 0.15 CPU s a 300-dpi page saved
    assert [(p.number, p.dpi, p.dpi_from_file, p.image.mode) for p in pages] == [(1, 150, True, "RGB"),
                                                                                  (2, 100, True, "RGB")]
    for page, jpeg in zip(pages, jpegs, strict=True):  # the scanner's own pixels, colour kept
        own = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
        assert np.array_equal(np.asarray(page.image), own)
    expected = scan_jpegs(raw, max_pixels=MAX, dpi=300)
    assert expected is not None and [p.dpi for p in expected] == [p.dpi for p in pages]  # what the signed copy says


def test_any_other_pdf_is_rasterised_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    one = [jpeg_of(_scan())]
    # A page drawing more than its image (a stamp, a text layer added later): what the paper shows is
    # not the JPEG alone, poppler draws the page.
    more = b"q 297.60 0 0 420.96 0 0 cm /Im0 Do Q\nq 10 0 0 10 20 20 cm 0 0 1 rg 0 0 1 1 re f Q\n"
    calls = _count(monkeypatch)
    [page] = ocr_pages.load_pages(pdf_of_jpegs(one, [(297.6, 420.96)], content=more))
    assert calls == ["info", "rasterise"]
    assert (page.dpi, page.image.size) == (150, (620, 877))
    # A JPEG stream cut short decodes no whole page: poppler rasterises it (and says what is wrong).
    cut = one[0][: len(one[0]) // 2]
    calls.clear()
    try:
        ocr_pages.load_pages(pdf_of_jpegs([cut], [(297.6, 420.96)]))
    except Exception as exc:  # poppler's verdict on the broken stream, whichever it is
        assert type(exc).__name__ in ("UnreadableInput", "EngineFailed"), exc
    assert "rasterise" in calls


def test_the_post_corrections_tables_are_made_once_a_process() -> None:
    from ocr import correct

    correct._spelling.cache_clear()
    correct.word_list.cache_clear()
    correct.word_list()
    spelt = correct._spelling.cache_info()
    # The word list repeats its few thousand syllables many times: each is spelt once.
    assert spelt.hits > 5 * spelt.misses, spelt
    correct._folded_surnames.cache_clear()
    from ocr.model import Word

    line = [Word(t, 0.9, (10 * i, 0, 10 * i + 8, 10), 1, 1) for i, t in enumerate(["Nguyễn", "Văn", "An", "ký"])]
    for _ in range(3):
        correct._name_runs(line)
    assert correct._folded_surnames.cache_info().misses == 1
