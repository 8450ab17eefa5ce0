"""Results database tables (SQLAlchemy 2). Schema changes go through Alembic (storage/migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    OCR_DONE = "ocr_done"
    EXTRACTED = "extracted"
    APPROVED = "approved"  # passed validation, or approved by a steward
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"
    SIGNED = "signed"
    STORED = "stored"
    SYNCED = "synced"
    # A steward asked for the paper to be scanned again (a blank, missing or unreadable page): an
    # open RescanRequest says why; the new scan replaces the record's file (storage/rescans.py).
    RESCAN = "rescan"
    # A stage raised on this document: `failed_stage` and `failure` say where and why; a re-run of
    # that stage (or `sohoa retry`) takes it again. Never a final answer, unlike REJECTED.
    FAILED = "failed"


#: How a status reads on reports and pages (Vietnamese, for stewards and managers).
STATUS_VI: dict[str, str] = {
    "received": "Đã tiếp nhận", "ocr_done": "Đã nhận dạng", "extracted": "Đã trích xuất",
    "approved": "Đạt, tự động duyệt", "needs_review": "Cần rà soát", "rejected": "Bị từ chối",
    "signed": "Đã ký số", "stored": "Đã lưu trữ", "synced": "Đã đồng bộ kho dữ liệu công dân",
    "failed": "Lỗi xử lý, sẽ thử lại", "rescan": "Chờ quét lại",
}


# The pipeline's stages as operators read them (progress lines, failure reasons).
STAGE_VI: dict[str, str] = {"intake": "Tiếp nhận", "ocr": "Nhận dạng (OCR)", "extract": "Trích xuất",
                            "validate": "Kiểm tra", "sign": "Ký số", "store": "Lưu trữ", "sync": "Đồng bộ"}


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # dead letter: needs an operator; `last_error` says why
    SUPERSEDED = "superseded"  # a push the warehouse refused because the result was revoked first (Art. 15)


class Batch(Base):
    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Same province, agency and location => same batch: re-runs reuse it.
    batch_key: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str] = mapped_column(String(100))
    agency_code: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(Text)
    document_type: Mapped[str] = mapped_column(String(64), default="auto")
    report_key: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    documents: Mapped[list[Document]] = relationship(back_populates="batch")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("batch_id", "sha256", name="uq_document_batch_sha256"),
        UniqueConstraint("batch_id", "file_name", name="uq_document_batch_file"),
        # The review queue read in its order from an index, a page at a time (migration v0001); the
        # province last, so that a steward's scope is checked in the index, not in the table.
        Index("ix_documents_queue", "status", "batch_id", "min_confidence", "id", "province"),
        Index("ix_documents_queue_all", "batch_id", "min_confidence", "id", "province"),
        Index("ix_documents_queue_counts", "province", "batch_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    manifest_pages: Mapped[int | None] = mapped_column(Integer, default=None)
    province: Mapped[str] = mapped_column(String(100))
    agency_code: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[str] = mapped_column(String(64), default="auto")
    dossier_code: Mapped[str | None] = mapped_column(String(100), default=None)
    dossier_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # The provisional TAM.… code a real mã hồ sơ replaced (`sohoa rekey`): an alias kept in history.
    provisional_code: Mapped[str | None] = mapped_column(String(100), default=None)
    # A signed result this record will replace when it is signed (correction after signing,
    # re-digitisation of a paper already signed, re-keying): the supersede path (migration s0001).
    # (No foreign key: documents and results would reference each other, and a backup restores in
    # foreign-key order.)
    replaces_result_id: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.RECEIVED, index=True)
    raw_key: Mapped[str] = mapped_column(Text)
    ocr_key: Mapped[str | None] = mapped_column(Text, default=None)
    mean_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    # The least confidence of a field with a value, -1 when none (nothing read is the most doubtful):
    # the review queue's order, kept by storage.documents.refresh_min_confidence.
    min_confidence: Mapped[float] = mapped_column(Float, default=-1.0, server_default="-1")
    review_reasons: Mapped[list[Any]] = mapped_column(default=list)
    failed_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    failure: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    batch: Mapped[Batch] = relationship(back_populates="documents")
    fields: Mapped[list[Field]] = relationship(back_populates="document", cascade="all, delete-orphan")
    pages: Mapped[list[Page]] = relationship(back_populates="document", cascade="all, delete-orphan")


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_page_document_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int] = mapped_column(Integer)
    mean_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Difference hash of the page image (hex), for finding the same paper scanned twice (migration 0003).
    image_hash: Mapped[str | None] = mapped_column(String(512), default=None)
    document: Mapped[Document] = relationship(back_populates="pages")


class Field(Base):
    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("document_id", "name", name="uq_field_document_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text, default=None)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    page: Mapped[int | None] = mapped_column(Integer, default=None)
    bbox: Mapped[list[Any] | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16), default="ocr")  # ocr | steward
    document: Mapped[Document] = relationship(back_populates="fields")


class FieldChange(Base):
    """Art. 12.3: every amendment keeps who, when, the old and the new value."""

    __tablename__ = "field_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    field_name: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProbableDuplicate(Base):
    """A record that is probably the same paper as an earlier one (review/duplicates.py, migration 0003)."""

    __tablename__ = "probable_duplicates"
    __table_args__ = (UniqueConstraint("document_id", "other_document_id", "basis", name="uq_probable_duplicate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    other_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    basis: Mapped[str] = mapped_column(String(16))  # identity (body + number + date) | image (page hashes)
    distance: Mapped[int | None] = mapped_column(Integer, default=None)  # image: largest page distance, bits
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RescanRequest(Base):
    """A steward's request to scan a paper again, and what answered it (migration q0001).

    Open until a new scan of the same paper arrives (storage/rescans.py says how it is matched); the
    record's earlier file stays in the raw bucket and is named here (old_*), so the history keeps
    every scan the record had."""

    __tablename__ = "rescan_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)  # the batch when asked
    reason: Mapped[str] = mapped_column(Text)
    pages: Mapped[list[Any]] = mapped_column(default=list)  # page numbers to scan again (empty: the whole paper)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | replaced | withdrawn
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    old_file_name: Mapped[str] = mapped_column(Text)
    old_sha256: Mapped[str] = mapped_column(String(64))
    old_raw_key: Mapped[str] = mapped_column(Text)
    new_file_name: Mapped[str | None] = mapped_column(Text, default=None)
    new_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    new_batch_id: Mapped[int | None] = mapped_column(Integer, default=None)
    matched_by: Mapped[str | None] = mapped_column(String(16), default=None)  # file_name | dossier_code | image


# The rule outcome that marks a doubtful optional field left out of a record's signed data (declared
# as schemas.document_types.WITHHELD_RULE, written by review/validate.py, read by withheld_fields).
WITHHELD_RULE_CODE = "withheld"


class RuleOutcome(Base):
    __tablename__ = "rule_outcomes"
    __table_args__ = (UniqueConstraint("document_id", "rule", "field_name", name="uq_rule_outcome"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    field_name: Mapped[str] = mapped_column(String(64), default="")
    severity: Mapped[str] = mapped_column(String(10))  # warning | error
    passed: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text, default="")


class QuarantineEntry(Base):
    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("batch_id", "file_name", name="uq_quarantine_batch_file"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    object_key: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResultState(StrEnum):
    """What a result is worth today (Decree 45 Art. 15; Decree 137 Art. 4): shown by `verify`,
    `print-copy`, the desk and the look-up page."""

    VALID = "valid"
    SUPERSEDED = "superseded"  # a corrected version replaced it: kept, locked, linked both ways
    REVOKED = "revoked"  # Art. 15: no longer valid


RESULT_STATE_VI = {ResultState.VALID: "Còn giá trị", ResultState.SUPERSEDED: "Đã được thay thế bằng bản đính chính",
                   ResultState.REVOKED: "ĐÃ THU HỒI — không còn giá trị"}


class Result(Base):
    """A signed electronic result, synchronised under `<mã hồ sơ>-KQ<n>` (Art. 14.3.d).

    A document may have several results over time: each correction after signing is a new signed
    version that supersedes the one before (never an overwrite); the current one has no
    `superseded_by_id`."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    result_code: Mapped[str] = mapped_column(String(120), unique=True)
    converter: Mapped[str] = mapped_column(Text)
    converted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signer: Mapped[str] = mapped_column(Text)
    work_key: Mapped[str] = mapped_column(Text)  # signed PDF staged in the work bucket
    signed_sha256: Mapped[str] = mapped_column(String(64))
    stored_bucket: Mapped[str | None] = mapped_column(String(100), default=None)
    stored_key: Mapped[str | None] = mapped_column(Text, default=None)
    fields_key: Mapped[str | None] = mapped_column(Text, default=None)
    fields_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    still_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revocation_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The supersede chain (migration s0001): the result this one replaces, and the one replacing it.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), default=None)
    # No foreign key: it names a later row, and a restore inserts rows in id order.
    superseded_by_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def state(self) -> ResultState:
        if self.revoked_at is not None:
            return ResultState.REVOKED
        if self.superseded_by_id is not None:
            return ResultState.SUPERSEDED
        return ResultState.VALID


class OutboxEvent(Base):
    """Transactional outbox: written with the result, drained to the citizen warehouse."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # push | revoke
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Append-only: who did what, when (Art. 17: every step stays attributable)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# ---------------------------------------------------------------- system of record (migration 0002)
# Rows of these tables are never changed or removed: the database refuses UPDATE and DELETE
# (triggers, storage/_append_only.py), so history stays attributable (Art. 12.3, Art. 17).
APPEND_ONLY_TABLES = ("audit_log", "signatures", "revocations", "sync_receipts", "fixity_findings")


class Signature(Base):
    """Art. 25.3.b: who signed a result, when, at which PAdES level, with which certificate."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("result_id", "cert_fingerprint_sha256", "signed_at", name="uq_signature"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    signer: Mapped[str] = mapped_column(Text)  # certificate subject common name
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[str] = mapped_column(String(16))  # PAdES-B-B | PAdES-B-T | PAdES-B-LT | PAdES-B-LTA
    cert_serial: Mapped[str] = mapped_column(String(80))  # hex
    cert_fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    cert_issuer: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Revocation(Base):
    """Art. 15: the result lost its validity. The result row is kept; this records when and why."""

    __tablename__ = "revocations"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), unique=True)
    result_code: Mapped[str] = mapped_column(String(120), index=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    revoked_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncReceipt(Base):
    """What the citizen warehouse acknowledged, and when (one row per acknowledged outbox event)."""

    __tablename__ = "sync_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    result_code: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # push | revoke
    idempotency_key: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(24))  # delivered | already_delivered | superseded
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    warehouse: Mapped[str] = mapped_column(Text)  # base URL that acknowledged
    detail: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FixityFinding(Base):
    """A stored object whose bytes no longer match the SHA-256 recorded in the DB, or that is gone."""

    __tablename__ = "fixity_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[str] = mapped_column(String(40), index=True)  # one fixity run
    entity: Mapped[str] = mapped_column(String(40))  # result | result_fields | raw_scan
    entity_id: Mapped[str] = mapped_column(String(120))  # result code or document id
    bucket: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(String(16))  # mismatch | missing | unreadable
    expected_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    actual_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogueAgency(Base):
    """An agency of the national catalogue of agency codes (mã định danh, Decision 20/2020/QĐ-TTg),
    loaded by `sohoa agencies import`. Issuing agencies travel to the warehouse by this code; their
    printed name is only text. Once a catalogue is loaded, a record whose issuing agency it does not
    know goes to a steward (review/validate.py), never to the warehouse with free text."""

    __tablename__ = "agency_catalogue"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(100), default=None)  # the 2025 province; None: central
    parent_code: Mapped[str | None] = mapped_column(String(100), default=None)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogueAgencyName(Base):
    """A name an agency is printed under (its official name and the header forms the catalogue lists),
    by `core.text.agency_key`: what a record's issuing agency is looked up by."""

    __tablename__ = "agency_catalogue_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(100), index=True)
    name_key: Mapped[str] = mapped_column(String(400), index=True)
    province: Mapped[str | None] = mapped_column(String(100), default=None)
