"""Where the project's shared inputs live (real scans, legal seeds): `../shared/` beside the
repository by default. They are not in git (third-party documents); tests that read them look here."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """SOHOA_SHARED_DIR, else ../shared beside the repository, else /work/shared (the CI layout)."""
    candidates = [Path(p) for p in (os.environ.get("SOHOA_SHARED_DIR"),) if p]
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    for path in candidates:
        if (path / "real-scans").is_dir():
            return path
    return candidates[0]


def real_scans_dir() -> Path:
    return shared_dir() / "real-scans"
