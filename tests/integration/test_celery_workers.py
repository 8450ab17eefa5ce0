"""One batch across two Celery workers: Airflow with the CeleryExecutor, a Redis broker (Debian's
redis-server), PostgreSQL for Airflow's metadata, Celery's results and the results DB, the real
stages (Tesseract, SeaweedFS, PAdES signing, the reference warehouse receiver). Everything is
started by the test and stopped after it (testing.airflow_cluster)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.settings import Settings, reset_settings
from sohoa import services
from storage import db as storage_db
from storage import models
from storage.db import session_scope
from testing.airflow_cluster import start_cluster

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS, CHUNK = 6, 2


def test_one_batch_shared_by_two_celery_workers(pipeline_env, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from samples import generate_batch
    from storage.objects import ObjectStore

    settings, _pki = pipeline_env
    batch_dir = tmp_path / "batch"
    generate_batch(batch_dir, count=DOCUMENTS, seed=7, formats=("png",), damages=("light",))
    # One Tesseract per task (two workers on two cores); a low threshold so that documents reach
    # signing (routing is not what this tests: see test_digitise_batch_dag).
    monkeypatch.setenv("SOHOA_CHUNK_SIZE", str(CHUNK))
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "1")
    monkeypatch.setenv("SOHOA_REVIEW_THRESHOLDS", json.dumps({"*": {"*": 0.3}}))
    reset_settings()
    cluster = start_cluster(tmp_path / "cluster", services.airflow_env(Settings(), REPO), services.airflow_bin(), REPO)
    try:
        # this process reads the results DB the workers write
        monkeypatch.setenv("SOHOA_DATABASE_URL", cluster.results_url)
        reset_settings()
        storage_db.get_engine.cache_clear()
        settings = Settings()
        ObjectStore(settings).ensure_buckets()
        cluster.start_workers(["worker1", "worker2"], queues=[settings.ocr_queue, settings.light_queue])
        cluster.wait_for_dag("digitise_batch")
        conf = {"province": "Khánh Hòa", "agency": "000.00.15.H34", "batch_location": str(batch_dir),
                "document_type": "auto"}
        run_id = cluster.trigger("digitise_batch", conf)
        state = cluster.wait_for_run("digitise_batch", run_id, timeout_s=420)
        tis = cluster.task_instances("digitise_batch", run_id)
        assert state == "success", (tis, cluster.logs_tail())

        with session_scope() as s:
            docs = list(s.scalars(select(models.Document)))
            per_doc = Counter(s.scalars(select(models.Result.document_id)))
            signs = Counter(a.entity_id for a in s.scalars(select(models.AuditEntry)
                                                            .where(models.AuditEntry.action == "sign")))
            stored = s.scalar(select(func.count()).select_from(models.Result)
                              .where(models.Result.stored_key.is_not(None)))
        assert len(docs) == DOCUMENTS
        signed = {d.id for d in docs if d.status in ("stored", "synced")}
        assert signed, f"nothing was signed: {[(d.file_name, d.status, d.review_reasons) for d in docs]}"
        # every document that reached signing was signed exactly once, and only those
        assert set(per_doc) == signed and set(per_doc.values()) == {1}, per_doc
        assert len(signs) == len(signed) and set(signs.values()) == {1}, signs
        assert stored == len(signed)

        # the per-document stages ran as mapped tasks, one instance per chunk, on their queues
        mapped = Counter(t["task_id"] for t in tis if t["map_index"] >= 0)
        chunks = DOCUMENTS // CHUNK
        assert mapped == {"take": chunks, "ocr": chunks, "extract": chunks, "validate": chunks, "sign": chunks,
                          "store": chunks}, tis
        queues = {t["task_id"]: t["queue"] for t in tis}
        assert queues["ocr"] == queues["extract"] == settings.ocr_queue
        assert queues["take"] == queues["sign"] == queues["store"] == queues["sync"] == settings.light_queue
        assert all(t["state"] == "success" for t in tis), tis
        # and both workers took a share of the batch's OCR and of its tasks overall
        assert {t["hostname"] for t in tis} == {"worker1", "worker2"}, tis
        assert {t["hostname"] for t in tis if t["task_id"] == "ocr"} == {"worker1", "worker2"}, tis

        # a chunk run again (a retry) signs nothing twice: every sign and store instance once more
        cluster.clear("digitise_batch", run_id, ["sign", "store"])
        assert cluster.wait_for_run("digitise_batch", run_id, timeout_s=300) == "success", cluster.logs_tail()
        again = [t for t in cluster.task_instances("digitise_batch", run_id) if t["task_id"] in ("sign", "store")]
        assert len(again) == 2 * chunks and all(t["try_number"] >= 2 and t["state"] == "success" for t in again), again
        with session_scope() as s:
            assert Counter(s.scalars(select(models.Result.document_id))) == per_doc
            assert s.scalar(select(func.count()).select_from(models.AuditEntry)
                            .where(models.AuditEntry.action == "sign")) == len(signed)
    finally:
        cluster.stop()
        storage_db.get_engine.cache_clear()
