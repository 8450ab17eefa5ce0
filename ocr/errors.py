"""Errors of the OCR stage: each names the file and the reason, so intake can quarantine it."""

from __future__ import annotations

from typing import Any


class OcrError(Exception):
    """Base class. `file` is the input's name (or "<bytes>"), `reason` a short human sentence."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.file, self.reason))


class UnreadableInput(OcrError):
    """Zero bytes, unsupported type, corrupt or encrypted PDF, undecodable image."""


class ImageTooLarge(OcrError):
    """The page would exceed the pixel cap (decompression-bomb guard); refused before decoding."""


class EngineFailed(OcrError):
    """The OCR engine (or poppler) crashed, timed out or could not be started."""
