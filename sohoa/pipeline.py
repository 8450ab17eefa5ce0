"""The batch-level stage functions the DAG tasks call: each takes ids, reads and writes the
system of record (object store + results DB), and returns small JSON-able summaries.

Every function is idempotent: re-running it for the same batch creates nothing twice and never
overwrites an approved, signed or stored result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from core.crashpoints import crash_point
from core.faults import is_service_fault
from core.identifiers import is_cccd
from core.settings import Settings, get_settings
from core.workers import map_isolated
from schemas import get_document_type
from schemas.document_types import GENERAL_TYPE_CODE
from schemas.rules import FieldInput, Route, validate_record
from sohoa.reports import render_validation_report
from storage import keys
from storage.db import session_scope
from storage.models import (
    AuditEntry,
    Batch,
    Document,
    DocumentStatus,
    Field,
    OutboxEvent,
    OutboxStatus,
    Page,
    QuarantineEntry,
    Result,
    RuleOutcome,
)
from storage.objects import ObjectStore
from storage.records import record_signatures, system_of_record_summary

log = logging.getLogger(__name__)
ACTOR = "sohoa-pipeline"

STAGES = ("ocr", "extract", "validate", "sign", "store")


def _documents(batch_id: int) -> list[Document]:
    with session_scope() as s:
        return list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))


def _todo(batch_id: int, stage: str, *statuses: DocumentStatus) -> list[Document]:
    """The documents a stage takes: those waiting for it, and those it failed on before (retried)."""
    return [d for d in _documents(batch_id)
            if d.status in statuses or (d.status == DocumentStatus.FAILED and d.failed_stage == stage)]


def _progress(stage: str, index: int, total: int, what: str) -> None:
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
        reason = reason[:2000]
        log.error("[%s] %s failed: %s", self.stage, doc.file_name, reason)
        with session_scope() as s:
            d = s.get_one(Document, doc.id)
            d.status, d.failed_stage, d.failure = DocumentStatus.FAILED, self.stage, reason
            s.add(AuditEntry(actor=ACTOR, action="stage_failed", entity="document", entity_id=str(doc.id),
                             detail={"stage": self.stage, "file": doc.file_name, "reason": reason}))
        self.failed.append({"document_id": doc.id, "file": doc.file_name, "stage": self.stage, "reason": reason})


# ---------------------------------------------------------------- ocr
def _ocr_one(raw: bytes, name: str, language: str, timeout_s: float, max_pixels: int, dpi: int) -> dict[str, Any]:
    """Runs in a worker process: one Tesseract per core (OMP_THREAD_LIMIT=1 in the seam)."""
    import ocr
    from review.duplicates import page_hash

    pages = ocr.load_pages(raw, max_pixels=max_pixels, dpi=dpi)
    result = ocr.ocr_pages(pages, language=language, workers=1, timeout_s=timeout_s)
    return {**result.to_dict(), "page_hashes": [page_hash(p.image) for p in pages]}  # popped before storing


def ocr_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = _todo(batch_id, "ocr", DocumentStatus.RECEIVED)
    run = StageRun("ocr", batch_id)
    workers = settings.ocr_workers or _cpu_count()

    def job(doc: Document) -> tuple[Any, ...]:
        raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
        return (raw, doc.file_name, settings.ocr_language, settings.ocr_timeout_s, settings.max_image_pixels,
                settings.raster_dpi)

    # A worker that dies takes the pool with it: map_isolated rebuilds it and blames only the
    # document that kills a worker on its own; every other document is simply run again.
    for index, (doc, outcome) in enumerate(map_isolated(_ocr_one, todo, job, workers), start=1):
        _progress("ocr", index, len(todo), doc.file_name)
        with run.document(doc):
            if isinstance(outcome, Exception):
                raise outcome
            _save_ocr(doc, outcome, store)
    return {"batch_id": batch_id, "ocr_done": run.done, "failed": run.failed}


def _save_ocr(doc: Document, result: dict[str, Any], store: ObjectStore) -> None:
    hashes = result.pop("page_hashes", [])  # for probable duplicates (review.duplicates), not the OCR JSON
    key = keys.work_key(doc.id, "ocr.json")
    store.put_bytes(store.bucket("work"), key, json.dumps(result, ensure_ascii=False).encode(),
                    content_type="application/json")
    crash_point("ocr.after_work_put")
    with session_scope() as s:
        d = s.get_one(Document, doc.id)
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
        d.status = DocumentStatus.OCR_DONE


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


# ---------------------------------------------------------------- extract
def extract_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = _todo(batch_id, "extract", DocumentStatus.OCR_DONE)
    run = StageRun("extract", batch_id)
    # What the province's approved records know (signers, bodies, symbols): evidence and repairs.
    from review.catalogue import archive_catalogue

    catalogue = archive_catalogue({d.province for d in todo}, db_url=settings.db_url) if todo else None
    by_type: dict[str, int] = {}
    for index, doc in enumerate(todo, start=1):
        _progress("extract", index, len(todo), doc.file_name)
        with run.document(doc):
            found = _extract_one(doc, store, catalogue)
            by_type[found] = by_type.get(found, 0) + 1
    return {"batch_id": batch_id, "extracted": run.done, "by_type": by_type, "failed": run.failed}


def _extract_one(doc: Document, store: ObjectStore, catalogue: Any) -> str:
    import ocr
    from ocr.calibrate import calibrate
    from ocr.catalogue import apply_catalogue
    from review.catalogue import record_repairs

    if not doc.ocr_key:
        raise RuntimeError("no OCR output recorded for this document")
    result = ocr.OcrResult.from_dict(json.loads(store.get_bytes(store.bucket("work"), doc.ocr_key)))
    if result.pages and all(p.quality is not None and p.quality.blank for p in result.pages):
        # Nothing to digitise (DOMAIN rule 3: a blank page is flagged, never silently accepted); the
        # reason says so instead of an "unknown document type" that would send someone looking for one.
        with session_scope() as s:
            d = s.get_one(Document, doc.id)
            d.status = DocumentStatus.REJECTED
            reason = f"blank_page: {'trang trắng' if len(result.pages) == 1 else 'mọi trang đều trắng'}, cần quét lại"
            d.review_reasons = [*[r for r in d.review_reasons if not str(r).startswith("blank_page")], reason]
        return "blank_page"
    declared = doc.document_type or "auto"
    # Confidences become calibrated (ocr.calibrate, never above the extractor's): what the thresholds compare.
    extraction = calibrate(apply_catalogue(ocr.extract_fields(result, declared), catalogue, doc.province), result)
    with session_scope() as s:
        d = s.get_one(Document, doc.id)
        d.document_type = extraction.document_type
        if declared not in ("auto", extraction.document_type):
            # A kind the schemas do not declare: read with the general type, a person confirms it.
            reason = f"loại giấy tờ «{declared}» chưa có trong danh mục: trích xuất theo văn bản hành chính chung"
            if reason not in d.review_reasons:
                d.review_reasons = [*d.review_reasons, reason]
        existing = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == d.id))}
        for name, value in extraction.fields.items():
            row = existing.get(name)
            if row is not None and row.source == "steward":
                continue  # a steward's correction is never overwritten by a re-run
            row = row or Field(document_id=d.id, name=name)
            row.value, row.confidence, row.page = value.value, value.confidence, value.page
            row.bbox = list(value.bbox) if value.bbox else None
            s.add(row)
        record_repairs(s, d.id, extraction)
        d.status = DocumentStatus.EXTRACTED
    return extraction.document_type


# ---------------------------------------------------------------- validate
def validate_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    from review.ge import run_batch_expectations
    from schemas.thresholds import load_thresholds

    thresholds = load_thresholds(settings)
    counts = {r.value: 0 for r in Route}
    run = StageRun("validate", batch_id)
    for doc in _todo(batch_id, "validate", DocumentStatus.EXTRACTED):
        with run.document(doc):
            route = _validate_one(doc, thresholds)
            counts[route] += 1
    crash_point("validate.after_commit")
    report_key = write_validation_report(batch_id, settings, store)
    expectations: dict[str, Any] = {}
    # Data Docs pages are keyed by run: re-running the suites for an unchanged batch would only add objects.
    if sum(counts.values()) or not _has_expectation_runs(batch_id):
        expectations = run_batch_expectations(batch_id, settings, store)
    return {"batch_id": batch_id, "routes": counts, "failed": run.failed,
            "report": f"s3://{store.bucket('reports')}/{report_key}",
            "expectations": {k: expectations.get(k) for k in ("seconds", "success", "data_docs")}}


def _validate_one(doc: Document, thresholds: Any) -> Route:
    from review.duplicates import route_duplicates

    with session_scope() as s:
        d = s.get_one(Document, doc.id)
        fields = {f.name: FieldInput(f.value, f.confidence)
                  for f in s.scalars(select(Field).where(Field.document_id == d.id))}
        extra = tuple(d.review_reasons)
        try:
            doc_type = get_document_type(d.document_type)
        except KeyError:  # never rejected for its kind: checked as a general document, by a person
            doc_type = get_document_type(GENERAL_TYPE_CODE)
            extra += (f"loại giấy tờ «{d.document_type}» chưa có trong danh mục",)
        if doc_type.code == GENERAL_TYPE_CODE:
            extra += ("văn bản hành chính chung (không có mẫu riêng): người duyệt xác nhận loại văn bản",)
        if d.dossier_provisional:
            extra += ("mã hồ sơ tạm thời (giấy tờ cũ không có mã hồ sơ)",)
        decision = validate_record(doc_type, fields, extra_reasons=extra, thresholds=thresholds,
                                   province=d.province, agency_code=d.agency_code)
        for o in decision.outcomes:
            row = s.scalar(select(RuleOutcome).where(
                RuleOutcome.document_id == d.id, RuleOutcome.rule == o.rule, RuleOutcome.field_name == o.field_name))
            row = row or RuleOutcome(document_id=d.id, rule=o.rule, field_name=o.field_name)
            row.severity, row.passed, row.message = o.severity, o.passed, o.message
            s.add(row)
        route, reasons = route_duplicates(s, d, decision.route, list(decision.reasons))  # "có thể trùng"
        d.status = {Route.APPROVED: DocumentStatus.APPROVED, Route.NEEDS_REVIEW: DocumentStatus.NEEDS_REVIEW,
                    Route.REJECTED: DocumentStatus.REJECTED}[route]
        d.review_reasons = reasons
        return route


def _has_expectation_runs(batch_id: int) -> bool:
    from storage.review_models import ExpectationRun

    with session_scope() as s:
        return (s.scalar(select(func.count()).select_from(ExpectationRun)
                         .where(ExpectationRun.batch_id == batch_id)) or 0) > 0


def write_validation_report(batch_id: int, settings: Settings, store: ObjectStore) -> str:
    with session_scope() as s:
        batch = s.get_one(Batch, batch_id)
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        outcomes = list(s.scalars(select(RuleOutcome).join(Document).where(Document.batch_id == batch_id)))
        quarantined = list(s.scalars(select(QuarantineEntry).where(QuarantineEntry.batch_id == batch_id)))
        fields = list(s.scalars(select(Field).join(Document).where(Document.batch_id == batch_id)))
        html = render_validation_report(batch, docs, fields, outcomes, quarantined)
        key = keys.report_key(batch_id, "validation.html")
        store.put_bytes(store.bucket("reports"), key, html.encode("utf-8"), content_type="text/html; charset=utf-8")
        local = settings.home / "reports" / f"batch-{batch_id}-validation.html"
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(html, encoding="utf-8")
        batch.report_key = key
    return key


# ---------------------------------------------------------------- sign
def _result_code(session: Any, doc: Document) -> str:
    """Art. 14.3.d: `<mã hồ sơ>-KQ<n>`, n numbering the results of one dossier."""
    siblings = session.scalars(select(Document.id).where(Document.dossier_code == doc.dossier_code)
                               .order_by(Document.id)).all()
    return f"{doc.dossier_code}-KQ{siblings.index(doc.id) + 1}"


def sign_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    """Sign approved documents only (nothing unreviewed is signed)."""
    import signing

    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = _todo(batch_id, "sign", DocumentStatus.APPROVED)
    if not todo:
        return {"batch_id": batch_id, "signed": 0, "failed": []}
    # Each agency's own key and name (SOHOA_SIGNING_KEYS), else the deployment's key; an unfit key
    # (expired, revoked, wrong converter) stops the whole batch before anything is signed.
    now = datetime.now(UTC)
    with signing.SigningIdentities(settings) as identities:
        for agency in sorted({d.agency_code for d in todo}):
            key, converter = identities.for_agency(agency)
            key.check_fit_for(converter, now)
        return _sign_documents(batch_id, todo, identities, now, settings, store)


def _sign_documents(batch_id: int, todo: list[Document], identities: Any, now: datetime, settings: Settings,
                    store: ObjectStore) -> dict[str, Any]:
    import signing

    options = signing.SigningOptions(tsa_url=settings.tsa_url or None)
    run = StageRun("sign", batch_id)
    signed = 0
    for index, doc in enumerate(todo, start=1):
        _progress("sign", index, len(todo), doc.file_name)
        with run.document(doc):
            key, converter = identities.for_agency(doc.agency_code)
            signed += _sign_one(doc, key, converter, now, options, settings, store)
    return {"batch_id": batch_id, "signed": signed, "failed": run.failed}


def _sign_one(doc: Document, key: Any, converter: str, now: datetime, options: Any, settings: Settings,
              store: ObjectStore) -> bool:
    """True when this call signed the document (not when it was signed before or went back to review)."""
    import ocr
    import signing
    from review.service import return_to_review, signing_terms

    with session_scope() as s:
        if s.scalar(select(Result).where(Result.document_id == doc.id)) is not None:
            s.get_one(Document, doc.id).status = DocumentStatus.SIGNED
            return False
    terms = signing_terms(doc.id)  # Art. 25.1, judged on the day of signing
    if not terms.may_sign:  # expired since approval: back to a steward, never signed as valid
        return_to_review(doc.id)
        return False
    with session_scope() as s:
        result_code = _result_code(s, doc)
        fields = {f.name: f.value for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
    raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
    pages = ocr.load_pages(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi)
    ocr_text: list[Any] | None = None
    if doc.ocr_key:
        # Word boxes, not just rows: the signed copy's invisible text lines up with the scan (method a).
        ocr_doc = ocr.OcrResult.from_dict(json.loads(store.get_bytes(store.bucket("work"), doc.ocr_key)))
        ocr_text = list(ocr_doc.pages) if len(ocr_doc.pages) == len(pages) else None
    marker = signing.ConversionMarker(converter=converter, converted_at=now,
                                      result_code=result_code, lookup_url=f"{settings.lookup_url}/{result_code}")
    payload = json.dumps({"result_code": result_code, "document_type": doc.document_type, "fields": fields},
                         ensure_ascii=False, indent=1).encode()
    # Archive only (method a): the scan, no structured data presented as a valid result's content.
    attachments = {} if terms.archive_only else {"fields.json": payload}
    outcome = signing.sign_result([p.image for p in pages], marker, key, dpi=[p.dpi for p in pages],
                                  text_layers=ocr_text, attachments=attachments, options=options)
    work = keys.work_key(doc.id, "signed.pdf")
    store.put_bytes(store.bucket("work"), work, outcome.pdf, content_type="application/pdf")
    crash_point("sign.after_work_put")
    with session_scope() as s:
        s.add(Result(document_id=doc.id, result_code=result_code, converter=converter,
                     converted_at=now, signer=outcome.signer, work_key=work, signed_sha256=outcome.sha256,
                     still_valid=terms.still_valid))
        s.get_one(Document, doc.id).status = DocumentStatus.SIGNED
        s.add(AuditEntry(actor=ACTOR, action="sign", entity="result", entity_id=result_code,
                         detail={"sha256": outcome.sha256, "signer": outcome.signer,
                                 "level": str(outcome.level), "revocation": str(outcome.revocation)}))
    return True


# ---------------------------------------------------------------- store
def store_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    stored_keys = []
    run = StageRun("store", batch_id)
    for doc in _todo(batch_id, "store", DocumentStatus.SIGNED, DocumentStatus.STORED, DocumentStatus.SYNCED):
        with run.document(doc):
            stored_keys.append(_store_one(doc, store))
    return {"batch_id": batch_id, "stored": len(stored_keys), "keys": stored_keys, "failed": run.failed}


def _store_one(doc: Document, store: ObjectStore) -> str:
    with session_scope() as s:
        result = s.scalar(select(Result).where(Result.document_id == doc.id))
        assert result is not None
        fields = {f.name: {"value": f.value, "confidence": f.confidence, "source": f.source}
                  for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
        code, work_key, signed_sha = result.result_code, result.work_key, result.signed_sha256
        converted_at, converter = result.converted_at, result.converter
    # SQLite drops the offset, PostgreSQL keeps it: always UTC-aware, so the stored JSON is byte-stable.
    converted_at = converted_at.replace(tzinfo=UTC) if converted_at.tzinfo is None else converted_at.astimezone(UTC)
    pdf = store.get_bytes(store.bucket("work"), work_key, expected_sha256=signed_sha)
    year = converted_at.year
    bucket = store.bucket("results")
    pdf_key = keys.result_key(doc.province, doc.agency_code, year, code, ".pdf")
    store.put_bytes(bucket, pdf_key, pdf, content_type="application/pdf",
                    metadata={"result-code": code, "converter": converter})
    record = {"result_code": code, "dossier_code": doc.dossier_code, "dossier_provisional": doc.dossier_provisional,
              "document_type": doc.document_type, "province": doc.province, "agency_code": doc.agency_code,
              "source_file": doc.file_name, "source_sha256": doc.sha256, "signed_sha256": signed_sha,
              "converted_at": converted_at.isoformat(), "converter": converter, "fields": fields}
    record_bytes = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode()
    json_ref = store.put_bytes(bucket, keys.result_key(doc.province, doc.agency_code, year, code, ".json"),
                               record_bytes, content_type="application/json")
    crash_point("store.after_results_put")
    with session_scope() as s:
        result = s.scalar(select(Result).where(Result.document_id == doc.id))
        assert result is not None
        result.stored_bucket, result.stored_key = bucket, pdf_key
        result.fields_key, result.fields_sha256 = json_ref.key, json_ref.sha256
        record_signatures(s, result.id, pdf)  # Art. 25.3.b: signer, time, level, certificate
        # Transactional outbox: the event is written in the same transaction as the stored result.
        idem = f"{code}:push:{signed_sha}"
        # An archive-only copy of an expired paper is no valid result for the warehouse.
        if result.still_valid and s.scalar(select(OutboxEvent).where(OutboxEvent.idempotency_key == idem)) is None:
            s.add(OutboxEvent(result_id=result.id, kind="push", idempotency_key=idem,
                              payload=_push_payload(code, doc, fields, signed_sha, converted_at, converter,
                                                    store.presigned_get(bucket, pdf_key, minutes=7 * 24 * 60))))
        d = s.get_one(Document, doc.id)
        if d.status in (DocumentStatus.SIGNED, DocumentStatus.FAILED):
            d.status = DocumentStatus.STORED
    crash_point("store.after_commit")
    return f"s3://{bucket}/{pdf_key}"


def _push_payload(code: str, doc: Document, fields: dict[str, Any], sha: str, converted_at: datetime,
                  converter: str, url: str) -> dict[str, Any]:
    def value(name: str) -> Any:
        return (fields.get(name) or {}).get("value")

    citizen_id = value("holder_id_number")
    if not (isinstance(citizen_id, str) and is_cccd(citizen_id)):
        citizen_id = None  # an old 9-digit CMND is no warehouse identifier; it stays in `fields`
    return {
        "result_code": code, "citizen_id": citizen_id, "document_type": doc.document_type,
        "issuing_agency": value("issuing_authority") or doc.agency_code, "issue_date": _iso_date(value("issue_date")),
        "checksum_sha256": sha, "signed_file_url": url,
        "fields": {k: v.get("value") for k, v in fields.items()},
        "converted_at": converted_at.isoformat(), "converter": converter,
    }


def _iso_date(text: Any) -> str | None:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat() if isinstance(text, str) else None
    except ValueError:
        return None


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
def run_stages(batch_id: int, first: str = "ocr", settings: Settings | None = None) -> dict[str, Any]:
    """The stages after intake, from `first` on, then the outbox drain (what `sohoa run` and `retry` do)."""
    stages = {"ocr": ocr_batch, "extract": extract_batch, "validate": validate_batch, "sign": sign_batch,
              "store": store_batch}
    out: dict[str, Any] = {}
    for name in STAGES[STAGES.index(first):]:
        out[stages[name].__name__] = stages[name](batch_id, settings)
    out[sync_batch.__name__] = sync_batch(batch_id, settings)
    return out


def requeue_failed(batch_id: int, stage: str | None = None) -> list[dict[str, Any]]:
    """The failed documents the next stage runs will take again (all, or those failed at `stage`).

    Documents that older versions rejected for an OCR failure (`ocr_failed: …`, a broken worker
    pool) were never the document's fault: they are put back as failed at OCR, so they are retried."""
    out = []
    with session_scope() as s:
        for d in s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)):
            legacy = d.status == DocumentStatus.REJECTED and any(
                str(r).startswith("ocr_failed:") for r in d.review_reasons)
            if legacy:
                d.status, d.failed_stage = DocumentStatus.FAILED, "ocr"
                d.failure = next(str(r) for r in d.review_reasons if str(r).startswith("ocr_failed:"))
                d.review_reasons = [r for r in d.review_reasons if not str(r).startswith("ocr_failed:")]
            if d.status == DocumentStatus.FAILED and (stage is None or d.failed_stage == stage):
                out.append({"document_id": d.id, "file": d.file_name, "stage": d.failed_stage, "reason": d.failure})
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
            else:
                answer, reason = "in_progress", None
            answers.append({"file": d.file_name, "answer": answer, "status": d.status, "reason": reason,
                            "document_id": d.id})
        for q in s.scalars(select(QuarantineEntry).where(QuarantineEntry.batch_id == batch_id)
                           .order_by(QuarantineEntry.id)):
            answers.append({"file": q.file_name, "answer": "quarantined", "status": q.reason_code,
                            "reason": q.reason})
    return answers
