"""Fault-injection seam: kill the process at a named point, like a power cut.

The stages call `crash_point("store.after_results_put")` between the steps whose ordering
matters for recovery (an object written but its DB row not yet committed, an HTTP delivery made
but not yet recorded …). Nothing happens unless the environment variable SOHOA_CRASH_AT names
that point:

    SOHOA_CRASH_AT=sign.after_work_put        die at the first hit
    SOHOA_CRASH_AT=sync.after_delivery:2      die at the second hit (the 2nd document, event …)

The process then sends itself SIGKILL: no `finally`, no `atexit`, no rollback, no flush — open
transactions are simply lost, as after a power cut or an OOM kill. Integration tests
(tests/integration/test_crash_recovery.py) re-run the pipeline after each such death and
compare the outcome with an uninterrupted run.

When the variable is unset the cost is one dictionary look-up per call. `CRASH_POINTS` lists
every name the code calls, so a typo in a test is caught rather than silently never firing.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "SOHOA_CRASH_AT"

# name -> where it sits (documentation; the test parametrises over these).
CRASH_POINTS: dict[str, str] = {
    "intake.after_raw_put": "intake: the raw scan is in the raw bucket, its Document row is not committed",
    "intake.before_commit": "intake: the Document and audit rows are flushed (ids taken) but not committed",
    "ocr.after_work_put": "ocr: ocr.json is in the work bucket, the pages/status are not committed",
    "validate.after_commit": "validate: routes committed, the report and expectation suites not yet written",
    "sign.after_work_put": "sign: the signed PDF is in the work bucket, no Result row yet",
    "store.after_results_put": "store: the PDF and fields JSON are in the results bucket, no outbox event yet",
    "store.after_commit": "store: one result stored with its outbox event, the others not yet",
    "sync.after_delivery": "sync: the warehouse accepted the push, the outbox row is not marked delivered",
}

_hits: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(ENV)
    if not spec:
        return None
    name, _, nth = spec.partition(":")
    if name not in CRASH_POINTS:
        raise ValueError(f"{ENV}={spec!r}: unknown crash point; known: {', '.join(sorted(CRASH_POINTS))}")
    try:
        count = int(nth) if nth else 1
    except ValueError:
        raise ValueError(f"{ENV}={spec!r}: the hit number after ':' must be an integer") from None
    if count < 1:
        raise ValueError(f"{ENV}={spec!r}: the hit number starts at 1")
    return name, count


def crash_point(name: str) -> None:
    """SIGKILL this process if SOHOA_CRASH_AT selects this point (and this hit)."""
    if ENV not in os.environ:
        return
    target = _target()
    if target is None or target[0] != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == target[1]:
        print(f"[crash point] {name} hit {_hits[name]}: SIGKILL", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
