"""Seams to the external poppler / NSS tools. Each call has a timeout and turns every failure
(missing binary, timeout, crash) into ToolFailed with a readable detail."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 60.0


class ToolFailed(Exception):
    def __init__(self, tool: str, detail: str, exit_code: int | None = None) -> None:
        self.tool = tool
        self.detail = detail
        self.exit_code = exit_code  # None: the tool did not run to completion (missing, timeout)
        super().__init__(f"{tool}: {detail}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.tool, self.detail, self.exit_code))


def run(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    tool = Path(argv[0]).name
    if shutil.which(argv[0]) is None:
        raise ToolFailed(tool, f"không tìm thấy chương trình / binary not found: {argv[0]}")
    env = dict(os.environ, LC_ALL="C.UTF-8")  # stable, parseable English output with UTF-8 names
    try:
        proc = subprocess.run(list(argv), capture_output=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(tool, f"quá thời gian / timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise ToolFailed(tool, f"không chạy được / cannot run: {exc}") from exc
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise ToolFailed(tool, f"exit {proc.returncode}: {err}", proc.returncode)
    return proc


def pdftotext(pdf: Path, *, first: int | None = None, last: int | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> str:
    argv = ["pdftotext", "-enc", "UTF-8"]
    if first:
        argv += ["-f", str(first)]
    if last:
        argv += ["-l", str(last)]
    proc = run([*argv, str(pdf), "-"], timeout=timeout)
    return proc.stdout.decode("utf-8", "replace")


def pdftoppm_jpeg(pdf: Path, out_dir: Path, *, dpi: int = 200, timeout: float = 300.0) -> list[Path]:
    """Rasterise every page to JPEG files in out_dir, in page order."""
    prefix = out_dir / "page"
    run(["pdftoppm", "-r", str(dpi), "-jpeg", "-jpegopt", "quality=92", str(pdf), str(prefix)], timeout=timeout)
    pages = sorted(out_dir.glob("page-*.jpg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not pages:
        raise ToolFailed("pdftoppm", f"no page rendered from {pdf}")
    return pages
