"""System-of-record figures (not pass/fail): S3 put/get throughput against SeaweedFS, backup and
restore time for N results, DB insert rate on SQLite and PostgreSQL.

    .venv/bin/python -m testing.storage_bench [--results N] [--objects N] [--size KIB]

Starts its own SeaweedFS and PostgreSQL on 127.0.0.1 in a temporary directory and removes them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert

from core.settings import Settings, reset_settings
from storage import db as storage_db
from storage._exec import postgres, weed
from storage.models import AuditEntry
from storage.objects import ObjectStore


def _settings(home: Path, endpoint: str, prefix: str, db_url: str = "") -> Settings:
    return Settings(home=home, database_url=db_url, s3_endpoint=endpoint, s3_access_key="bench",
                    s3_secret_key=SecretStr("bench-secret"), s3_admin_access_key="bench-admin",
                    s3_admin_secret_key=SecretStr("bench-admin-secret"), bucket_prefix=prefix)


def s3_throughput(store: ObjectStore, count: int, size: int) -> dict[str, float]:
    store.ensure_buckets()
    bucket = store.bucket("work")
    payloads = [os.urandom(size) for _ in range(count)]
    t = time.perf_counter()
    refs = [store.put_bytes(bucket, f"bench/{i}.bin", p) for i, p in enumerate(payloads)]
    put_s = time.perf_counter() - t
    t = time.perf_counter()
    for ref in refs:
        store.get_bytes(bucket, ref.key, expected_sha256=ref.sha256)
    get_s = time.perf_counter() - t
    mb = count * size / 1e6
    return {"put_objects_per_s": count / put_s, "put_mb_per_s": mb / put_s,
            "get_objects_per_s": count / get_s, "get_mb_per_s": mb / get_s}


def insert_rate(url: str, rows: int) -> float:
    storage_db.upgrade(url)
    engine = storage_db.get_engine(url)
    now = datetime.now(UTC)
    t = time.perf_counter()
    for i in range(rows):  # one transaction per row: how the pipeline writes
        with engine.begin() as conn:
            conn.execute(insert(AuditEntry), {"at": now, "actor": "bench", "action": "bench", "entity": "result",
                                              "entity_id": str(i), "detail": {"i": i}})
    return rows / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m testing.storage_bench")
    parser.add_argument("--results", type=int, default=50)
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--size", type=int, default=256, help="object size in KiB")
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    from storage.backup import backup, restore
    from storage.fixity import audit_results
    from testing import storage as testing

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = weed.start_on_free_ports(root / "s3", access_key="bench", secret_key="bench-secret",
                                          admin_access_key="bench-admin", admin_secret_key="bench-admin-secret")
        cluster = postgres.start()
        try:
            settings = _settings(root / "var", server.endpoint, "bench-")
            os.environ.update({"SOHOA_HOME": str(settings.home), "SOHOA_S3_ENDPOINT": server.endpoint,
                               "SOHOA_S3_ACCESS_KEY": "bench", "SOHOA_S3_SECRET_KEY": "bench-secret",
                               "SOHOA_S3_ADMIN_ACCESS_KEY": "bench-admin", "SOHOA_S3_ADMIN_SECRET_KEY": "bench-admin-secret",
                               "SOHOA_BUCKET_PREFIX": "bench-", "SOHOA_DATABASE_URL": ""})
            reset_settings()
            storage_db.upgrade(settings.db_url)
            store = ObjectStore(settings)
            fig = s3_throughput(store, args.objects, args.size * 1024)
            print(f"S3 put ({args.objects} × {args.size} KiB): {fig['put_objects_per_s']:.0f} objects/s, "
                  f"{fig['put_mb_per_s']:.1f} MB/s")
            print(f"S3 get+verify: {fig['get_objects_per_s']:.0f} objects/s, {fig['get_mb_per_s']:.1f} MB/s")
            small = s3_throughput(ObjectStore(settings.model_copy(update={"bucket_prefix": "bench-small-"})),
                                  args.objects, 4 * 1024)
            print(f"S3 put (4 KiB): {small['put_objects_per_s']:.0f} objects/s; get: {small['get_objects_per_s']:.0f}/s")

            key = testing.throwaway_key(root / "pki")
            t = time.perf_counter()
            for i in range(args.results):
                pdf = testing.signed_pdf(key, f"bench {i}")
                testing.store_signed_result(settings, store, pdf, dossier_code=f"000.00.15.H34-200512-{i:04d}")
            print(f"store stage: {args.results / (time.perf_counter() - t):.1f} results/s (incl. signing a 1-page PDF)")
            t = time.perf_counter()
            summary = backup(root / "backup", settings, store)
            b = time.perf_counter() - t
            print(f"backup of {args.results} results: {b:.2f} s ({sum(summary.rows.values())} rows, "
                  f"{summary.objects} objects, {summary.object_bytes / 1e6:.1f} MB)")
            for engine_name, url in (("sqlite", f"sqlite:///{root / 'restored.db'}"),
                                     ("postgresql", postgres.create_database(cluster, "restored"))):
                target = _settings(root / "var2", server.endpoint, f"bench-r-{engine_name[:2]}-", url)
                t = time.perf_counter()
                restore(root / "backup", target, ObjectStore(target))
                r = time.perf_counter() - t
                t = time.perf_counter()
                report = audit_results(target, ObjectStore(target))
                print(f"restore into {engine_name}: {r:.2f} s; fixity audit of {report['checked']} objects: "
                      f"{time.perf_counter() - t:.2f} s, {len(report['problems'])} problems")
            sqlite_rate = insert_rate(f"sqlite:///{root / 'rate.db'}", args.rows)
            pg_rate = insert_rate(postgres.create_database(cluster, "rate"), args.rows)
            print(f"DB inserts, one transaction each: SQLite {sqlite_rate:.0f}/s, PostgreSQL {pg_rate:.0f}/s")
        finally:
            storage_db.get_engine.cache_clear()
            postgres.stop(cluster)
            weed.stop(root / "s3")


if __name__ == "__main__":
    main()
