"""Roadmap at scale: seed N synthetic results into a scratch SQLite DB, time the progress queries.

    python -m roadmap.bench [--rows N] [--keep DIR]

`run(rows)` is what `make bench` calls; it prints and returns figures, never pass/fail. Rows are
synthetic (spread over the 63 old provinces' names, 40 agencies each, 3 document types, 2021–2025)
and loaded with executemany in one transaction per table; the indexes are built after the load,
as a bulk load into a fresh database would.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_ROWS = 200_000
_CHUNK = 50_000


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def _columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, needs a value) of a table, so the seeder follows whatever the migrations made."""
    return [(r[1], r[2].upper(), bool(r[3]) and r[4] is None and not r[5])
            for r in con.execute(f"PRAGMA table_info({table})")]


def _filler(kind: str) -> Any:
    if "INT" in kind or "BOOL" in kind:
        return 0
    if "FLOAT" in kind or "REAL" in kind:
        return 0.0
    if "JSON" in kind:
        return "[]"
    return ""


def _index_sql(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    placeholders = ",".join("?" * len(tables))
    return list(con.execute(f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                            f"AND tbl_name IN ({placeholders})", tables))


def seed(db_path: Path, rows: int, seed_value: int = 45) -> dict[str, float]:
    """Fill documents, results and outbox with `rows` documents (≈70% digitised, half of those synced)."""
    from core import units
    from schemas import DOCUMENT_TYPES

    rng = random.Random(seed_value)
    provinces = [p.name for p in units.old_provinces()]
    types = list(DOCUMENT_TYPES)
    statuses = ["stored"] * 35 + ["synced"] * 35 + ["needs_review"] * 12 + ["rejected"] * 6 + ["received"] * 12
    start = datetime(2021, 1, 1, tzinfo=UTC)
    span = (datetime(2025, 12, 31, tzinfo=UTC) - start).total_seconds()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    indexes = _index_sql(con, ("documents", "results", "outbox"))
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    n_batches = max(1, rows // 1000)
    con.executemany("INSERT INTO batches (id, batch_key, province, agency_code, location, document_type, created_at) "
                    "VALUES (?, ?, ?, ?, '/bench', 'auto', ?)",
                    [(b, f"bench-{b}", provinces[b % len(provinces)], f"BENCH.{b % 40:02d}", start.isoformat(" "))
                     for b in range(1, n_batches + 1)])
    doc_cols = _columns(con, "documents")
    res_cols = _columns(con, "results")
    out_cols = _columns(con, "outbox")
    doc_known = ["id", "batch_id", "file_name", "sha256", "province", "agency_code", "document_type", "status",
                 "raw_key", "created_at", "updated_at"]
    res_known = ["id", "document_id", "result_code", "converted_at", "still_valid"]
    out_known = ["id", "result_id", "kind", "idempotency_key", "status", "payload", "delivered_at"]

    def full(known: list[str], cols: list[tuple[str, str, bool]]) -> tuple[list[str], list[Any]]:
        extra = [(c, _filler(k)) for c, k, needed in cols if needed and c not in known and c != "id"]
        return known + [c for c, _ in extra], [v for _, v in extra]

    doc_names, doc_extra = full(doc_known, doc_cols)
    res_names, res_extra = full(res_known, res_cols)
    out_names, out_extra = full(out_known, out_cols)
    doc_sql = f"INSERT INTO documents ({', '.join(doc_names)}) VALUES ({', '.join('?' * len(doc_names))})"
    res_sql = f"INSERT INTO results ({', '.join(res_names)}) VALUES ({', '.join('?' * len(res_names))})"
    out_sql = f"INSERT INTO outbox ({', '.join(out_names)}) VALUES ({', '.join('?' * len(out_names))})"
    result_id = 0
    for base in range(0, rows, _CHUNK):
        docs, results, outbox = [], [], []
        for i in range(base + 1, min(rows, base + _CHUNK) + 1):
            b = rng.randrange(1, n_batches + 1)
            status = statuses[rng.randrange(len(statuses))]
            at = (start + timedelta(seconds=rng.random() * span)).isoformat(" ")
            docs.append([i, b, f"{i}.pdf", f"{i:064x}", provinces[b % len(provinces)], f"BENCH.{rng.randrange(40):02d}",
                         types[i % len(types)], status, f"raw/{i}", at, at, *doc_extra])
            if status in ("stored", "synced"):
                result_id += 1
                results.append([result_id, i, f"BENCH-{i}-KQ1", at, 1, *res_extra])
                if status == "synced":
                    outbox.append([result_id, result_id, "push", f"BENCH-{i}:push", "delivered", "{}", at, *out_extra])
        con.executemany(doc_sql, docs)
        con.executemany(res_sql, results)
        con.executemany(out_sql, outbox)
    con.commit()
    timings["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.commit()
    timings["index_s"] = time.perf_counter() - t0
    con.close()
    return timings


def _plan_for_bench(url: str) -> None:
    """A plan for Khánh Hòa so the province page has something to compare against."""
    from storage.db import session_scope
    from storage.roadmap_models import Agency, Plan, PlanRow

    with session_scope(url) as s:
        for a in range(40):
            s.add(Agency(province="Khánh Hòa", code=f"BENCH.{a:02d}", name=f"Cơ quan thử {a}", level="so"))
        plan = Plan(province="Khánh Hòa", version=1, source_name="bench", source_sha256="0" * 64, active=True)
        plan.rows = [PlanRow(year=y, agency_code=f"BENCH.{a:02d}", document_type=t, inventory=10_000,
                             cumulative_target=2_000 * (y - 2020))
                     for a in range(40) for t in ("quyet_dinh",) for y in range(2021, 2026)]
        s.add(plan)


def _timed(fn: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(rows: int = DEFAULT_ROWS, keep: Path | None = None) -> dict[str, Any]:
    """Seed `rows` documents and time the roadmap queries on them (seconds; best of 3 up to 2M rows)."""
    from roadmap.progress import (
        MapKind,
        national_overview,
        progress_rows,
        province_report,
        refresh_snapshot,
        snapshot_rows,
        trailing_throughput,
    )
    from storage.db import get_engine, upgrade

    scratch = keep or Path(tempfile.mkdtemp(prefix="sohoa-roadmap-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    db = scratch / "bench.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    _say(f"roadmap: seeding {rows:,} documents into {db}")
    figures: dict[str, Any] = {"rows": rows, **seed(db, rows)}
    _plan_for_bench(url)
    as_of = date(2025, 12, 31)
    repeat = 3 if rows <= 2_000_000 else 1  # best of 3; a single run at 10M keeps the bench under ~20 min
    figures["repeat"] = repeat
    _say("roadmap: timing the progress queries")
    figures["group_by_all_s"] = _timed(lambda: progress_rows(None, url=url), repeat)
    figures["group_by_one_province_s"] = _timed(lambda: progress_rows(["Khánh Hòa"], url=url), repeat)
    figures["trailing_90_days_s"] = _timed(lambda: trailing_throughput(None, as_of, url=url), repeat)
    figures["overview_new_map_s"] = _timed(lambda: national_overview(as_of, MapKind.NEW, url=url), repeat)
    figures["overview_old_map_s"] = _timed(lambda: national_overview(as_of, MapKind.OLD, url=url), repeat)
    figures["province_page_s"] = _timed(lambda: province_report("56", as_of, MapKind.NEW, url=url), repeat)
    figures["snapshot_refresh_s"] = _timed(lambda: refresh_snapshot(url), 1)
    stored = snapshot_rows(url)
    assert stored is not None
    figures["overview_from_snapshot_s"] = _timed(
        lambda: national_overview(as_of, MapKind.NEW, url=url, counts=snapshot_rows(url)[0]), repeat)  # type: ignore[index]
    figures["db_bytes"] = db.stat().st_size
    with sqlite3.connect(db) as con:
        figures["query_plan"] = [r[-1] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT province, agency_code, document_type, status, count(*) FROM documents "
            "WHERE province IN ('Khánh Hòa', 'Ninh Thuận') GROUP BY 1, 2, 3, 4")]
    get_engine.cache_clear()
    if keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", type=Path, default=None, help="keep the seeded DB in this folder")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.rows, args.keep), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
