"""A document's status: the one function that changes it, and the guard every stage puts around a document.

`transition` is the only place that assigns `Document.status` (tests/test_architecture.py fails on any
other): it checks the move against `ALLOWED`, keeps `failed_stage`/`failure` in step (set on FAILED,
cleared when a document leaves FAILED) and writes the AuditEntry in the caller's transaction, so a
crash loses both or neither. A move the table does not list raises `ForbiddenTransition`: a bug, never
a document's fault.

`StageRun` is the per-document guard of the stage doors (ocr, extract, validate, sign, store):
`with run.document(doc):` marks that document FAILED when the stage raises on it, and goes on with
the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actors import actor_name
from core.exitcodes import ExitCode
from core.faults import is_service_fault
from storage.db import session_scope
from storage.models import AuditEntry, Document, DocumentStatus, Field

log = logging.getLogger(__name__)

def pipeline_actor() -> str:
    """Who the stages act for, in the audit log: a person's name (core.actors), never a constant."""
    return actor_name()


S = DocumentStatus
#: Every status a document may move to from each status. Staying where it is is always allowed
#: (a re-run finds the work done); FAILED to FAILED records the new failure.
ALLOWED: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    S.RECEIVED: frozenset({S.OCR_DONE, S.FAILED}),
    S.OCR_DONE: frozenset({S.EXTRACTED, S.REJECTED, S.FAILED}),  # REJECTED: every page blank
    S.EXTRACTED: frozenset({S.APPROVED, S.NEEDS_REVIEW, S.REJECTED, S.FAILED}),  # validation routes it
    # approved by the rules or a steward: signed; back to review when corrected, revalidated or expired
    S.APPROVED: frozenset({S.SIGNED, S.NEEDS_REVIEW, S.REJECTED, S.FAILED, S.RESCAN}),
    # a steward decides (or the rules, revalidated); RESCAN: a steward asks for the paper to be scanned
    # again; FAILED only by `sohoa retry` on a document held after too many failures
    # (storage.stage_failures), never by a stage failing on it (PERSON_DECIDES)
    S.NEEDS_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.RESCAN, S.FAILED}),
    # a rejected record a steward corrects goes back to review; an old "ocr_failed" rejection is requeued
    S.REJECTED: frozenset({S.NEEDS_REVIEW, S.APPROVED, S.FAILED, S.RESCAN}),
    # waiting for a new scan: it arrives (RECEIVED, read afresh), or a steward decides without it
    S.RESCAN: frozenset({S.RECEIVED, S.APPROVED, S.REJECTED, S.NEEDS_REVIEW}),
    S.SIGNED: frozenset({S.STORED, S.FAILED}),
    # After signing (review.lifecycle): reopened for a correction (NEEDS_REVIEW), or re-keyed to its real
    # mã hồ sơ (APPROVED): either way signed again as a new version that supersedes the stored one.
    S.STORED: frozenset({S.SYNCED, S.FAILED, S.NEEDS_REVIEW, S.APPROVED}),  # SYNCED: the warehouse acknowledged
    S.SYNCED: frozenset({S.FAILED, S.NEEDS_REVIEW, S.APPROVED}),  # FAILED: a re-run of the store stage fails
    # a failed document is taken again by the stage that failed; it leaves FAILED as that stage would
    S.FAILED: frozenset({S.OCR_DONE, S.EXTRACTED, S.APPROVED, S.NEEDS_REVIEW, S.REJECTED, S.SIGNED, S.STORED}),
}


#: Statuses only a person moves a document out of: a stage failing on it records the failure, no more.
PERSON_DECIDES = frozenset({S.NEEDS_REVIEW})


class ForbiddenTransition(RuntimeError):
    """A status change the table `ALLOWED` does not list (a bug in the caller, not the document's fault)."""

    exit_code: ExitCode = ExitCode.UNEXPECTED  # a bug: exit 1, the traceback in the log

    def __init__(self, document_id: int, file_name: str, before: str, to: str) -> None:
        # Plain values, not the Document row: a worker process's error reaches the parent pickled.
        self.document_id = document_id
        self.file_name = file_name
        self.before = before
        self.to = to
        allowed = ", ".join(sorted(ALLOWED.get(before, ())))  # type: ignore[call-overload]
        super().__init__(f"document {document_id} ({file_name}) may not go from {before} to {to} "
                         f"(allowed from {before}: {allowed or 'nothing'})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.document_id, self.file_name, self.before, self.to))


def refresh_min_confidence(session: Session, doc: Document) -> None:
    """Keep doc.min_confidence (the review queue's order) equal to its fields' least confidence
    among those with a value; -1 when none. Called wherever a record's fields are written."""
    session.flush()
    least = session.scalar(select(func.min(Field.confidence)).where(Field.document_id == doc.id,
                                                                      Field.value.is_not(None)))
    doc.min_confidence = -1.0 if least is None else float(least)


def transition(session: Session, doc: Document, to: DocumentStatus, *, actor: str, reason: str | None = None,
               stage: str | None = None, action: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Move `doc` (attached to `session`) to `to` and record it.

    FAILED needs the `stage` that failed and the `reason`. An AuditEntry (actor, from, to, reason,
    stage, `detail`) is written when the status changes, when it is FAILED, or when the caller names
    an `action` (a steward approving an approved record again still leaves their decision on record);
    a re-run that finds the document where it already is writes nothing."""
    to = DocumentStatus(to)
    before = DocumentStatus(doc.status)
    if to != before and to not in ALLOWED[before]:
        raise ForbiddenTransition(doc.id, doc.file_name, str(before), str(to))
    if to == DocumentStatus.FAILED:
        if not stage:
            raise ValueError("a FAILED document needs the stage that failed")
        doc.failed_stage, doc.failure = stage, reason
    elif before == DocumentStatus.FAILED or doc.failed_stage is not None:
        doc.failed_stage, doc.failure = None, None
    doc.status = to
    if to == before and action is None and to != DocumentStatus.FAILED:
        return
    record: dict[str, Any] = {"from": str(before), "to": str(to)}
    if stage:
        record["stage"] = stage
    if reason is not None:
        record["reason"] = reason
    session.add(AuditEntry(actor=actor, entity="document", entity_id=str(doc.id), detail={**record, **(detail or {})},
                           action=action or ("stage_failed" if to == DocumentStatus.FAILED else "status")))


# ---------------------------------------------------------------- the stages' guard
def stage_todo(batch_id: int, stage: str, *statuses: DocumentStatus,
               only: Collection[int] | None = None) -> list[Document]:
    """The documents a stage takes: those waiting for it, and those it failed on before (retried);
    `only` narrows it to one chunk of the batch (a mapped Airflow task's share, `batch_chunks`)."""
    query = select(Document).where(Document.batch_id == batch_id)
    if only is not None:
        query = query.where(Document.id.in_(list(only)))
    with session_scope() as s:
        docs = list(s.scalars(query.order_by(Document.id)))
    return [d for d in docs
            if d.status in statuses or (d.status == DocumentStatus.FAILED and d.failed_stage == stage)]


def batch_chunks(batch_id: int, size: int, *, max_chunks: int | None = None,
                 min_chunks: int | None = None) -> list[list[int]]:
    """A batch's document ids in chunks (`cut_chunks`), for the stages run as mapped tasks."""
    with session_scope() as s:
        rows = s.execute(select(Document.id, Document.dossier_code).where(Document.batch_id == batch_id)
                         .order_by(Document.id)).all()
    return cut_chunks([(doc_id, dossier or None) for doc_id, dossier in rows], size,
                      max_chunks=max_chunks, min_chunks=min_chunks)


def cut_chunks(items: Sequence[tuple[int, str | None]], size: int, *, max_chunks: int | None = None,
               min_chunks: int | None = None) -> list[list[int]]:
    """Items (a document id with its dossier code, or intake's place of a file in its batch with the
    group it is taken with: its dossier, its file, its bytes) in chunks of about `size`; with
    `min_chunks`, chunks shrink (to one item at least) so that a small batch still makes that many
    and several workers share it. Items of one code always go into one chunk.

    The items of one dossier stay in one chunk: result codes `<mã hồ sơ>-KQ<n>` are numbered in
    the order of signing (storage.records.next_result_code), so two chunks signing the same dossier
    at once could both take KQ1. With `max_chunks` (Airflow's max_map_length) chunks grow instead of
    outnumbering it."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    if min_chunks is not None and min_chunks > 1 and items:
        size = min(size, -(-len(items) // min_chunks))
    if max_chunks is not None and max_chunks >= 1:
        size = max(size, -(-len(items) // max_chunks))
    dossiers: dict[str, list[int]] = {}
    for item, dossier in items:  # an item without a dossier code is a dossier of its own
        dossiers.setdefault(dossier or f"#{item}", []).append(item)
    chunks: list[list[int]] = []
    for ids in dossiers.values():  # in order of the dossier's first item
        if chunks and len(chunks[-1]) < size:  # a large dossier may overfill one: never more than n/size chunks
            chunks[-1].extend(ids)
        else:
            chunks.append(list(ids))
    return chunks


def progress(stage: str, index: int, total: int, what: str) -> None:
    log.info("[%s] %d/%d %s", stage, index, total, what)


class StageRun:
    """The one guard every stage puts around each document.

    `with run.document(doc):` — an exception inside marks that document FAILED with the stage and
    the reason, and the loop goes on with the next one. A service fault (object store, results DB,
    disk full: `core.faults`) is not the document's fault and stops the stage instead. A document
    that failed before and now passes loses its failure mark.
    """

    def __init__(self, stage: str, batch_id: int) -> None:
        self.stage, self.batch_id = stage, batch_id
        self.done = 0
        self.failed: list[dict[str, Any]] = []

    @contextmanager
    def document(self, doc: Document) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            if is_service_fault(exc):
                raise
            self.fail(doc, f"{type(exc).__name__}: {exc}")
            return
        self.done += 1
        if doc.failed_stage is not None:
            with session_scope() as s:
                d = s.get_one(Document, doc.id)
                d.failed_stage, d.failure = None, None

    def fail(self, doc: Document, reason: str) -> None:
        from core.settings import get_settings
        from storage.stage_failures import HELD_ACTION, failures_since_forced, held_reason, without_held

        reason = reason[:2000]
        log.error("[%s] %s failed: %s", self.stage, doc.file_name, reason)
        held = False
        with session_scope() as s:
            d = s.get_one(Document, doc.id)
            now = DocumentStatus(d.status)
            if now != DocumentStatus.FAILED and (now in PERSON_DECIDES or DocumentStatus.FAILED not in ALLOWED[now]):
                # Someone moved the document on meanwhile (a steward sent it to review): their decision
                # stands, the failure is only recorded, and the batch goes on.
                s.add(AuditEntry(actor=pipeline_actor(), action="stage_failed", entity="document",
                                 entity_id=str(d.id), detail={"stage": self.stage, "reason": reason,
                                                              "file": doc.file_name, "status_kept": str(now)}))
            else:
                transition(s, d, DocumentStatus.FAILED, actor=pipeline_actor(), reason=reason,
                           stage=self.stage, detail={"file": doc.file_name})
                # the same stage failed on it too often: a person looks, re-runs stop spending time on it
                failures = failures_since_forced(s, d.id, self.stage)
                held = failures >= get_settings().stage_max_failures
                if held:
                    d.review_reasons = [*without_held(d.review_reasons),
                                        held_reason(self.stage, failures, reason, self.batch_id)]
                    transition(s, d, DocumentStatus.NEEDS_REVIEW, actor=pipeline_actor(), stage=self.stage,
                               reason=f"held after {failures} failures", action=HELD_ACTION)
        self.failed.append({"document_id": doc.id, "file": doc.file_name, "stage": self.stage, "reason": reason,
                            "held": held})


def requeue_failed(batch_id: int, stage: str | None = None) -> list[dict[str, Any]]:
    """The failed documents the next stage runs will take again (all, or those failed at `stage`):
    what `sohoa retry` does, a person's decision, so each one's failure count starts again and the
    documents held after too many failures (storage.stage_failures) are forced back too.

    Documents that older versions rejected for an OCR failure (`ocr_failed: …`, a broken worker
    pool) were never the document's fault: they are put back as failed at OCR, so they are retried."""
    from storage.stage_failures import FORCED_ACTION, held_stage, without_held

    out = []
    with session_scope() as s:
        for d in s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)):
            waits_on = held_stage(d.review_reasons) if d.status == DocumentStatus.NEEDS_REVIEW else None
            if waits_on is not None and stage in (None, waits_on):
                failure = next(str(r) for r in d.review_reasons if held_stage([r]))
                d.review_reasons = without_held(d.review_reasons)
                transition(s, d, DocumentStatus.FAILED, actor=pipeline_actor(), reason=failure, stage=waits_on,
                           action=FORCED_ACTION)
                out.append({"document_id": d.id, "file": d.file_name, "stage": waits_on, "reason": failure})
                continue
            legacy = d.status == DocumentStatus.REJECTED and any(
                str(r).startswith("ocr_failed:") for r in d.review_reasons)
            if legacy:
                failure = next(str(r) for r in d.review_reasons if str(r).startswith("ocr_failed:"))
                d.review_reasons = [r for r in d.review_reasons if not str(r).startswith("ocr_failed:")]
                transition(s, d, DocumentStatus.FAILED, actor=pipeline_actor(), reason=failure, stage="ocr",
                           action="requeue")
            if d.status == DocumentStatus.FAILED and (stage is None or d.failed_stage == stage):
                # FAILED to FAILED, audited as forced: the failure count restarts
                transition(s, d, DocumentStatus.FAILED, actor=pipeline_actor(), reason=d.failure,
                           stage=d.failed_stage or "ocr", action=FORCED_ACTION)
                out.append({"document_id": d.id, "file": d.file_name, "stage": d.failed_stage, "reason": d.failure})
    return out
