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


def test_bench_figures_levels_and_pdfa_overhead() -> None:
    """`python -m signing.bench` in small: prints rates (not asserted) and checks the size budget:
    PDF/A-3b parts + fields.json add under 2 % to a one-page A4 result."""
    from signing.bench import measure

    figures = measure(n=2)
    print("\n" + "\n".join(f"{k}: {v:.1f}" for k, v in figures.items()))
    assert figures["size_overhead_bytes"] > 0  # the ICC profile, XMP and attachment are really there
    assert figures["size_overhead_pct"] < 2.0
    assert figures["size_b_lt_bytes"] > figures["size_pdfa_with_fields_bytes"]  # timestamp + DSS
