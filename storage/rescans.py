"""The re-scan queue's storage side: which record a new scan answers, and how it replaces the file.

A steward's "Yêu cầu quét lại" (review/rescan.py) leaves the record in status RESCAN with an open
RescanRequest. When intake meets a new file, before taking it as a new record, it asks
`awaiting_rescan` whether the file is the new scan of such a record. The match, in this order:

1. **Same batch, same file name**: the team puts the new scan in the batch folder in place of the
   old file (the re-scan list names it) and runs the batch again.
2. **Same province and agency, same mã hồ sơ**: a manifest row (in the same batch or a new batch
   folder, e.g. a day's re-scans) carries the record's dossier code. Only a real code counts: a
   provisional one (TAM.…, made up at intake for a paper without one) names no paper.

3. **A page image in common** (checked by the OCR stage, which has the page fingerprints; intake
   renders nothing): a new record of the same province and agency, one of whose written pages is
   the same image as a written page of the waiting record (`ocr.fingerprint.shares_a_page`): the
   team added the missing back to the old scan, or found the original of a copy sent at 70 dpi,
   and put it in another batch under another name. `take_new_record` then gives the new file to the
   waiting record and removes the new record, which nothing refers to yet. A paper put through the
   scanner again is a new image that the fingerprint does not recognise: for that the team keeps
   the file name or gives the mã hồ sơ.

A file matching none is a new record (and, if it is the same paper, the duplicate check sends it
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
    AuditEntry,
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
_MATCHED_VI = {"file_name": "tên tệp", "dossier_code": "mã hồ sơ", "image": "ảnh trang giống bản cũ"}


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


def waiting_pages(s: Session, *, province: str, agency_code: str) -> list[tuple[Document, RescanRequest, list[str]]]:
    """The records of one province and agency awaiting a re-scan, with their open request and the
    fingerprints of their pages (page order; pages without one left out)."""
    waiting = s.execute(select(Document, RescanRequest).join(RescanRequest, RescanRequest.document_id == Document.id)
                        .where(RescanRequest.state == OPEN, Document.status == DocumentStatus.RESCAN,
                               Document.province == province, Document.agency_code == agency_code)
                        .order_by(RescanRequest.id)).all()
    out = []
    for doc, request in waiting:
        hashes = list(s.scalars(select(Page.image_hash).where(Page.document_id == doc.id, Page.image_hash.is_not(None))
                                .order_by(Page.number)))
        if hashes:
            out.append((doc, request, [h for h in hashes if h]))
    return out


def is_fresh_record(s: Session, doc: Document) -> bool:
    """A record intake has just made of a new file: no pages read, no request of its own (answered
    or open), not the new version of a signed result. Only such a record may turn out to be a re-scan."""
    return (doc.replaces_result_id is None and doc.status == DocumentStatus.RECEIVED and doc.failed_stage is None
            and s.scalar(select(Page.id).where(Page.document_id == doc.id).limit(1)) is None
            and s.scalar(select(RescanRequest.id).where(RescanRequest.document_id == doc.id).limit(1)) is None)


def take_new_record(s: Session, new: Document, doc: Document, request: RescanRequest, *, actor: str) -> None:
    """`new` (a fresh record, `is_fresh_record`) is the re-scan `request` asked for, matched by a page
    image: its file becomes `doc`'s (`replace_scan`, matched_by "image") and `new` is removed; the
    audit trail keeps both ids."""
    file = {"batch_id": new.batch_id, "file_name": new.file_name, "sha256": new.sha256, "raw_key": new.raw_key,
            "content_type": new.content_type, "size_bytes": new.size_bytes, "page_count": new.page_count,
            "manifest_pages": new.manifest_pages}  # read before `new` is deleted
    reasons = [r for r in new.review_reasons or [] if isinstance(r, str)]
    s.add(AuditEntry(actor=actor, action="rescan_merged", entity="document", entity_id=str(new.id),
                     detail={"into": doc.id, "file": new.file_name, "sha256": new.sha256}))
    s.delete(new)
    s.flush()  # the batch's (batch_id, file_name) and (batch_id, sha256) are free for `doc`
    replace_scan(s, doc, request, matched_by="image", reasons=reasons, actor=actor, **file)  # type: ignore[arg-type]


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
                                f"{_MATCHED_VI.get(matched_by, matched_by)})"))


def withdraw_open_request(s: Session, doc: Document, actor: str, why: str) -> None:
    """A steward decided the record without waiting for the new scan (approved or rejected it): the
    request is closed as withdrawn, so the team does not scan it again for nothing."""
    for request in s.scalars(select(RescanRequest).where(RescanRequest.document_id == doc.id,
                                                         RescanRequest.state == OPEN)):
        request.state, request.closed_at, request.closed_by = "withdrawn", datetime.now(UTC), actor
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.WITHDRAW_RESCAN, reason=why, actor=actor))
