"""Fixtures of the OCR tests: each real page read once per test session.

A real page takes seconds to read with the full engine (columns, key lines, signer lines, recipients
list), and several files assert different things about the same pages (1.pdf above all). Their
readings come from one session-wide memo instead of a new reading per module. Only readings with the
default engine settings are shared, and each is a real reading of that very image (keyed by its
pixels, resolution and page number), so nothing a test asserts is weakened; a test that reads with
other settings reads for itself."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

import ocr
from core.shared import real_scans_dir
from ocr.model import OcrResult, PageText
from ocr.pages import PageImage
from ocr.tesseract_engine import TesseractEngine

_READINGS: dict[tuple[str, int, int], PageText] = {}
_real_ocr_pages = ocr.ocr_pages


def _default(engine: Any) -> bool:
    """The engine `ocr.ocr_pages` makes when given none (its timeout aside: it changes no reading)."""
    return engine is None or (isinstance(engine, TesseractEngine)
                              and dataclasses.replace(engine, timeout_s=180.0) == TesseractEngine())


def read_once(pages: Sequence[PageImage], *, engine: Any = None, workers: int = 1, file: str = "<pages>",
              **kwargs: Any) -> OcrResult:
    """`ocr.ocr_pages`, with each page of the default engine read once per session (pages are read
    independently of each other, so a page's reading does not depend on the pages read with it)."""
    if not _default(engine) or kwargs:
        return _real_ocr_pages(pages, engine=engine, workers=workers, file=file, **kwargs)
    out: list[PageText] = []
    for page in pages:
        key = (hashlib.sha256(page.image.tobytes()).hexdigest() + page.image.mode + repr(page.image.size),
               page.dpi, page.number)
        if key not in _READINGS:
            _READINGS[key] = _real_ocr_pages([page], engine=engine, workers=1, file=file).pages[0]
        out.append(_READINGS[key])
    return OcrResult(pages=tuple(out), engine="tesseract")


@pytest.fixture(scope="session")
def real_reading() -> Callable[..., tuple[list[PageImage], OcrResult]]:
    """`real_reading("1.pdf", pages=None)`: the pages of a real scan of tests/data/real-scans (all, or
    those numbered in `pages`) and their reading with the default engine, shared by the session."""

    def read(file: str, pages: Sequence[int] | None = None) -> tuple[list[PageImage], OcrResult]:
        loaded = [p for p in ocr.load_pages(real_scans_dir() / file) if pages is None or p.number in pages]
        return loaded, read_once(loaded, file=file)

    return read


@pytest.fixture
def shared_readings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The code under test (ocr.bench) reads its pages through the session's memo."""
    import ocr.bench

    monkeypatch.setattr(ocr.bench, "ocr_pages", read_once)
    yield
