"""Roadmap at scale: seed N synthetic results into a scratch database, time the progress queries.

    python -m roadmap.bench [--rows N] [--db sqlite|postgresql] [--keep DIR]

`run(rows)` is what `make bench` calls; it prints and returns figures, never pass/fail. Rows are
synthetic (spread over the 63 old provinces' names, 40 agencies each, 3 document types, 2021–2025)
and loaded with executemany in one transaction per table (SQLite), or generated inside the server
with `INSERT … SELECT generate_series` (PostgreSQL, a throwaway cluster); the indexes are built after
the load, as a bulk load into a fresh database would.
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


def _pg_required_columns(conn: Any, table: str, known: list[str]) -> list[tuple[str, str]]:
    """(name, SQL filler) of the NOT NULL columns without default the seeder does not set itself."""
    from sqlalchemy import text

    rows = conn.execute(text("SELECT column_name, data_type, udt_name FROM information_schema.columns "
                             "WHERE table_name = :t AND is_nullable = 'NO' AND column_default IS NULL"),
                        {"t": table}).all()
    out = []
    for name, data_type, udt in rows:
        if name in known:
            continue
        if data_type in ("integer", "bigint", "smallint", "double precision", "real", "numeric"):
            out.append((name, "0"))
        elif data_type == "boolean":
            out.append((name, "false"))
        elif data_type in ("json", "jsonb"):
            out.append((name, f"'[]'::{udt}"))
        elif data_type.startswith("timestamp"):
            out.append((name, "now()"))
        else:
            out.append((name, "''"))
    return out


def seed_postgresql(url: str, rows: int, seed_value: int = 45) -> dict[str, float]:
    """The same shape as `seed`, generated by the server (10 M rows in minutes, not hours of round trips)."""
    from sqlalchemy import create_engine, text

    from core import units
    from schemas import DOCUMENT_TYPES

    provinces = [p.name for p in units.old_provinces()]
    types = list(DOCUMENT_TYPES)
    statuses = ["stored"] * 35 + ["synced"] * 35 + ["needs_review"] * 12 + ["rejected"] * 6 + ["received"] * 12
    n_batches = max(1, rows // 1000)
    engine = create_engine(url)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        indexes = list(conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('documents', 'results', 'outbox') "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint)")))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text("SELECT setseed(:s)"), {"s": seed_value / 100})
        conn.execute(text(
            "INSERT INTO batches (id, batch_key, province, agency_code, location, document_type, created_at) "
            "SELECT b, 'bench-' || b, (CAST(:p AS text[]))[1 + b % :np], 'BENCH.' || lpad((b % 40)::text, 2, '0'), "
            "'/bench', 'auto', TIMESTAMPTZ '2021-01-01 00:00:00+00' FROM generate_series(1, CAST(:nb AS integer)) b"),
            {"p": provinces, "np": len(provinces), "nb": n_batches})
        doc_known = ["id", "batch_id", "file_name", "sha256", "province", "agency_code", "document_type", "status",
                     "raw_key", "created_at", "updated_at"]
        doc_extra = _pg_required_columns(conn, "documents", doc_known)
        res_known = ["id", "document_id", "result_code", "converted_at", "still_valid"]
        res_extra = _pg_required_columns(conn, "results", res_known)
        out_known = ["id", "result_id", "kind", "idempotency_key", "status", "payload", "delivered_at"]
        out_extra = _pg_required_columns(conn, "outbox", out_known)
    step = 1_000_000
    for lo in range(1, rows + 1, step):
        hi = min(rows, lo + step - 1)
        with engine.begin() as conn:
            conn.execute(text(
                f"INSERT INTO documents ({', '.join(doc_known + [c for c, _ in doc_extra])}) "
                "SELECT i, b, i || '.pdf', lpad(to_hex(i), 64, '0'), (CAST(:p AS text[]))[1 + b % :np], "
                "'BENCH.' || lpad(floor(random() * 40)::int::text, 2, '0'), (CAST(:t AS text[]))[1 + i % :nt], "
                "(CAST(:st AS text[]))[1 + floor(random() * :nst)::int], 'raw/' || i, at, at"
                + "".join(f", {v}" for _, v in doc_extra) +
                " FROM (SELECT i, 1 + floor(random() * :nb)::int AS b, TIMESTAMPTZ '2021-01-01 00:00:00+00' "
                "+ random() * (INTERVAL '1825 days') AS at FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) i) g"),
                {"p": provinces, "np": len(provinces), "t": types, "nt": len(types), "st": statuses,
                 "nst": len(statuses), "nb": n_batches, "lo": lo, "hi": hi})
        _say(f"roadmap: {hi:,} of {rows:,} documents generated in PostgreSQL")
    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO results ({', '.join(res_known + [c for c, _ in res_extra])}) "
            "SELECT row_number() OVER (ORDER BY id), id, 'BENCH-' || id || '-KQ1', created_at, true"
            + "".join(f", {v}" for _, v in res_extra) +
            " FROM documents WHERE status IN ('stored', 'synced')"))
        conn.execute(text(
            f"INSERT INTO outbox ({', '.join(out_known + [c for c, _ in out_extra])}) "
            "SELECT r.id, r.id, 'push', 'BENCH-' || d.id || '\\:push', 'delivered', '{}', d.created_at"
            + "".join(f", {v}" for _, v in out_extra) +
            " FROM results r JOIN documents d ON d.id = r.document_id WHERE d.status = 'synced'"))
        for table in ("batches", "documents", "results", "outbox"):  # the serial sequences after explicit ids
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    timings["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for _, sql in indexes:
            conn.execute(text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    timings["index_s"] = time.perf_counter() - t0
    engine.dispose()
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


def run(rows: int = DEFAULT_ROWS, keep: Path | None = None, db: str = "sqlite") -> dict[str, Any]:
    """Seed `rows` documents and time the roadmap queries on them (seconds; best of 3 up to 2M rows).
    `db`: "sqlite" (a scratch file) or "postgresql" (a throwaway cluster, storage/_exec/postgres.py)."""
    from storage._exec import postgres
    from storage.db import get_engine

    scratch = keep or Path(tempfile.mkdtemp(prefix="sohoa-roadmap-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    cluster = None
    if db == "postgresql":
        cluster = postgres.start()
        url = postgres.create_database(cluster, "roadmap")
    else:
        db_file = scratch / "bench.db"
        db_file.unlink(missing_ok=True)
        url = f"sqlite:///{db_file}"
    try:
        return _run_on(url, rows)
    finally:
        get_engine.cache_clear()
        if cluster is not None:
            postgres.stop(cluster)
        if keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run_on(url: str, rows: int) -> dict[str, Any]:
    from roadmap.progress import (
        MapKind,
        national_overview,
        progress_rows,
        province_report,
        refresh_snapshot,
        snapshot_rows,
        trailing_throughput,
    )
    from storage.db import upgrade

    upgrade(url)
    database = url.split(":", 1)[0].split("+")[0]
    _say(f"roadmap: seeding {rows:,} documents into {database}")
    if database == "postgresql":
        figures: dict[str, Any] = {"database": database, "rows": rows, **seed_postgresql(url, rows)}
    else:
        figures = {"database": database, "rows": rows, **seed(Path(url.removeprefix("sqlite:///")), rows)}
    _plan_for_bench(url)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:  # what was seeded, as the database counts it
        for table in ("documents", "results", "outbox"):
            figures[f"{table}_rows"] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
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
    if database == "sqlite":
        db_file = Path(url.removeprefix("sqlite:///"))
        figures["db_bytes"] = db_file.stat().st_size
        with sqlite3.connect(db_file) as con:
            figures["query_plan"] = [r[-1] for r in con.execute(
                "EXPLAIN QUERY PLAN SELECT province, agency_code, document_type, status, count(*) FROM documents "
                "WHERE province IN ('Khánh Hòa', 'Ninh Thuận') GROUP BY 1, 2, 3, 4")]
    else:
        engine = create_engine(url)
        with engine.connect() as conn:
            figures["db_bytes"] = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", type=Path, default=None, help="keep the seeded DB in this folder (SQLite)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.rows, args.keep, args.db), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
