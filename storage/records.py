"""Records of the system of record: signatures per result, and the summary operators see.

`record_signatures` reads the signatures embedded in a signed result PDF (signer, signing time,
PAdES level, certificate serial and fingerprint) and stores them once per result (Art. 25.3.b);
it does not judge trust — `signing.verify_pdf` does that. `system_of_record_summary` is what
`sohoa status` adds: dead letters with their reasons, revocations, receipts, the last fixity audit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    AuditEntry,
    FixityFinding,
    OutboxEvent,
    OutboxStatus,
    Result,
    Revocation,
    Signature,
    SyncReceipt,
)


@dataclass(frozen=True)
class EmbeddedSignature:
    signer: str
    signed_at: datetime
    level: str
    cert_serial: str
    cert_fingerprint_sha256: str
    cert_issuer: str


def read_signatures(pdf: bytes) -> list[EmbeddedSignature]:
    """The signatures embedded in a PDF, in document order (document timestamps make it LTA)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    has_dss = "/DSS" in reader.root
    sigs = list(reader.embedded_signatures)
    has_doc_ts = any(s.sig_object_type == "/DocTimeStamp" for s in sigs)
    found = []
    for sig in sigs:
        if sig.sig_object_type == "/DocTimeStamp":
            continue
        cert = sig.signer_cert
        if not _has_signature_timestamp(sig):
            level = "PAdES-B-B"
        elif has_doc_ts:
            level = "PAdES-B-LTA"
        elif has_dss:
            level = "PAdES-B-LT"
        else:
            level = "PAdES-B-T"
        when = sig.self_reported_timestamp or datetime.now(UTC)
        subject = cert.subject.native
        found.append(EmbeddedSignature(
            signer=str(subject.get("common_name") or cert.subject.human_friendly),
            signed_at=when if when.tzinfo else when.replace(tzinfo=UTC),
            level=level,
            cert_serial=format(cert.serial_number, "x"),
            cert_fingerprint_sha256=cert.sha256.hex(),
            cert_issuer=cert.issuer.human_friendly,
        ))
    return found


def _has_signature_timestamp(sig: Any) -> bool:
    attrs = sig.signer_info["unsigned_attrs"]
    if attrs.native is None:
        return False
    return any(a["type"].native == "signature_time_stamp_token" for a in attrs)


def record_signatures(session: Session, result_id: int, pdf: bytes) -> list[Signature]:
    """Store the PDF's signatures for a result; a re-run adds nothing (unique per cert and time)."""
    existing = {(s.cert_fingerprint_sha256, _naive(s.signed_at))
                for s in session.scalars(select(Signature).where(Signature.result_id == result_id))}
    added = []
    for sig in read_signatures(pdf):
        if (sig.cert_fingerprint_sha256, _naive(sig.signed_at)) in existing:
            continue
        row = Signature(result_id=result_id, signer=sig.signer, signed_at=sig.signed_at, level=sig.level,
                        cert_serial=sig.cert_serial, cert_fingerprint_sha256=sig.cert_fingerprint_sha256,
                        cert_issuer=sig.cert_issuer)
        session.add(row)
        added.append(row)
    return added


def _naive(value: datetime) -> datetime:
    # SQLite hands back naive UTC times, PostgreSQL aware ones: compare in naive UTC.
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def dead_letters(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Outbox events that gave up, newest first, with the reason an operator must act on."""
    rows = session.execute(
        select(OutboxEvent, Result.result_code).join(Result, Result.id == OutboxEvent.result_id)
        .where(OutboxEvent.status == OutboxStatus.DEAD).order_by(OutboxEvent.id.desc()).limit(limit)).all()
    return [{"outbox_id": e.id, "result_code": code, "kind": e.kind, "attempts": e.attempts,
             "reason": e.last_error or "", "created_at": e.created_at.isoformat()} for e, code in rows]


def system_of_record_summary(session: Session) -> dict[str, Any]:
    """Counts and dead letters for `sohoa status` (read-only)."""
    def count(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    last_audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "fixity")
                                .order_by(AuditEntry.id.desc()).limit(1))
    return {
        "signatures": count(Signature),
        "revocations": count(Revocation),
        "sync_receipts": count(SyncReceipt),
        "dead_letters": dead_letters(session),
        "fixity": {
            "last_run": last_audit.at.isoformat() if last_audit else None,
            "last_problems": int(last_audit.detail.get("problems", 0)) if last_audit else None,
            "findings_total": count(FixityFinding),
        },
    }
