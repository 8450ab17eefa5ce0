"""The re-scan queue's storage side: which record a new scan answers, and how it replaces the file.

A steward's "Yêu cầu quét lại" (review/rescan.py) leaves the record in status RESCAN with an open
RescanRequest. When intake meets a new file, before taking it as a new record, it asks
`awaiting_rescan` whether the file is the new scan of such a record. The match, in this order:

1. **Same batch, same file name**: the team puts the new scan in the batch folder in place of the
   old file (the re-scan list names it) and runs the batch again.
2. **Same province and agency, same mã hồ sơ**: a manifest row (in the same batch or a new batch
   folder, e.g. a day's re-scans) carries the record's dossier code. Only a real code counts: a
   provisional one (TAM.…, made up at intake for a paper without one) names no paper.

A file matching neither is a new record (and, if it is the same paper, the duplicate check sends it
to review as "có thể trùng"). The record keeps its id, dossier code, document type and the values a
steward typed; its earlier file stays in the raw bucket, named in the request (old_*), and the
machine's readings of the old file (pages, OCR fields, rule outcomes, duplicate links) are dropped,
so the stages read the new file from the start (status RECEIVED). A record answered from another
batch moves to that batch, so running that batch processes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.documents import transition
from storage.models import (
    Document,
    DocumentStatus,
    Field,
    Page,
    ProbableDuplicate,
    QuarantineEntry,
    RescanRequest,
    RuleOutcome,
)
from storage.review_models import ReviewAction, ReviewDecision

OPEN = "open"


def awaiting_rescan(s: Session, *, batch_id: int, file_name: str, province: str, agency_code: str,
                    dossier_code: str | None) -> tuple[Document, RescanRequest, str] | None:
    """The record awaiting re-scan that a new file answers, with its open request and how it matched."""
    waiting = s.execute(select(Document, RescanRequest).join(RescanRequest, RescanRequest.document_id == Document.id)
                        .where(RescanRequest.state == OPEN, Document.status == DocumentStatus.RESCAN)
                        .order_by(RescanRequest.id)).all()
    for doc, request in waiting:
        if doc.batch_id == batch_id and doc.file_name == file_name:
            return doc, request, "file_name"
    if dossier_code:
        for doc, request in waiting:
            if (not doc.dossier_provisional and doc.dossier_code == dossier_code.strip()
                    and doc.province == province and doc.agency_code == agency_code):
                return doc, request, "dossier_code"
    return None


def replace_scan(s: Session, doc: Document, request: RescanRequest, *, matched_by: str, batch_id: int,
                 file_name: str, sha256: str, raw_key: str, content_type: str, size_bytes: int, page_count: int,
                 manifest_pages: int | None, reasons: list[str], actor: str) -> None:
    """The new scan becomes the record's file; the request is closed and names both files."""
    now = datetime.now(UTC)
    request.state, request.closed_at, request.closed_by = "replaced", now, actor
    request.new_file_name, request.new_sha256, request.new_batch_id = file_name, sha256, batch_id
    request.matched_by = matched_by
    # What the machine read from the old file goes; a steward's typed values stay (source="steward").
    s.execute(delete(Page).where(Page.document_id == doc.id))
    s.execute(delete(RuleOutcome).where(RuleOutcome.document_id == doc.id))
    s.execute(delete(ProbableDuplicate).where(ProbableDuplicate.document_id == doc.id))
    s.execute(delete(Field).where(Field.document_id == doc.id, Field.source != "steward"))
    # An earlier refusal of this name (the new scan arrived before the request) is answered now.
    s.execute(delete(QuarantineEntry).where(QuarantineEntry.batch_id == batch_id, QuarantineEntry.file_name == file_name,
                                            QuarantineEntry.reason_code == "name_taken"))
    old = {"file": doc.file_name, "sha256": doc.sha256, "raw_key": doc.raw_key, "batch_id": doc.batch_id}
    doc.batch_id, doc.file_name, doc.sha256, doc.raw_key = batch_id, file_name, sha256, raw_key
    doc.content_type, doc.size_bytes, doc.page_count, doc.manifest_pages = content_type, size_bytes, page_count, manifest_pages
    doc.ocr_key, doc.mean_confidence, doc.failed_stage, doc.failure = None, None, None, None
    doc.review_reasons = list(reasons)
    transition(s, doc, DocumentStatus.RECEIVED, actor=actor, action="rescan_replaced",
               detail={"old": old, "new": {"file": file_name, "sha256": sha256, "raw_key": raw_key,
                                           "batch_id": batch_id}, "matched_by": matched_by,
                       "request_id": request.id})
    s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.RESCANNED, actor=actor,
                         reason=f"bản quét mới «{file_name}» thay bản cũ «{old['file']}» (khớp theo "
                                f"{'tên tệp' if matched_by == 'file_name' else 'mã hồ sơ'})"))


def withdraw_open_request(s: Session, doc: Document, actor: str, why: str) -> None:
    """A steward decided the record without waiting for the new scan (approved or rejected it): the
    request is closed as withdrawn, so the team does not scan it again for nothing."""
    for request in s.scalars(select(RescanRequest).where(RescanRequest.document_id == doc.id,
                                                         RescanRequest.state == OPEN)):
        request.state, request.closed_at, request.closed_by = "withdrawn", datetime.now(UTC), actor
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.WITHDRAW_RESCAN, reason=why, actor=actor))
