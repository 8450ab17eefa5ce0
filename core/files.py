"""Files and folders that hold secrets: keys, key passwords, the results DB, the S3 keys.

Created readable by their owner only (0600 files, 0700 folders) from the first byte: a file made
with the default umask and narrowed afterwards is world-readable for a moment (issue 17, finding 10).
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create the folder (and parents) if needed; the folder itself is made 0700."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes | str) -> None:
    """Create (or replace) a file readable by its owner only, never world-readable even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    path.chmod(0o600)  # an existing file keeps its old mode through O_CREAT


def touch_private(path: Path) -> None:
    """Make sure the file exists and is 0600, keeping its content (a SQLite DB before its first open)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
