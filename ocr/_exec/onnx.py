"""The ONE seam that creates onnxruntime sessions (the second recogniser's network runs through it).

A session is made lazily, once per process and model file: engines stay small picklable values
that name their model, and each worker process of `ocr_pages` builds its own session on first use
(an onnxruntime session does not survive a fork). One intra-op thread, like Tesseract's
OMP_THREAD_LIMIT=1: the stage parallelises by processes, one per core."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ocr.errors import EngineFailed

if TYPE_CHECKING:
    import onnxruntime

_SESSIONS: dict[tuple[int, str], onnxruntime.InferenceSession] = {}
_LOCK = threading.Lock()


def session(model: Path, *, file: str = "<page>") -> onnxruntime.InferenceSession:
    """The process's session for `model` (CPU, one thread, no busy-waiting). Raises EngineFailed."""
    key = (os.getpid(), str(model))
    found = _SESSIONS.get(key)
    if found is not None:
        return found
    with _LOCK:
        found = _SESSIONS.get(key)
        if found is not None:
            return found
        try:
            import onnxruntime
        except ImportError:
            raise EngineFailed(file, "onnxruntime is not installed (make venv installs it)") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Idle threads spinning would take the core from the Tesseract process next to us.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            made = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise EngineFailed(file, f"cannot load {Path(model).name}: {exc}") from None
        _SESSIONS[key] = made
        return made
