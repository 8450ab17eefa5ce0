"""Tables of the review desk (migration branch "review": r0001…): users and their provinces,
server-side web sessions, stewards' decisions, and per-batch Great Expectations runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, utcnow


class Role(StrEnum):
    OPERATOR = "operator"  # runs batches; reads queues and reports
    STEWARD = "steward"  # corrects, approves, rejects records of the provinces assigned to them
    MANAGER = "manager"  # sees every province; may review too


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provinces: Mapped[list[UserProvince]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                         lazy="selectin")

    @property
    def province_names(self) -> list[str]:
        return sorted(p.province for p in self.provinces)


class UserProvince(Base):
    __tablename__ = "user_provinces"
    __table_args__ = (UniqueConstraint("user_id", "province", name="uq_user_province"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    province: Mapped[str] = mapped_column(String(100))
    user: Mapped[User] = relationship(back_populates="provinces")


class WebSession(Base):
    """A logged-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewAction(StrEnum):
    CORRECT = "correct"
    APPROVE = "approve"
    REJECT = "reject"
    # Art. 25.1: an expired paper digitised at the agency's wish as a scan only (method a), never as a
    # valid result: signed with still_valid false and no structured data attached.
    ARCHIVE = "approve_archive"
    RESCAN = "rescan"  # the paper is to be scanned again (RescanRequest); RESCANNED when the new scan came
    RESCANNED = "rescanned"
    WITHDRAW_RESCAN = "rescan_withdrawn"  # approved or rejected without waiting for the new scan
    CHANGE_TYPE = "change_type"  # the steward named another document type; the record was read again
    # After signing (review.lifecycle): a signed record reopened for a corrected version, and a
    # provisional dossier code replaced by the real one. Both end in a new signed version.
    REOPEN = "reopen"
    REKEY = "rekey"


class ReviewDecision(Base):
    """What a steward did to a record, when (throughput, and the record's history beside FieldChange)."""

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ExpectationRun(Base):
    """One Great Expectations suite run over one batch's records of one document type."""

    __tablename__ = "expectation_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(64))
    suite_name: Mapped[str] = mapped_column(String(100))
    success: Mapped[bool] = mapped_column(Boolean)
    records: Mapped[int] = mapped_column(Integer)
    evaluated: Mapped[int] = mapped_column(Integer)
    successful: Mapped[int] = mapped_column(Integer)
    failed_expectations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(Float)
    result_key: Mapped[str] = mapped_column(Text)  # JSON validation result, reports bucket
    docs_key: Mapped[str | None] = mapped_column(Text, default=None)  # Data Docs page, reports bucket
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
