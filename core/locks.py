"""One run per batch at a time: a second `sohoa run` of the same batch stops with a clear message
(exit 6, try again later) instead of racing the first one for the same rows and objects."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.faults import BatchBusy


@contextmanager
def batch_lock(home: Path, batch_key: str, what: str) -> Iterator[None]:
    """Hold an exclusive lock on the batch for the block; BatchBusy when another process holds it.

    The kernel drops the lock when the holder dies (even by SIGKILL): a crash never leaves a stale lock."""
    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"batch-{batch_key[:32]}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise BatchBusy(f"Lô {what} đang được một lần chạy khác xử lý (pid {holder}); "
                            "chờ lần đó kết thúc rồi chạy lại") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
