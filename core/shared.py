"""Where the project's shared inputs live (legal seeds): `../shared/` beside the repository by
default; they are not in git. The real scans are public official documents and are in git
(`tests/data/real-scans/`, see `core.real_scans`), so nothing that reads them depends on `../shared`."""

from __future__ import annotations

import os
from pathlib import Path

from core.real_scans import REAL_SCANS

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """SOHOA_SHARED_DIR, else ../shared beside the repository, else /work/shared (the CI layout)."""
    candidates = [Path(p) for p in (os.environ.get("SOHOA_SHARED_DIR"),) if p]
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    for path in candidates:
        if (path / "seeds").is_dir() or (path / "real-scans").is_dir():
            return path
    return candidates[0]


def real_scans_dir() -> Path:
    """The repository's copy of the real scans (both shared sets, one folder, with truth.json)."""
    return REAL_SCANS
