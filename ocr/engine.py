"""The OCR engine interface and a registry of engines by name (Tesseract is built in).

The registry knows the built-in engine and loads it on first use; an engine module never imports
the registry back (a plugin engine is registered by whoever installs it, with `register_engine`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast, runtime_checkable

import numpy as np
from PIL import Image

from ocr.model import PageText


@runtime_checkable
class OcrEngine(Protocol):
    """Recognises one page. Implementations must be picklable: pages run in worker processes.

    The returned PageText's `number` and `quality` are filled in by `ocr_pages`."""

    name: str

    def recognise(self, image: np.ndarray | Image.Image, *, dpi: int, language: str) -> PageText: ...


_REGISTRY: dict[str, Callable[..., OcrEngine]] = {}


def register_engine(name: str, factory: Callable[..., OcrEngine]) -> None:
    _REGISTRY[name] = factory


def get_engine(name: str = "tesseract", **options: object) -> OcrEngine:
    if name not in _REGISTRY and name == "tesseract":
        from ocr.tesseract_engine import TesseractEngine  # late: OpenCV and friends load on first use

        register_engine("tesseract", cast("Callable[..., OcrEngine]", TesseractEngine))
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown OCR engine {name!r}; known: {', '.join(engines())}") from None
    return factory(**options)


def engines() -> list[str]:
    return sorted(set(_REGISTRY) | {"tesseract"})
