"""Records of the system of record: signatures per result, and the summary operators see.

`record_signatures` reads the signatures embedded in a signed result PDF (signer, signing time,
PAdES level, certificate serial and fingerprint) and stores them once per result (Art. 25.3.b);
it does not judge trust — `signing.verify_pdf` does that. `system_of_record_summary` is what
`sohoa status` adds: dead letters with their reasons, revocations, receipts, the last fixity audit.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import InvalidValue
from core.exitcodes import ExitCode
from storage.models import (
    WITHHELD_RULE_CODE,
    AuditEntry,
    Document,
    FixityFinding,
    OutboxEvent,
    OutboxStatus,
    Result,
    ResultState,
    Revocation,
    RuleOutcome,
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

    # Closed on leaving: pyHanko's reader is a web of reference cycles, and through the stream it would
    # keep the whole PDF until the garbage collector's next full pass (the store stage grew by a PDF a
    # few results otherwise).
    found = []
    with io.BytesIO(pdf) as stream:
        reader = PdfFileReader(stream, strict=False)
        has_dss = "/DSS" in reader.root
        sigs = list(reader.embedded_signatures)
        has_doc_ts = any(s.sig_object_type == "/DocTimeStamp" for s in sigs)
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


# ---------------------------------------------------------------- what a result is worth today
@dataclass(frozen=True)
class ResultLookup:
    """One result as `verify`, `print-copy`, the desk and the look-up page see it."""

    result_code: str
    state: ResultState
    converted_at: datetime
    converter: str
    signed_sha256: str
    document_type: str
    dossier_code: str
    dossier_provisional: bool
    stored_bucket: str | None
    stored_key: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    superseded_at: datetime | None
    superseded_by: str | None  # result code of the version that replaced it
    supersedes: str | None  # result code of the version it replaced
    current: str  # result code of the valid end of its chain (itself when not superseded)
    aliases: tuple[str, ...] = ()  # provisional codes a real mã hồ sơ replaced (`sohoa rekey`)

    @property
    def valid(self) -> bool:
        return self.state is ResultState.VALID


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


def lookup_result(s: Session, result_code: str) -> ResultLookup | None:
    """The result under this code with its state and both ends of its supersede chain, or None."""
    result = s.scalar(select(Result).where(Result.result_code == result_code))
    if result is None:
        return None
    doc = s.get_one(Document, result.document_id)
    codes = {r.id: r.result_code for r in s.scalars(select(Result).where(
        Result.id.in_([i for i in (result.supersedes_id, result.superseded_by_id) if i is not None])))}
    current, seen = result, {result.id}
    while current.superseded_by_id is not None and current.superseded_by_id not in seen:
        seen.add(current.superseded_by_id)
        current = s.get_one(Result, current.superseded_by_id)
    return ResultLookup(
        result_code=result.result_code, state=result.state, converted_at=_utc(result.converted_at),  # type: ignore[arg-type]
        converter=result.converter, signed_sha256=result.signed_sha256, document_type=doc.document_type,
        dossier_code=doc.dossier_code or "", dossier_provisional=doc.dossier_provisional,
        stored_bucket=result.stored_bucket, stored_key=result.stored_key, revoked_at=_utc(result.revoked_at),
        revocation_reason=result.revocation_reason, superseded_at=_utc(result.superseded_at),
        superseded_by=codes.get(result.superseded_by_id) if result.superseded_by_id else None,
        supersedes=codes.get(result.supersedes_id) if result.supersedes_id else None,
        current=current.result_code, aliases=(doc.provisional_code,) if doc.provisional_code else ())


def current_result(s: Session, document_id: int) -> Result | None:
    """The document's result that no later version replaced (None before it is signed)."""
    return s.scalar(select(Result).where(Result.document_id == document_id, Result.superseded_by_id.is_(None))
                    .order_by(Result.id.desc()).limit(1))


_KQ = re.compile(r"-KQ(?P<n>[1-9][0-9]{0,3})$")


def next_result_code(s: Session, dossier_code: str) -> str:
    """Art. 14.3.d `<mã hồ sơ>-KQ<n>`: n is given when a result is signed (final), in the order of
    signing: one more than the results of the dossier that exist. A record still in review holds
    no number, so no KQ2 is issued while KQ1 waits; a corrected version is a new result (KQ n+1)."""
    prefix = f"{dossier_code}-KQ"
    taken = [r for r in s.scalars(select(Result.result_code).where(Result.result_code.startswith(prefix, autoescape=True)))
             if r[:len(prefix)] == prefix and _KQ.search(r) and r[len(prefix):].isdigit()]
    return f"{prefix}{max((int(c[len(prefix):]) for c in taken), default=0) + 1}"


class SupersedeRefused(InvalidValue):
    """The result a new version was to replace is revoked, or already replaced."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


def link_new_version(s: Session, new: Result, replaced_id: int, at: datetime, actor: str) -> Result:
    """Supersede, don't overwrite: `new` replaces the result `replaced_id`, linked both ways; the old
    row, its objects (locked) and its signatures stay. Called in the transaction adding `new`."""
    old = s.get_one(Result, replaced_id)
    if old.revoked_at is not None:
        raise SupersedeRefused(f"{old.result_code} đã bị thu hồi: không thay thế được / was revoked")
    if old.superseded_by_id is not None and old.superseded_by_id != new.id:
        raise SupersedeRefused(f"{old.result_code} đã được thay thế / was already superseded")
    new.supersedes_id = old.id
    s.flush()
    old.superseded_by_id, old.superseded_at = new.id, at
    s.add(AuditEntry(actor=actor, action="supersede", entity="result", entity_id=old.result_code,
                     detail={"superseded_by": new.result_code, "at": at.isoformat()}))
    return old


REDIGITISED_PREFIX = "số hóa lại giấy tờ đã có kết quả ký số"


def redigitised_reason(result_code: str) -> str:
    """The review reason of a record that re-digitises a paper whose signed result it will replace
    (intake: the same file again; validation: a new scan of the same paper)."""
    return f"{REDIGITISED_PREFIX} {result_code}: khi được ký, bản mới thay thế kết quả đó"


def valid_version_of(s: Session, document_id: int) -> Result | None:
    """The valid signed result that stands for a record's paper now: its latest result, or the
    version that replaced it (possibly another record's: a re-digitisation), followed to the end of
    the chain. None when the record was never signed, or the chain ends revoked."""
    result = latest_result(s, document_id)
    seen: set[int] = set()
    while result is not None and result.superseded_by_id is not None and result.id not in seen:
        seen.add(result.id)
        result = s.get(Result, result.superseded_by_id)
    return result if result is not None and result.state is ResultState.VALID else None


def latest_result(s: Session, document_id: int) -> Result | None:
    """The document's most recent result, current or not (what the store stage stores)."""
    return s.scalar(select(Result).where(Result.document_id == document_id).order_by(Result.id.desc()).limit(1))


def catalogue_loaded(s: Session) -> bool:
    """Whether the national catalogue of agency codes was imported (`sohoa agencies import`): from then
    on an issuing agency it does not know sends its record to a steward."""
    from storage.models import CatalogueAgency

    return s.scalar(select(CatalogueAgency.id).limit(1)) is not None


def _provinces_of(province: str) -> set[str]:
    from core.units import UnknownProvince, province_2025

    try:
        return {province, province_2025(province).name}
    except UnknownProvince:
        return {province}


def agency_code_by_name(s: Session, province: str, name: Any) -> str | None:
    """The catalogue code of the agency printed as `name` for a record of this province: the national
    catalogue (`sohoa agencies import`: its central agencies and the province's own, by official
    name or a listed printed form, `core.text.agency_key`), else a province's roadmap agencies
    (`sohoa roadmap import-agencies`). None when not found or ambiguous (two agencies, one name)."""
    from core.text import agency_key, fold
    from storage.models import CatalogueAgencyName
    from storage.roadmap_models import Agency

    if not isinstance(name, str) or not name.strip():
        return None
    provinces = _provinces_of(province)
    key = agency_key(name)
    codes = set(s.scalars(select(CatalogueAgencyName.agency_code).where(
        CatalogueAgencyName.name_key == key,
        CatalogueAgencyName.province.is_(None) | CatalogueAgencyName.province.in_(provinces))))
    if codes:
        return codes.pop() if len(codes) == 1 else None
    wanted = fold(name)
    codes = {a.code for a in s.scalars(select(Agency).where(Agency.province.in_(provinces))) if fold(a.name) == wanted}
    return codes.pop() if len(codes) == 1 else None


def withheld_fields(s: Session, document_id: int) -> dict[str, str]:
    """Fields left out of the record's signed data (doubtful optional fields of a record the rules
    approved: schemas.document_types.WITHHELD_RULE), each with the reason recorded."""
    return {o.field_name: o.message for o in s.scalars(select(RuleOutcome).where(
        RuleOutcome.document_id == document_id, RuleOutcome.rule == WITHHELD_RULE_CODE))}

