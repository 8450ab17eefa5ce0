"""Reading pages: each page's resolution measured, the engine run (one process per core for many
pages), a page read sideways turned and read again. `ocr/__init__` re-exports these names."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.workers import fork_is_safe
from ocr.correct import is_syllable
from ocr.engine import OcrEngine, get_engine
from ocr.model import OcrResult, PageText, Word
from ocr.pages import MAX_PIXELS, PageImage, load_pages
from ocr.quality import PageQuality, assess
from ocr.tesseract_engine import TesseractEngine, orientation

Progress = Callable[[int, int], None]  # (pages done, pages in total)

# A page whose reading is mostly Vietnamese syllables was read upright, however unsure Tesseract and
# the second readings' caps left its words: OSD (--psm 0, 0.6 CPU s a page) is asked only when the
# words do not read as text. Measured (first readings of generated and real development pages, each
# also turned): upright 0.93-0.96 of the letters in syllables, phone captures included; turned 180°
# 0.09-0.13; turned 90° no words at all. The two doubtful pages of the cost bench were both upright.
UPRIGHT_SYLLABLES = 0.5
UPRIGHT_MIN_TOKENS = 20
_PUNCTUATION = ".,;:!?()[]\"'“”‘’-–—/…*"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _one(engine: OcrEngine, page: PageImage, language: str, file: str) -> PageText:
    # The page's own resolution, not the file's claim: an untagged 576x960 JPEG is ~70 dpi, not 300.
    quality = assess(page.image, page.dpi, dpi_from_file=page.dpi_from_file)
    kwargs: dict[str, Any] = {"dpi": quality.dpi, "language": language}
    if isinstance(engine, TesseractEngine):  # names the file in EngineFailed; not part of the Protocol
        kwargs["file"] = f"{file} page {page.number}"
    text = engine.recognise(page.image, **kwargs)
    if isinstance(engine, TesseractEngine) and engine.orientation and _doubtful(text, quality):
        # A page read sideways or upside down gives few, unsure words: ask OSD, read it turned.
        angle = orientation(page.image, dpi=quality.dpi, file=kwargs.get("file", "<page>"))
        if angle:
            upright = page.image.rotate(-angle, expand=True)
            turned = engine.recognise(upright, **kwargs)
            if turned.mean_confidence > text.mean_confidence:
                text = replace(turned, rotation=angle)
                quality = quality.turned(angle)
    return replace(text, number=page.number, quality=quality)


def _doubtful(text: PageText, quality: PageQuality) -> bool:
    return (not quality.blank and (len(text.words) < 20 or text.mean_confidence < 0.6)
            and not reads_upright(text.words))


def reads_upright(words: Sequence[Word]) -> bool:
    """Whether the reading is text read the right way up: at least UPRIGHT_MIN_TOKENS tokens of two
    letters or more, and UPRIGHT_SYLLABLES of their letters in well-formed Vietnamese syllables. A
    page read sideways gives no words; upside down, symbols and fragments that are rarely syllables."""
    tokens = [t for t in (w.text.strip(_PUNCTUATION) for w in words) if sum(c.isalpha() for c in t) >= 2]
    if len(tokens) < UPRIGHT_MIN_TOKENS:
        return False
    letters = sum(len(t) for t in tokens)
    good = sum(len(t) for t in tokens if t.isalpha() and is_syllable(t))
    return good >= UPRIGHT_SYLLABLES * letters


def ocr_pages(pages: Sequence[PageImage], *, engine: OcrEngine | None = None, language: str = "vie",
              workers: int = 0, timeout_s: float = 180, file: str = "<pages>",
              progress: Progress | None = None) -> OcrResult:
    """OCR every page. With several pages and workers != 1, one process per core (workers=0: all cores);
    each runs one single-threaded tesseract (OMP_THREAD_LIMIT=1), 5x faster than tesseract's threads."""
    if engine is None:
        engine = get_engine("tesseract", timeout_s=timeout_s)
    total = len(pages)
    n = min(_cores() if workers <= 0 else workers, total)
    results: list[PageText] = []
    if n <= 1:
        for i, page in enumerate(pages):
            results.append(_one(engine, page, language, file))
            if progress:
                progress(i + 1, total)
    else:
        # fork is fast and needs no `if __name__ == "__main__"` guard in the caller's script, but is
        # unsafe once the caller has threads (Airflow, web servers): then forkserver.
        method = "fork" if fork_is_safe() else "forkserver"
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            futures = [pool.submit(_one, engine, page, language, file) for page in pages]
            for i, fut in enumerate(futures):
                try:
                    results.append(fut.result())
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
                if progress:
                    progress(i + 1, total)
    return OcrResult(pages=tuple(results), engine=getattr(engine, "name", type(engine).__name__))


def ocr_file(path: Path, *, max_pixels: int = MAX_PIXELS, dpi: int = 300, **kw: Any) -> OcrResult:
    """Load every page of an image or PDF and OCR it (keyword arguments go to `ocr_pages`)."""
    pages = load_pages(path, max_pixels=max_pixels, dpi=dpi)
    kw.setdefault("file", Path(path).name)
    return ocr_pages(pages, **kw)
