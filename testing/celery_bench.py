"""`make bench`'s multi-worker figures: one batch through digitise_batch on Airflow with the
CeleryExecutor, once with one Celery worker and once with two (testing.airflow_cluster), each run on a
fresh PostgreSQL results DB and its own buckets so that the second run does the same work as the first.

    python -m testing.celery_bench SAMPLES SCRATCH [--chunk-size N] [--out FILE]   (`make bench` runs it)

Each worker runs one task at a time with one Tesseract (SOHOA_OCR_WORKERS=1): one worker is one core's
worth of work, two are this machine's two. Figures, never pass/fail: wall time from the first task's
start to the last task's end, pages per minute, the ratio two/one, mapped instances, which worker ran
what, the peak resident memory of each worker's process tree.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.settings import Settings, get_settings, reset_settings
from storage import db as storage_db
from testing.airflow_cluster import MemoryWatch, start_cluster

REPO = Path(__file__).resolve().parents[1]
DAG = "digitise_batch"


def measure(samples: Path, scratch: Path, *, workers: Sequence[int] = (1, 2), chunk_size: int = 3,
            threshold: float | None = 0.3) -> dict[str, Any]:
    """Run the batch in `samples` once per entry of `workers`. `threshold` lowers the review threshold
    so that documents go on to signing and storing (None: the declared thresholds)."""
    from signing.pki import make_test_pki
    from sohoa import services
    from storage._exec.weed import free_port

    saved = dict(os.environ)
    os.environ.update({"SOHOA_DATABASE_URL": "", "SOHOA_CITIZEN_WAREHOUSE_TOKEN": "bench-token",
                       "SOHOA_CHUNK_SIZE": str(chunk_size), "SOHOA_OCR_WORKERS": "1"})
    if threshold is not None:
        os.environ["SOHOA_REVIEW_THRESHOLDS"] = json.dumps({"*": {"*": threshold}})
    runs: dict[str, Any] = {}
    try:
        pki = make_test_pki(scratch / "celery-pki", converter=Settings().converter_name)
        os.environ["SOHOA_SIGNING_PKCS12"] = str(pki.agency_p12)
        os.environ["SOHOA_SIGNING_PASSWORD"] = pki.password.decode()
        for n in workers:
            # each run its own object store and warehouse receiver: the same result codes again
            # would be refused by the receiver of the run before
            home = scratch / f"celery-{n}"
            os.environ.update({"SOHOA_HOME": str(home), "SOHOA_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
                               "SOHOA_CITIZEN_WAREHOUSE_URL": f"http://127.0.0.1:{free_port()}"})
            reset_settings()
            settings = get_settings()
            home.mkdir(parents=True, exist_ok=True)
            services.start_s3(settings)
            try:
                services.start_receiver(settings)
                runs[str(n)] = _one_run(samples, scratch / f"cluster-{n}", n)
            finally:
                services.stop_receiver(settings)
                services.stop_s3(settings)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        storage_db.get_engine.cache_clear()
    out: dict[str, Any] = {"documents": next(iter(runs.values()))["documents"] if runs else 0,
                           "chunk_size": chunk_size, "review_threshold": threshold, "runs": runs}
    if "1" in runs and "2" in runs:
        out["two_over_one"] = round(runs["2"]["seconds"] / runs["1"]["seconds"], 3)
    return out


def _one_run(samples: Path, root: Path, workers: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from sohoa import services
    from storage import models
    from storage.db import session_scope
    from storage.objects import ObjectStore

    os.environ["SOHOA_BUCKET_PREFIX"] = f"bench{workers}w-"
    reset_settings()
    cluster = start_cluster(root, services.airflow_env(Settings(), REPO), services.airflow_bin(), REPO)
    try:
        os.environ["SOHOA_DATABASE_URL"] = cluster.results_url
        reset_settings()
        storage_db.get_engine.cache_clear()
        settings = get_settings()
        ObjectStore(settings).ensure_buckets()
        names = [f"worker{i}" for i in range(1, workers + 1)]
        pids = cluster.start_workers(names, queues=[settings.ocr_queue, settings.light_queue])
        cluster.wait_for_dag(DAG)
        watch = MemoryWatch(pids).start()
        conf = {"province": "Khánh Hòa", "agency": "000.00.15.H34", "batch_location": str(samples),
                "document_type": "auto"}
        started = time.monotonic()
        run_id = cluster.trigger(DAG, conf)
        state = cluster.wait_for_run(DAG, run_id, timeout_s=3600)
        wall = time.monotonic() - started
        peaks = watch.stop()
        tis = cluster.task_instances(DAG, run_id)
        seconds = cluster.run_seconds(DAG, run_id)
        with session_scope() as s:
            documents = s.scalar(select(func.count()).select_from(models.Document)) or 0
            pages = s.scalar(select(func.count()).select_from(models.Page)) or 0
            per_doc = Counter(s.scalars(select(models.Result.document_id)))
            by_status = dict(s.execute(select(models.Document.status, func.count())
                                       .group_by(models.Document.status)).all())
            delivered = s.scalar(select(func.count()).select_from(models.OutboxEvent)
                                 .where(models.OutboxEvent.status == models.OutboxStatus.DELIVERED)) or 0
        spans: dict[str, float] = {}
        for task in ("ocr", "extract", "validate", "sign", "store"):
            mine = [t for t in tis if t["task_id"] == task and t["start_date"] and t["end_date"]]
            if mine:
                spans[task] = round((max(t["end_date"] for t in mine) - min(t["start_date"] for t in mine))
                                    .total_seconds(), 1)
        return {
            "state": state, "documents": documents, "pages": pages, "seconds": round(seconds, 1),
            "seconds_trigger_to_end": round(wall, 1),
            "pages_per_minute": round(pages / (seconds / 60), 2) if seconds else None,
            "stage_spans_seconds": spans,
            "mapped_instances": dict(Counter(t["task_id"] for t in tis if t["map_index"] >= 0)),
            "task_instances_per_worker": dict(Counter(t["hostname"] for t in tis)),
            "ocr_instances_per_worker": dict(Counter(t["hostname"] for t in tis if t["task_id"] == "ocr")),
            "peak_rss_mib_per_worker": peaks,
            "signed_documents": len(per_doc), "signed_more_than_once": sum(1 for c in per_doc.values() if c > 1),
            "by_status": by_status, "pushes_delivered": delivered,
        }
    finally:
        cluster.stop()
        storage_db.get_engine.cache_clear()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m testing.celery_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples", type=Path, help="a batch folder (scans and manifest.csv)")
    parser.add_argument("scratch", type=Path, help="a folder for the clusters, stores and keys")
    parser.add_argument("--chunk-size", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the figures here too (JSON)")
    args = parser.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    figures = json.dumps(measure(args.samples, args.scratch, chunk_size=args.chunk_size), ensure_ascii=False,
                         indent=2, default=str)
    if args.out is not None:
        args.out.write_text(figures, encoding="utf-8")
    print(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
