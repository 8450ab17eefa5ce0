"""The ONE seam that runs the tesseract binary, and Tesseract's training tools (combine_tessdata,
dawg2wordlist) that the lexicon build reads its dictionary with; all through core.tools.

Tests (and deployments with a non-standard install) point `TESSERACT_CMD` or the environment
variable SOHOA_TESSERACT_CMD at another executable."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from core import tools
from ocr.errors import EngineFailed

# None: read SOHOA_TESSERACT_CMD at call time, else "tesseract".
TESSERACT_CMD: str | None = None
HINT = "install tesseract-ocr"
# One thread per process; we parallelise by processes (5x faster here than OpenMP threads).
_ENV = {"OMP_THREAD_LIMIT": "1"}


def command() -> str:
    return TESSERACT_CMD or os.environ.get("SOHOA_TESSERACT_CMD") or "tesseract"


def run(image_path: str, args: Sequence[str], *, timeout_s: float = 180, file: str = "<page>") -> str:
    """Run `tesseract IMAGE stdout ARGS...` and return stdout (UTF-8). Raises EngineFailed."""
    try:
        done = tools.run([command(), image_path, "stdout", *args], timeout_s=timeout_s, tool="tesseract",
                         env=_ENV, hint=HINT)
    except tools.ToolError as exc:
        raise EngineFailed(file, str(exc)) from exc
    return done.text


def languages() -> list[str]:
    """Installed traineddata names (`tesseract --list-langs`); none when tesseract cannot be run."""
    try:
        done = tools.run([command(), "--list-langs"], timeout_s=30, tool="tesseract", env=_ENV, check=False)
    except tools.ToolError:
        return []
    return [line.strip() for line in done.text.splitlines()[1:] if line.strip()]



def dictionary_words(traineddata: Path, *, timeout_s: float = 120) -> list[str]:
    """The word list inside a traineddata file (`combine_tessdata -u`, then `dawg2wordlist`); none
    when the file or the training tools (package tesseract-ocr's) are not there. Raises ToolError."""
    if not traineddata.exists():
        return []
    try:
        tools.find("combine_tessdata")
        tools.find("dawg2wordlist")
    except tools.ToolError:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        parts = f"{tmp}/{traineddata.stem}."
        tools.run(["combine_tessdata", "-u", str(traineddata), parts], timeout_s=timeout_s)
        tools.run(["dawg2wordlist", f"{parts}lstm-unicharset", f"{parts}lstm-word-dawg", f"{tmp}/w.txt"],
                  timeout_s=timeout_s)
        return Path(f"{tmp}/w.txt").read_text(encoding="utf-8").splitlines()
