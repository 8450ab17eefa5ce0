"""Browser-test support for the web pages: Debian's Chromium driven by Playwright (never
`playwright install`), with the flags this closed network needs, and where screenshots go."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def serve_app(settings: Any) -> Iterator[str]:
    """The web app on a free loopback port in a background thread, for a browser to visit; its base URL.
    Stopped when the block ends."""
    import uvicorn

    from storage._exec.weed import free_port
    from web import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
