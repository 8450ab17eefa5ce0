"""The stage doors the DAGs and the CLI call, in the order a batch goes through them.

Each stage lives in its own package and has one door there, taking a batch id and returning a small
JSON-able summary; this module only lists them (and the steps made of several stages):

    ocr       ocr/batch.py          ocr_batch
    extract   extract/batch.py      extract_batch
    validate  review/validate.py    validate_batch (= validate_documents, then validation_report)
    sign      signing/batch.py      sign_batch
    store     sync/store.py         store_batch (with the push event, sync.outbox.enqueue_push)
    sync      sync/outbox.py        drain_outbox, through sync_batch below

A document's status changes only through `storage.documents.transition`; `StageRun` (the guard
around each document) and `requeue_failed` live there too. Every door is idempotent: re-running it
for the same batch creates nothing twice and never overwrites an approved, signed or stored result.

Under Airflow the per-document stages run as mapped tasks over chunks of a batch (`batch_chunks`,
`run_chunk`): each chunk goes through the same door, narrowed to its documents, so a retried chunk
finds its finished documents done and signs nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from core.settings import Settings, get_settings
from extract.batch import extract_batch
from ocr.batch import ocr_batch
from review.validate import validate_batch, validate_documents, validation_report, write_validation_report
from signing.batch import sign_batch
from storage import documents
from storage.db import session_scope
from storage.documents import StageRun, requeue_failed
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, QuarantineEntry, Result
from storage.objects import ObjectStore
from storage.records import system_of_record_summary
from sync.store import store_batch

__all__ = [
    "STAGES", "StageRun", "batch_answers", "batch_chunks", "extract_batch", "ocr_batch", "release_approved",
    "requeue_failed", "run_chunk", "run_stages", "sign_batch", "status_summary", "store_batch", "sync_batch",
    "validate_batch", "validate_documents", "validation_report", "write_validation_report",
]

STAGES = ("ocr", "extract", "validate", "sign", "store")


# ---------------------------------------------------------------- chunks (mapped Airflow tasks)
def batch_chunks(batch_id: int, settings: Settings | None = None, *, max_chunks: int | None = None) -> list[list[int]]:
    """The batch's document ids in chunks of SOHOA_CHUNK_SIZE at most, at least SOHOA_MIN_CHUNKS of
    them when the batch has the documents (one dossier never split), at most `max_chunks`: what
    the mapped tasks of digitise_batch expand over (ids only)."""
    settings = settings or get_settings()
    return documents.batch_chunks(batch_id, settings.chunk_size, max_chunks=max_chunks,
                                  min_chunks=settings.min_chunks)


def run_chunk(stage: str, batch_id: int, document_ids: list[int], settings: Settings | None = None) -> dict[str, Any]:
    """One stage for one chunk of a batch: the stage's door narrowed to `document_ids`. Validation
    here only routes; its batch report is `validation_report`, once every chunk is routed.

    Storing a chunk also pushes its records to the citizen warehouse when one is configured (the
    outbox events its door just wrote): a stored record needs nothing else of its batch to be
    pushed, and the chunks' pushes then share the workers instead of waiting, one after the other,
    for the batch's last chunk. The batch's `sync_batch` afterwards delivers what is left (an event
    the warehouse asked to retry later, a chunk stored while it was down)."""
    doors: dict[str, Callable[..., dict[str, Any]]] = {
        "ocr": ocr_batch, "extract": extract_batch, "validate": validate_documents, "sign": sign_batch,
        "store": store_batch}
    if stage not in doors:
        raise ValueError(f"no chunk door for stage {stage!r} (one of {', '.join(doors)})")
    summary = doors[stage](batch_id, settings, document_ids=document_ids)
    if stage == "store":
        settings = settings or get_settings()
        if settings.citizen_warehouse_url and summary.get("stored"):
            from sync.outbox import drain_outbox

            summary["sync"] = drain_outbox(settings, batch_id=batch_id, document_ids=document_ids)
    return summary


# ---------------------------------------------------------------- release (after review)
def release_approved(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    """Sign and store the approved records of a batch; records still in review stay untouched
    (partial release). Safe to repeat: sign_batch skips what is signed already. The sign_reviewed
    DAG calls this after stewards approved records."""
    from review.service import approved_unsigned

    waiting = approved_unsigned(batch_id, db_url=settings.db_url if settings else None)
    if not waiting:
        return {"batch_id": batch_id, "released": 0, "signed": 0, "stored": 0}
    signed = sign_batch(batch_id, settings, store)
    stored = store_batch(batch_id, settings, store)
    return {"batch_id": batch_id, "released": len(waiting), "signed": signed.get("signed", 0),
            "stored": stored.get("stored", 0)}


# ---------------------------------------------------------------- sync
def sync_batch(batch_id: int | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Drain pending outbox events (of one batch, or all) to the citizen data warehouse."""
    from sync.outbox import drain_outbox

    settings = settings or get_settings()
    return drain_outbox(settings, batch_id=batch_id)


# ---------------------------------------------------------------- status
def status_summary(settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    with session_scope() as s:
        by_status = dict(s.execute(select(Document.status, func.count()).group_by(Document.status)).all())
        outbox = dict(s.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all())
        quarantined = s.scalar(select(func.count()).select_from(QuarantineEntry)) or 0
        results = s.scalar(select(func.count()).select_from(Result)) or 0
        record = system_of_record_summary(s)  # storage.records: dead letters, revocations, fixity
    objects: dict[str, int] = {}
    try:
        objects = (store or ObjectStore(settings)).count_objects()
    except Exception as exc:  # the DB part is still worth showing
        objects = {"error": str(exc)}  # type: ignore[dict-item]
    return {
        "documents": {"total": sum(by_status.values()), "by_status": by_status},
        "quarantined": quarantined,
        "results": results,
        "objects": objects,
        "outbox": {k.value: outbox.get(k.value, 0) for k in OutboxStatus},
        "system_of_record": record,
    }


# ---------------------------------------------------------------- whole runs
def run_stages(batch_id: int, first: str = "ocr", settings: Settings | None = None,
               on_stage: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """The stages after intake, from `first` on, then the outbox drain (what `sohoa run` and `retry` do).
    `on_stage(name, number, total)` is called as each stage starts (the CLI's progress)."""
    stages: dict[str, Callable[[int, Settings | None], Any]] = {"ocr": ocr_batch, "extract": extract_batch, "validate": validate_batch, "sign": sign_batch,
              "store": store_batch, "sync": sync_batch}
    names = [*STAGES[STAGES.index(first):], "sync"]
    out: dict[str, Any] = {}
    for number, name in enumerate(names, start=1):
        if on_stage is not None:
            on_stage(name, number, len(names))
        out[stages[name].__name__] = stages[name](batch_id, settings)
    return out


_PROCESSED = (DocumentStatus.SIGNED, DocumentStatus.STORED, DocumentStatus.SYNCED)


def batch_answers(batch_id: int) -> list[dict[str, Any]]:
    """One answer per input file: processed, held for review, rejected, failed (retried by a re-run),
    quarantined (scans a manifest does not list included) — each with its reason."""
    answers: list[dict[str, Any]] = []
    with session_scope() as s:
        for d in s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)):
            if d.status in _PROCESSED:
                answer, reason = "processed", None
            elif d.status == DocumentStatus.FAILED:
                answer, reason = "failed", f"{d.failed_stage}: {d.failure}"
            elif d.status == DocumentStatus.NEEDS_REVIEW:
                answer, reason = "needs_review", "; ".join(map(str, d.review_reasons))
            elif d.status == DocumentStatus.REJECTED:
                answer, reason = "rejected", "; ".join(map(str, d.review_reasons))
            elif d.status == DocumentStatus.RESCAN:  # a steward asked for the paper to be scanned again
                answer, reason = "rescan", "; ".join(map(str, d.review_reasons)) or "chờ quét lại"
            else:
                answer, reason = "in_progress", None
            answers.append({"file": d.file_name, "answer": answer, "status": d.status, "reason": reason,
                            "document_id": d.id})
        for q in s.scalars(select(QuarantineEntry).where(QuarantineEntry.batch_id == batch_id)
                           .order_by(QuarantineEntry.id)):
            answers.append({"file": q.file_name, "answer": "quarantined", "status": q.reason_code,
                            "reason": q.reason})
    return answers
