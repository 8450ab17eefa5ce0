"""The extraction stage's door: every OCR'd document of a batch (and those extraction failed on
before) read into a document type and fields, with what the province's approved records know.

A steward's correction (source "steward") is never overwritten by a re-run.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from core.settings import Settings, get_settings
from storage.db import session_scope
from storage.documents import StageRun, pipeline_actor, progress, stage_todo, transition
from storage.models import Document, DocumentStatus
from storage.objects import ObjectStore


def extract_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None, *,
                  document_ids: Collection[int] | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = stage_todo(batch_id, "extract", DocumentStatus.OCR_DONE, only=document_ids)
    run = StageRun("extract", batch_id)
    # What the province's approved records know (signers, bodies, symbols): evidence and repairs.
    from review.catalogue import archive_catalogue

    catalogue = archive_catalogue({d.province for d in todo}, db_url=settings.db_url) if todo else None
    by_type: dict[str, int] = {}
    for index, doc in enumerate(todo, start=1):
        progress("extract", index, len(todo), doc.file_name)
        with run.document(doc):
            found = _extract_one(doc, store, catalogue)
            by_type[found] = by_type.get(found, 0) + 1
    return {"batch_id": batch_id, "extracted": run.done, "by_type": by_type, "failed": run.failed}


def _extract_one(doc: Document, store: ObjectStore, catalogue: Any) -> str:
    import ocr
    from review.retype import save_extraction

    if not doc.ocr_key:
        raise RuntimeError("no OCR output recorded for this document")
    result = ocr.OcrResult.from_dict(json.loads(store.get_bytes(store.bucket("work"), doc.ocr_key)))
    if result.pages and all(p.quality is not None and p.quality.blank for p in result.pages):
        # Nothing to digitise (DOMAIN rule 3: a blank page is flagged, never silently accepted); the
        # reason says so instead of an "unknown document type" that would send someone looking for one.
        with session_scope() as s:
            d = s.get_one(Document, doc.id)
            reason = f"blank_page: {'trang trắng' if len(result.pages) == 1 else 'mọi trang đều trắng'}, cần quét lại"
            transition(s, d, DocumentStatus.REJECTED, actor=pipeline_actor(), stage="extract", reason=reason)
            d.review_reasons = [*[r for r in d.review_reasons if not str(r).startswith("blank_page")], reason]
        return "blank_page"
    declared = doc.document_type or "auto"
    # Confidences become calibrated (ocr.calibrate, never above the extractor's): what the thresholds compare.
    extraction = ocr.read_fields(result, declared, catalogue=catalogue, province=doc.province)
    with session_scope() as s:
        d = s.get_one(Document, doc.id)
        d.document_type = extraction.document_type
        if declared not in ("auto", extraction.document_type):
            # A kind the schemas do not declare: read with the general type, a person confirms it.
            reason = f"loại giấy tờ «{declared}» chưa có trong danh mục: trích xuất theo văn bản hành chính chung"
            if reason not in d.review_reasons:
                d.review_reasons = [*d.review_reasons, reason]
        save_extraction(s, d.id, extraction)  # a steward's correction is never overwritten by a re-run
        transition(s, d, DocumentStatus.EXTRACTED, actor=pipeline_actor(), stage="extract")
    return extraction.document_type
