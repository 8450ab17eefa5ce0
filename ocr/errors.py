"""Errors of the OCR stage: each names the file and the reason, so intake can quarantine it."""

from __future__ import annotations

from typing import Any

from core.exitcodes import ExitCode


class OcrError(Exception):
    """Base class. `file` is the input's name (or "<bytes>"), `reason` a short human sentence."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Tệp không đọc được"

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
    """The OCR engine (or poppler) crashed, timed out or could not be started: not the file's fault.

    The seams raise it from core.tools.ToolError (kept as its __cause__), adding the file's name."""

    exit_code: ExitCode = ExitCode.EXTERNAL_TOOL_FAILED
    headline = "Lỗi công cụ OCR"
