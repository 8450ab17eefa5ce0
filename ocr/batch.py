"""The OCR stage's door: every received document of a batch (and those OCR failed on before) read
page by page, the words kept in the work bucket, pages and their fingerprints in the results DB.

Idempotent: a re-run takes only what is waiting for OCR or failed at it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select

from core.crashpoints import crash_point
from core.settings import Settings, get_settings
from core.workers import map_isolated
from storage import keys, rescans
from storage.db import session_scope
from storage.documents import StageRun, pipeline_actor, progress, stage_todo, transition
from storage.models import Document, DocumentStatus, Page
from storage.objects import ObjectStore


def _ocr_one(raw: bytes, name: str, language: str, timeout_s: float, max_pixels: int, dpi: int) -> dict[str, Any]:
    """Runs in a worker process: one Tesseract per core (OMP_THREAD_LIMIT=1 in the seam)."""
    import ocr
    from ocr.fingerprint import page_hash

    pages = ocr.load_pages(raw, max_pixels=max_pixels, dpi=dpi)
    result = ocr.ocr_pages(pages, language=language, workers=1, timeout_s=timeout_s)
    return {**result.to_dict(), "page_hashes": [page_hash(p.image) for p in pages]}  # popped before storing


def ocr_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None, *,
              document_ids: Collection[int] | None = None) -> dict[str, Any]:
    """OCR the batch's documents waiting for it (only those of `document_ids`: one chunk, when given)."""
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = stage_todo(batch_id, "ocr", DocumentStatus.RECEIVED, only=document_ids)
    run = StageRun("ocr", batch_id)
    workers = settings.ocr_workers or _cpu_count()

    def job(doc: Document) -> tuple[Any, ...]:
        raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
        return (raw, doc.file_name, settings.ocr_language, settings.ocr_timeout_s, settings.max_image_pixels,
                settings.raster_dpi)

    # A worker that dies takes the pool with it: map_isolated rebuilds it and blames only the
    # document that kills a worker on its own; every other document is simply run again.
    for index, (doc, outcome) in enumerate(map_isolated(_ocr_one, todo, job, workers), start=1):
        progress("ocr", index, len(todo), doc.file_name)
        with run.document(doc):
            if isinstance(outcome, Exception):
                raise outcome
            _save_ocr(doc, outcome, store)
    return {"batch_id": batch_id, "ocr_done": run.done, "failed": run.failed}


def _answered_rescan(doc: Document, hashes: list[str]) -> int:
    """The id of the record this file is read for: a waiting record's when the file is the re-scan
    asked for, recognised by a page image in common (storage/rescans.py, match 3), else its own."""
    from ocr.fingerprint import shares_a_page

    if not hashes:
        return doc.id
    with session_scope() as s:
        new = s.get_one(Document, doc.id)
        if not rescans.is_fresh_record(s, new):
            return doc.id
        for waiting, request, pages in rescans.waiting_pages(s, province=new.province, agency_code=new.agency_code):
            if waiting.id != new.id and shares_a_page(hashes, pages):
                rescans.take_new_record(s, new, waiting, request, actor=pipeline_actor())
                return waiting.id
    return doc.id


def _save_ocr(doc: Document, result: dict[str, Any], store: ObjectStore) -> None:
    hashes = result.pop("page_hashes", [])  # for probable duplicates (review.duplicates), not the OCR JSON
    # A re-scan recognised by its pages is read for the waiting record (the new record is gone).
    doc_id = _answered_rescan(doc, hashes)
    key = keys.work_key(doc_id, "ocr.json")
    store.put_bytes(store.bucket("work"), key, json.dumps(result, ensure_ascii=False).encode(),
                    content_type="application/json")
    crash_point("ocr.after_work_put")
    with session_scope() as s:
        d = s.get_one(Document, doc_id)
        d.ocr_key = key
        d.mean_confidence = _mean([p["mean_confidence"] for p in result["pages"]])
        for page in result["pages"]:
            existing = s.scalar(select(Page).where(Page.document_id == d.id, Page.number == page["number"]))
            row = existing or Page(document_id=d.id, number=page["number"])
            row.width, row.height, row.dpi = page["width"], page["height"], page["dpi"]
            row.mean_confidence = page["mean_confidence"]
            row.quality = page.get("quality") or {}
            row.image_hash = hashes[page["number"] - 1] if page["number"] <= len(hashes) else None
            s.add(row)
        transition(s, d, DocumentStatus.OCR_DONE, actor=pipeline_actor(), stage="ocr")


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None
