"""The OCR engine interface and a registry of engines by name (Tesseract and AsterOCR are built in).

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


def _builtin(name: str) -> Callable[..., OcrEngine] | None:
    """The built-in engines, imported on first use (OpenCV, ONNX Runtime and friends load late)."""
    if name == "tesseract":
        from ocr.tesseract_engine import TesseractEngine

        return cast("Callable[..., OcrEngine]", TesseractEngine)
    if name == "aster":
        from ocr.aster_engine import AsterEngine

        return cast("Callable[..., OcrEngine]", AsterEngine)
    return None


def get_engine(name: str = "tesseract", **options: object) -> OcrEngine:
    if name not in _REGISTRY and (factory := _builtin(name)) is not None:
        register_engine(name, factory)
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown OCR engine {name!r}; known: {', '.join(engines())}") from None
    return factory(**options)


def engines() -> list[str]:
    return sorted(set(_REGISTRY) | {"tesseract", "aster"})
