"""Signing speed on one core: printed (pytest -s), not asserted."""

from __future__ import annotations

import time

from signing import ConversionMarker, KeySource, sign_result

from .conftest import make_scan


def test_signing_throughput_report(key: KeySource, marker: ConversionMarker) -> None:
    scan = make_scan((1654, 2339))  # A4 at 200 dpi
    sign_result([scan], marker, key, dpi=200)  # warm-up: fonts, imports
    n = 15
    start = time.perf_counter()
    for _ in range(n):
        sign_result([scan], marker, key, dpi=200)
    rate = n / (time.perf_counter() - start)
    print(f"\nsigned one-page A4@200dpi documents per second (one core): {rate:.1f}")
    assert rate > 0
