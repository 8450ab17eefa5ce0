"""The ONE seam that runs the tesseract binary.

Tests (and deployments with a non-standard install) point `TESSERACT_CMD` or the environment
variable SOHOA_TESSERACT_CMD at another executable."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from ocr.errors import EngineFailed

# None: read SOHOA_TESSERACT_CMD at call time, else "tesseract".
TESSERACT_CMD: str | None = None


def command() -> str:
    return TESSERACT_CMD or os.environ.get("SOHOA_TESSERACT_CMD") or "tesseract"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # One thread per process; we parallelise by processes (5x faster here than OpenMP threads).
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _tail(data: bytes, limit: int = 600) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "(no stderr)"


def run(image_path: str, args: Sequence[str], *, timeout_s: float = 180, file: str = "<page>") -> str:
    """Run `tesseract IMAGE stdout ARGS...` and return stdout (UTF-8). Raises EngineFailed."""
    cmd = [command(), image_path, "stdout", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, env=_env(), check=False)
    except FileNotFoundError:
        raise EngineFailed(file, f"tesseract not found ({cmd[0]!r}); install tesseract-ocr") from None
    except PermissionError as exc:
        raise EngineFailed(file, f"tesseract cannot be started ({cmd[0]!r}): {exc}") from None
    except subprocess.TimeoutExpired as exc:
        raise EngineFailed(file, f"tesseract timed out after {timeout_s:g} s; stderr: {_tail(exc.stderr or b'')}") from None
    if proc.returncode != 0:
        raise EngineFailed(file, f"tesseract exited with code {proc.returncode}; stderr: {_tail(proc.stderr)}")
    return proc.stdout.decode("utf-8", "replace")


def languages() -> list[str]:
    """Installed traineddata names (`tesseract --list-langs`)."""
    try:
        proc = subprocess.run([command(), "--list-langs"], capture_output=True, timeout=30, env=_env(), check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    return [line.strip() for line in lines[1:] if line.strip()]
