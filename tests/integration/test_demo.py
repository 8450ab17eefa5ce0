"""`make demo` runs `sohoa demo`: here the same command, on a small batch, in its own SOHOA home and
on free ports. It starts SeaweedFS and the reference warehouse receiver itself, runs digitise_batch
with `airflow dags test`, prints its summary and stops what it started; the summary must say what
the results DB, the warehouse and the report on disk say."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage._exec.weed import free_port, port_open

pytestmark = pytest.mark.integration

SOHOA = str(Path(sys.executable).parent / "sohoa")
COUNT = 3


def _line(out: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}\s*(.*)$", out, re.M)
    assert match, f"no «{label}» line in the summary:\n{out}"
    return match.group(1).strip()


def _copy_live_sqlite(src: Path, dest: Path) -> None:
    """Copy a SQLite DB this process holds open, with SQLite's backup API — never as a file.

    This process keeps connections to the session's Airflow DB (WAL mode). A plain file copy opens
    and closes the DB file, and closing any descriptor of a file drops every POSIX lock the process
    holds on it, SQLite's included. The next `airflow` subprocess then closed as the "last"
    connection: it checkpointed and deleted the -wal and -shm files under this process, whose later
    writes went to the deleted WAL and left the DB "malformed" for the next test that ran a DAG.
    SQLite's own connection shares the file's lock state and defers closing its descriptor."""
    with contextlib.closing(sqlite3.connect(src)) as source, contextlib.closing(sqlite3.connect(dest)) as target:
        source.backup(target)


def test_sohoa_demo_prints_a_summary_that_matches_what_it_did(airflow_db: str, tmp_path: Path) -> None:
    home = tmp_path / "var"
    s3_port, warehouse_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "AIRFLOW"))} | {
        "SOHOA_S3_ENDPOINT": f"127.0.0.1:{s3_port}",
        "SOHOA_CITIZEN_WAREHOUSE_URL": f"http://127.0.0.1:{warehouse_port}",
        # The default review thresholds (0.90 for every field): what `make demo` signs is what an
        # agency would get. No override is set.
    }
    # The session's migrated Airflow DB, copied: the demo's own `airflow db migrate` then has nothing to do.
    (home / "airflow").mkdir(parents=True)
    _copy_live_sqlite(Path(airflow_db.removeprefix("sqlite:///")), home / "airflow" / "airflow.db")

    run = subprocess.run([SOHOA, "demo", "--home", str(home), "--count", str(COUNT)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=900)
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr[-4000:]

    # the summary
    batch_id = int(_line(out, "KẾT QUẢ DEMO — lô số").split()[0])
    assert _line(out, "Tài liệu đưa vào:") == f"{COUNT} (tiếp nhận {COUNT}, cách ly 0)"
    assert _line(out, "Ngưỡng tin cậy để tự duyệt:") == "0,90 (mặc định cho mọi trường)"
    signed = int(_line(out, "Đã ký số và lưu trữ:"))
    in_review = int(_line(out, "Cần cán bộ rà soát:"))
    assert _line(out, "Tóm tắt:") == (f"đã ký số {signed} hồ sơ; {in_review} hồ sơ chờ cán bộ rà soát "
                                      "(lý do ghi dưới từng hồ sơ)")
    rejected = int(m.group(1)) if (m := re.search(r"^Bị từ chối:\s*(\d+)", out, re.M)) else 0
    assert signed + in_review + rejected == COUNT
    assert signed >= 1, f"the demo signed nothing:\n{out}"
    keys = re.findall(r"^\s+(s3://\S+\.pdf)$", out, re.M)
    assert len(keys) == signed
    assert _line(out, "Đồng bộ kho dữ liệu công dân:") == f"đã gửi {signed}, chờ 0, lỗi 0"
    report = Path(_line(out, "Báo cáo kiểm tra:"))
    assert report == home / "reports" / f"batch-{batch_id}-validation.html"
    assert report.is_file() and "<html" in report.read_text(encoding="utf-8").lower()
    assert re.search(rf"^\s+s3://sohoa-reports/\S*{batch_id}\S*$", out, re.M)
    assert "Đã dừng các dịch vụ đã khởi động: s3, warehouse" in out

    # what it did: rows in the results DB, deliveries at the warehouse, services stopped again
    engine = create_engine(f"sqlite:///{home / 'sohoa.db'}")
    with engine.connect() as db:
        results = dict(db.execute(text("SELECT result_code, signed_sha256 FROM results")).all())
        stored = {f"s3://{b}/{k}" for b, k in db.execute(text("SELECT stored_bucket, stored_key FROM results"))}
        statuses = [r[0] for r in db.execute(text("SELECT status FROM documents"))]
        docs = {i: (name, status) for i, name, status in db.execute(text("SELECT id, file_name, status FROM documents"))}
        values = list(db.execute(text("SELECT document_id, name, value FROM fields WHERE value IS NOT NULL")))
        withheld = {(d, n) for d, n in db.execute(text("SELECT document_id, field_name FROM rule_outcomes "
                                                       "WHERE rule = 'withheld'"))}
        reasons = dict(db.execute(text("SELECT file_name, review_reasons FROM documents WHERE status = 'needs_review'")).all())
        outbox = [r[0] for r in db.execute(text("SELECT status FROM outbox"))]
    engine.dispose()
    assert stored == set(keys)
    assert sorted(statuses) == sorted(["synced"] * signed + ["needs_review"] * in_review + ["rejected"] * rejected)
    assert outbox == ["delivered"] * signed

    # every value signed is the one printed on the paper (the generator's truth); a field left out of
    # the signed data is an optional one, listed under its record in the summary
    batch_dir = home / "demo-batch"
    checked = 0
    for doc_id, name, value in values:
        file_name, status = docs[doc_id]
        if status != "synced" or (doc_id, name) in withheld:
            continue
        truth = json.loads((batch_dir / f"{file_name}.truth.json").read_text(encoding="utf-8"))
        expected = {**truth["fields"], **truth.get("general_fields", {})}
        if name in expected:
            assert value == expected[name], (file_name, name, value, expected[name])
            checked += 1
    assert checked >= 8 * signed  # at least the contract fields of each signed record
    for doc_id, name in withheld:
        file_name, status = docs[doc_id]
        assert status == "synced", (file_name, name)
        assert re.search(rf"^\s+{re.escape(file_name)}: không đưa vào dữ liệu ký .*$", out, re.M), out
    # each record in review says why, in Vietnamese, under its name
    for file_name, why in reasons.items():
        assert json.loads(why) and re.search(rf"^\s+{re.escape(file_name)}\n\s+– \S", out, re.M), out
    with sqlite3.connect(home / "warehouse" / "warehouse.sqlite3") as wh:
        assert dict(wh.execute("SELECT result_code, checksum_sha256 FROM results").fetchall()) == results
    assert not port_open("127.0.0.1", s3_port) and not port_open("127.0.0.1", warehouse_port)
