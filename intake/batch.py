"""Take a batch: every file inspected on its own; bad ones quarantined, the rest stored raw."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crashpoints import crash_point
from core.settings import Settings, get_settings
from core.units import UnknownProvince, canonical_province
from intake.inspect import SUFFIX_FOR, QuarantineReason, RejectedFile, inspect_file
from intake.manifest import ManifestRow, read_manifest, scan_candidates
from storage import keys
from storage.db import session_scope
from storage.models import AuditEntry, Batch, Document, DocumentStatus, QuarantineEntry
from storage.objects import ObjectStore

log = logging.getLogger(__name__)


@dataclass
class IntakeReport:
    batch_id: int
    accepted: list[int] = field(default_factory=list)  # document ids, new or already taken
    quarantined: list[RejectedFile] = field(default_factory=list)
    already_taken: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "document_ids": self.accepted,
            "accepted": len(self.accepted),
            "already_taken": self.already_taken,
            "quarantined": [
                {"file": r.file_name, "reason_code": str(r.reason_code), "reason": str(r)} for r in self.quarantined
            ],
        }


def batch_key(province: str, agency_code: str, location: str) -> str:
    return hashlib.sha256(f"{province}\x1f{agency_code}\x1f{location}".encode()).hexdigest()


def get_or_create_batch(session: Session, province: str, agency_code: str, location: str,
                        document_type: str) -> Batch:
    key = batch_key(province, agency_code, location)
    batch = session.scalar(select(Batch).where(Batch.batch_key == key))
    if batch is None:
        batch = Batch(batch_key=key, province=province, agency_code=agency_code, location=location,
                      document_type=document_type)
        session.add(batch)
        session.flush()
    return batch


def intake_batch(batch_dir: Path | str, *, province: str, agency_code: str, document_type: str = "auto",
                 settings: Settings | None = None, store: ObjectStore | None = None,
                 actor: str = "sohoa-intake") -> IntakeReport:
    """Inspect and store every scan of batch_dir. Safe to re-run: nothing is taken twice."""
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    batch_dir = Path(batch_dir).resolve()
    if not batch_dir.is_dir():
        raise FileNotFoundError(f"batch folder {batch_dir} does not exist")
    store.ensure_buckets()
    rows = read_manifest(batch_dir)
    candidates = rows if rows is not None else scan_candidates(batch_dir)

    province = _catalogue_spelling(province)
    with session_scope() as session:
        batch = get_or_create_batch(session, province, agency_code, str(batch_dir), document_type)
        batch_id = batch.id
    report = IntakeReport(batch_id)
    for index, row in enumerate(candidates, start=1):
        log.info("intake %d/%d: %s", index, len(candidates), row.file)
        try:
            document_id, new = _take_one(row, batch_dir, batch_id, province, agency_code, document_type,
                                         settings, store, actor)
            report.accepted.append(document_id)
            report.already_taken += 0 if new else 1
        except RejectedFile as rejected:
            log.warning("quarantined %s", rejected)
            _quarantine(rejected, batch_dir, batch_id, store, actor)
            report.quarantined.append(rejected)
    return report


def _catalogue_spelling(province: str) -> str:
    """Store a province as the catalogue spells it ("Khánh Hoà" → "Khánh Hòa"): stewards' queues, the
    roadmap's counts and the GE value sets compare stored names as they are. A name outside the
    catalogue is kept as written; validation flags it on every record."""
    try:
        return canonical_province(province)
    except UnknownProvince:
        return province.strip()


def _resolve(row: ManifestRow, batch_dir: Path) -> Path:
    if row.error:
        raise RejectedFile(row.file or f"manifest line {row.line}", QuarantineReason.BAD_MANIFEST_ROW, row.error)
    path = (batch_dir / row.file).resolve()
    # A manifest must not make intake read files elsewhere on the machine.
    if not path.is_relative_to(batch_dir):
        raise RejectedFile(row.file, QuarantineReason.OUTSIDE_BATCH,
                           f"manifest line {row.line} points outside the batch folder {batch_dir}")
    if not path.is_file():
        raise RejectedFile(row.file, QuarantineReason.MISSING_FILE,
                           f"manifest line {row.line} names a file that is not in the batch folder")
    return path


def _take_one(row: ManifestRow, batch_dir: Path, batch_id: int, province: str, agency_code: str,
              document_type: str, settings: Settings, store: ObjectStore, actor: str) -> tuple[int, bool]:
    path = _resolve(row, batch_dir)
    found = inspect_file(path, display_name=row.file, max_image_pixels=settings.max_image_pixels,
                         max_pdf_pages=settings.max_pdf_pages, raster_dpi=settings.raster_dpi)
    province = _catalogue_spelling(row.province) if row.province else province
    agency_code = row.agency_code or agency_code
    with session_scope() as session:
        same = session.scalars(select(Document).where(Document.sha256 == found.sha256)).all()
        for doc in same:
            if doc.batch_id == batch_id and doc.file_name == row.file:
                return doc.id, False  # re-run: already taken
        if same:
            first = same[0]
            raise RejectedFile(row.file, QuarantineReason.DUPLICATE,
                               f"same SHA-256 as {first.file_name!r} (document {first.id}, batch {first.batch_id})")
        year = datetime.now(UTC).year
        key = keys.raw_key(province, agency_code, year, batch_id, found.sha256, SUFFIX_FOR[found.content_type])
        # Object first, row second: a crash between them leaves an orphan object that the
        # re-run rewrites idempotently (same key, same checksum), never a row without its scan.
        store.put_bytes(store.bucket("raw"), key, path.read_bytes(), content_type=found.content_type,
                        metadata={"file-name": row.file, "batch": str(batch_id)})
        crash_point("intake.after_raw_put")
        reasons = []
        if row.pages is not None and row.pages != found.pages:
            # Art. 25.3.a: every page; a count that differs from the manifest is flagged.
            reasons.append(f"page_count_mismatch: manifest {row.pages}, file {found.pages}")
        doc = Document(
            batch_id=batch_id, file_name=row.file, sha256=found.sha256, content_type=found.content_type,
            size_bytes=found.size_bytes, page_count=found.pages, manifest_pages=row.pages, province=province,
            agency_code=agency_code, document_type=row.document_type or document_type,
            dossier_code=row.dossier_code, status=DocumentStatus.RECEIVED, raw_key=key, review_reasons=reasons,
        )
        session.add(doc)
        session.flush()
        if not doc.dossier_code:
            # Legacy papers often have no mã hồ sơ: assign a provisional one and flag it.
            doc.dossier_code = settings.provisional_dossier_pattern.format(
                agency=agency_code, date=datetime.now(UTC), seq=doc.id)
            doc.dossier_provisional = True
        session.add(AuditEntry(actor=actor, action="intake", entity="document", entity_id=str(doc.id),
                               detail={"file": row.file, "sha256": found.sha256, "key": key}))
        crash_point("intake.before_commit")  # rows flushed (ids taken), the transaction not committed
        return doc.id, True


def _quarantine(rejected: RejectedFile, batch_dir: Path, batch_id: int, store: ObjectStore, actor: str) -> None:
    with session_scope() as session:
        existing = session.scalar(select(QuarantineEntry).where(
            QuarantineEntry.batch_id == batch_id, QuarantineEntry.file_name == rejected.file_name))
        if existing is not None:
            return  # re-run: already quarantined
        bucket = store.bucket("quarantine")
        key = keys.quarantine_key(batch_id, rejected.file_name)
        reason = {"file": rejected.file_name, "reason_code": str(rejected.reason_code), "reason": str(rejected),
                  "batch_id": batch_id, "at": datetime.now(UTC).isoformat()}
        sha = None
        source = (batch_dir / rejected.file_name).resolve()
        # Only bytes from inside the batch folder are copied; others are recorded by reason only.
        if rejected.reason_code not in (QuarantineReason.OUTSIDE_BATCH, QuarantineReason.MISSING_FILE) \
                and source.is_relative_to(batch_dir) and source.is_file():
            data = source.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            store.put_bytes(bucket, key, data, metadata={"reason-code": str(rejected.reason_code)})
        store.put_bytes(bucket, key + ".reason.json", json.dumps(reason, ensure_ascii=False, indent=1).encode(),
                        content_type="application/json")
        session.add(QuarantineEntry(batch_id=batch_id, file_name=rejected.file_name, sha256=sha,
                                    reason_code=str(rejected.reason_code), reason=str(rejected), object_key=key))
        session.add(AuditEntry(actor=actor, action="quarantine", entity="file", entity_id=rejected.file_name,
                               detail=reason))
