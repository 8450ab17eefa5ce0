"""The signing bench in small. Speed is a figure of `make bench` (signing.bench: documents per second
at B-B, B-T and B-LT on a one-page A4 at 200 dpi), never a pass/fail test: what is asserted here is
the size budget of the PDF/A parts."""

from __future__ import annotations


def test_bench_figures_levels_and_pdfa_overhead() -> None:
    """`python -m signing.bench` in small: prints rates (not asserted) and checks the size budget:
    PDF/A-3b parts + fields.json add under 2 % to a one-page A4 result."""
    from signing.bench import measure

    figures = measure(n=2)
    print("\n" + "\n".join(f"{k}: {v:.1f}" for k, v in figures.items()))
    assert figures["size_overhead_bytes"] > 0  # the ICC profile, XMP and attachment are really there
    assert figures["size_overhead_pct"] < 2.0
    assert figures["size_b_lt_bytes"] > figures["size_pdfa_with_fields_bytes"]  # timestamp + DSS
