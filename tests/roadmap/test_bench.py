"""The roadmap benchmark seeds a real schema and runs the real queries (figures only; not timed here)."""

from __future__ import annotations

from pathlib import Path

from roadmap.bench import run


def test_bench_seeds_rows_and_uses_the_progress_index(tmp_path: Path) -> None:
    figures = run(rows=3000, keep=tmp_path)
    assert figures["rows"] == 3000
    assert any("ix_roadmap_documents_progress" in step for step in figures["query_plan"])
    import sqlite3

    with sqlite3.connect(tmp_path / "bench.db") as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3000
        digitised = con.execute("SELECT count(*) FROM results").fetchone()[0]
    assert 0.6 * 3000 < digitised < 0.8 * 3000
