"""Browser-test support for the web pages: Debian's Chromium driven by Playwright (never
`playwright install`), with the flags this closed network needs, and where screenshots go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")  # Debian package, installed by scripts/install-system.sh
# Without the background-networking flags Chromium keeps dialling Google's hosts, refused here.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium browser from a `sync_playwright()` handle; screenshots dir made."""
    ARTIFACTS.mkdir(exist_ok=True)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
