"""Take a batch: every file inspected on its own; bad ones quarantined, the rest stored raw."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actors import actor_name
from core.crashpoints import crash_point
from core.faults import is_service_fault
from core.identifiers import is_agency_code
from core.settings import Settings, get_settings
from core.units import UnknownProvince, canonical_province
from intake.inbox import is_store_location, staged
from intake.inspect import SUFFIX_FOR, QuarantineReason, RejectedFile, inspect_file
from intake.manifest import (
    ManifestError,
    ManifestRow,
    disk_names,
    nfc,
    read_manifest,
    scan_candidates,
    unlisted_scans,
)
from storage import keys
from storage.db import serialise_on, session_scope
from storage.documents import cut_chunks
from storage.models import AuditEntry, Batch, Document, DocumentStatus, QuarantineEntry, Result, ResultState
from storage.objects import ObjectStore
from storage.records import current_result, redigitised_reason
from storage.rescans import awaiting_rescan, replace_scan

log = logging.getLogger(__name__)


@dataclass
class IntakeReport:
    batch_id: int
    accepted: list[int] = field(default_factory=list)  # document ids, new or already taken
    quarantined: list[RejectedFile] = field(default_factory=list)
    already_taken: int = 0
    unlisted: list[str] = field(default_factory=list)  # scans in the folder the manifest does not name

    def summary(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "document_ids": self.accepted,
            "accepted": len(self.accepted),
            "already_taken": self.already_taken,
            "unlisted": self.unlisted,
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


@dataclass
class IntakePlan:
    """A batch cut for intake on several workers: `chunks` hold places in the batch's list of files
    (the manifest's rows in order, then the scans it does not name; without a manifest, the scans by
    name), the values `take_chunk` takes: ids only, never names or bytes."""

    batch_id: int
    chunks: list[list[int]]
    files: int
    quarantined: int = 0  # objects of an inbox batch that cannot be files (quarantined by the plan)
    hashed: int = 0  # files whose bytes the plan read: those sharing their size with another file


@dataclass
class _Files:
    """A batch's files, wherever they are: a local folder, or the scratch copy of an inbox prefix."""

    folder: Path
    location: str  # the batch's key (Batch.location)
    on_disk: dict[str, str]  # NFC name -> name in the folder
    refused: list[RejectedFile] = field(default_factory=list)
    fetch: Callable[[str], None] | None = None  # an inbox batch copied file by file: copy this one
    # an inbox batch copied file by file: each object's size (name as stored) and its checksum, streamed
    sizes: dict[str, int] | None = None
    checksum: Callable[[str], str | None] | None = None


@contextmanager
def _opened(batch_dir: Path | str, store: ObjectStore, *, lazy: bool) -> Iterator[_Files]:
    if is_store_location(batch_dir):
        assert isinstance(batch_dir, str)
        with staged(batch_dir, store, lazy=lazy) as batch:
            yield _Files(batch.folder, batch.location, batch.names if lazy else disk_names(batch.folder),
                         batch.refused, batch.fetch if lazy else None, batch.sizes if lazy else None,
                         batch.checksum if lazy else None)
        return
    folder = Path(batch_dir).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"batch folder {folder} does not exist")
    yield _Files(folder, str(folder), disk_names(folder))


def _candidates(files: _Files) -> tuple[list[ManifestRow], list[str]]:
    """The batch's list of files, in a fixed order, and the scans the manifest does not name. The
    whole manifest is read and every row checked before anything is touched (ManifestError)."""
    rows = read_manifest(files.folder)
    if rows is None:
        return scan_candidates(files.folder, files.on_disk), []
    # Rule: with a manifest, only the files it names are taken (it is the agency's list of what the
    # batch holds); a scan it does not name is quarantined as `not_in_manifest`, never ignored.
    unlisted = unlisted_scans(files.folder, rows, files.on_disk)
    return rows + [ManifestRow(line=0, file=name, error=_NOT_LISTED) for name in unlisted], unlisted


def intake_batch(batch_dir: Path | str, *, province: str, agency_code: str, document_type: str = "auto",
                 settings: Settings | None = None, store: ObjectStore | None = None,
                 actor: str | None = None) -> IntakeReport:
    """Inspect and store every scan of batch_dir: a local folder, or `s3://<inbox bucket>/<prefix>/`
    (intake/inbox.py: the objects under the prefix, taken like a folder). Safe to re-run: nothing is
    taken twice. `actor`: the person taking the batch (default: core.actors.actor_name). On several
    workers, the same in parts: `plan_batch`, then `take_chunk` for each of its chunks."""
    actor = actor_name(actor)
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    province = _check_batch_names(province, agency_code, str(batch_dir))  # before a byte is copied
    with _opened(batch_dir, store, lazy=False) as files:
        candidates, unlisted = _candidates(files)
        store.ensure_buckets()
        report = IntakeReport(_batch_id(province, agency_code, files.location, document_type), unlisted=unlisted)
        _quarantine_refused(files, report, store, actor)
        _take_rows(list(enumerate(candidates)), files, report, province=province, agency_code=agency_code,
                   document_type=document_type, settings=settings, store=store, actor=actor)
    return report


def plan_batch(batch_dir: Path | str, *, province: str, agency_code: str, document_type: str = "auto",
               settings: Settings | None = None, store: ObjectStore | None = None, actor: str | None = None,
               max_chunks: int | None = None) -> IntakePlan:
    """The first part of intake on several workers: the manifest read and checked whole
    (ManifestError: nothing is taken), the batch's row, the inbox objects that cannot be files
    quarantined, and the batch's files cut into chunks (SOHOA_CHUNK_SIZE at most, SOHOA_MIN_CHUNKS
    at least, one dossier of the manifest never split: storage.documents.cut_chunks) that
    `take_chunk` takes, each on any worker. Files with the same bytes go into one chunk too
    (`_taken_together`), so which of them is taken does not hang on the order chunks are taken in.
    Nothing is inspected or stored here; only files that share their size with another are read."""
    actor = actor_name(actor)
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    province = _check_batch_names(province, agency_code, str(batch_dir))
    with _opened(batch_dir, store, lazy=True) as files:
        candidates, _unlisted = _candidates(files)
        store.ensure_buckets()
        report = IntakeReport(_batch_id(province, agency_code, files.location, document_type))
        _quarantine_refused(files, report, store, actor)
        together, hashed = _taken_together(candidates, files)
    chunks = cut_chunks(list(enumerate(together)), settings.chunk_size, min_chunks=settings.min_chunks,
                        max_chunks=max_chunks)
    return IntakePlan(report.batch_id, chunks, len(candidates), len(report.quarantined), hashed)


def _taken_together(candidates: Sequence[ManifestRow], files: _Files) -> tuple[list[str], int]:
    """For each place of the batch's list, the name of the group it must be taken with (the place
    that opens the group), and how many files were read to tell. One group holds the rows of one
    dossier (storage.documents.cut_chunks says why), the rows that name one file, and the files
    with the same bytes: one chunk then takes them one after another in the batch's order, as one
    intake does (take_chunk), so the first place with those bytes is taken and the others are its
    duplicates whichever chunk a worker takes first. Only files that share their size with another
    are read (streamed, never held whole)."""
    where: dict[int, str] = {}  # place -> the file it names: a path in the folder, or an inbox object
    size: dict[str, int] = {}
    for place, row in enumerate(candidates):
        if row.error:  # a bad row or a scan the manifest does not name: quarantined unread
            continue
        if files.sizes is not None:  # an inbox batch: the listing has every object's size
            stored = files.on_disk.get(nfc(row.file))
            if stored is not None and stored in files.sizes:
                where[place], size[stored] = stored, files.sizes[stored]
            continue
        path = _on_disk(files.folder, row.file, files.on_disk).resolve()
        # as _resolve: nothing outside the batch folder is looked at (take_chunk quarantines it)
        if path.is_relative_to(files.folder) and path.is_file():
            where[place], size[str(path)] = str(path), path.stat().st_size
    same_size: dict[int, list[str]] = {}
    for name, n in size.items():
        same_size.setdefault(n, []).append(name)
    content: dict[str, str] = {}  # file -> its SHA-256, for the files that share a size
    for names in same_size.values():
        for name in names if len(names) > 1 else ():
            digest = files.checksum(name) if files.checksum is not None else _file_sha256(Path(name))
            if digest is not None:
                content[name] = digest

    opener = list(range(len(candidates)))  # union-find; a group's root is its first place

    def root(place: int) -> int:
        while opener[place] != place:
            opener[place] = opener[opener[place]]
            place = opener[place]
        return place

    first: dict[tuple[str, str], int] = {}
    for place, row in enumerate(candidates):
        ties = [("dossier", row.dossier_code)] if row.dossier_code else []
        if place in where:
            ties.append(("file", where[place]))
            if where[place] in content:
                ties.append(("bytes", content[where[place]]))
        for tie in ties:
            if tie not in first:
                first[tie] = place
                continue
            a, b = root(first[tie]), root(place)
            opener[max(a, b)] = min(a, b)
    return [f"group {root(place)}" for place in range(len(candidates))], len(content)


def _file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:  # unreadable: take_chunk quarantines it with its reason
        return None


def take_chunk(batch_dir: Path | str, batch_id: int, places: Sequence[int], *, province: str, agency_code: str,
               document_type: str = "auto", settings: Settings | None = None, store: ObjectStore | None = None,
               actor: str | None = None) -> IntakeReport:
    """Take the files at `places` of the batch's list (one chunk of `plan_batch`): each inspected,
    stored raw or quarantined as `intake_batch` does, in the batch's order (of two files with the same
    bytes, the plan puts both in one chunk and the first place is taken); an inbox batch copies only
    these files. Safe to re-run, and beside the other chunks: the same file is never taken twice."""
    actor = actor_name(actor)
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    province = _check_batch_names(province, agency_code, str(batch_dir))
    places = sorted(set(places))  # the batch's order, whatever order the chunk lists them in
    with _opened(batch_dir, store, lazy=True) as files:
        candidates, unlisted = _candidates(files)
        report = IntakeReport(batch_id, unlisted=[name for name in unlisted
                                                 if any(candidates[p].file == name for p in places
                                                        if p < len(candidates))])
        missing = [p for p in places if not 0 <= p < len(candidates)]
        if missing:  # the folder changed since the plan: a re-run of the batch takes what is new
            log.warning("intake chunk: places %s are no longer in the batch's list of %d files", missing,
                        len(candidates))
        _take_rows([(p, candidates[p]) for p in places if 0 <= p < len(candidates)], files, report,
                   province=province, agency_code=agency_code, document_type=document_type, settings=settings,
                   store=store, actor=actor, total=len(candidates))
    return report


def _batch_id(province: str, agency_code: str, location: str, document_type: str) -> int:
    with session_scope() as session:
        return get_or_create_batch(session, province, agency_code, location, document_type).id


def _quarantine_refused(files: _Files, report: IntakeReport, store: ObjectStore, actor: str) -> None:
    for rejected in files.refused:
        log.warning("quarantined %s", rejected)
        _quarantine(rejected, files.folder, files.on_disk, report.batch_id, store, actor)
        report.quarantined.append(rejected)


def _check_batch_names(province: str, agency_code: str, where: str) -> str:
    # The batch's own province and agency (CLI, DAG params) are checked like a manifest row's: a name
    # outside the catalogue would reach every page, report and map that shows it (issue 17).
    province = _catalogue_spelling(province, where)
    if not is_agency_code(agency_code):
        raise ManifestError(where, f"mã cơ quan «{agency_code}» không đúng dạng mã định danh "
                                   "(ví dụ 000.00.15.H34)")
    return province


def _take_rows(rows: list[tuple[int, ManifestRow]], files: _Files, report: IntakeReport, *, province: str,
               agency_code: str, document_type: str, settings: Settings, store: ObjectStore, actor: str,
               total: int | None = None) -> None:
    """Take each (place, row): accepted ids and quarantined files go into `report`."""
    batch_dir, on_disk, batch_id = files.folder, files.on_disk, report.batch_id
    for place, row in rows:
        log.info("intake %d/%d: %s", place + 1, total or len(rows), row.file)
        try:
            try:
                if files.fetch is not None:
                    files.fetch(row.file)
                document_id, new = _take_one(row, batch_dir, on_disk, batch_id, province, agency_code,
                                             document_type, settings, store, actor)
            except (RejectedFile, KeyboardInterrupt):
                raise
            except Exception as exc:  # one file's surprise never stops the batch; a service fault does
                if is_service_fault(exc):
                    raise
                raise RejectedFile(row.file, QuarantineReason.UNREADABLE, f"{type(exc).__name__}: {exc}") from exc
            report.accepted.append(document_id)
            report.already_taken += 0 if new else 1
        except RejectedFile as rejected:
            log.warning("quarantined %s", rejected)
            _quarantine(rejected, batch_dir, on_disk, batch_id, store, actor)
            report.quarantined.append(rejected)


def _catalogue_spelling(province: str, where: str) -> str:
    """Store a province as the catalogue spells it ("Khánh Hoà" → "Khánh Hòa"): stewards' queues, the
    roadmap's counts and the GE value sets compare stored names as they are. A name outside the
    catalogue is refused (ManifestError): nothing is taken."""
    try:
        return canonical_province(province)
    except UnknownProvince as exc:
        raise ManifestError(where, f"{exc}; dùng tên hoặc mã tỉnh trong danh mục (ví dụ «Khánh Hòa» hoặc «56»)") from None


_NOT_LISTED = "tệp có trong thư mục lô nhưng không có dòng nào trong manifest.csv; thêm một dòng để tiếp nhận"


def _on_disk(batch_dir: Path, name: str, on_disk: dict[str, str]) -> Path:
    """The file a (NFC) name means: as written, else the same name in the disk's normalisation."""
    path = batch_dir / name
    if not path.exists() and not path.is_symlink():
        path = batch_dir / on_disk.get(nfc(name), name)
    return path


def _resolve(row: ManifestRow, batch_dir: Path, on_disk: dict[str, str]) -> Path:
    if row.error == _NOT_LISTED:
        raise RejectedFile(row.file, QuarantineReason.NOT_IN_MANIFEST, row.error)
    if row.error:
        raise RejectedFile(row.file or f"manifest line {row.line}", QuarantineReason.BAD_MANIFEST_ROW, row.error)
    where = f"dòng {row.line} của manifest.csv" if row.line else "tệp"
    path = _on_disk(batch_dir, row.file, on_disk).resolve()
    # A manifest (or a symlink in the folder) must not make intake read files elsewhere on the machine.
    if not path.is_relative_to(batch_dir):
        what = f"{where} trỏ" if row.line else "liên kết (symlink) trỏ"
        raise RejectedFile(row.file, QuarantineReason.OUTSIDE_BATCH, f"{what} ra ngoài thư mục lô {batch_dir}")
    if not path.is_file():
        detail = (f"{where} nêu một tệp không có trong thư mục lô" if row.line
                  else "liên kết (symlink) trỏ tới tệp không tồn tại")
        raise RejectedFile(row.file, QuarantineReason.MISSING_FILE, detail)
    return path


def _take_one(row: ManifestRow, batch_dir: Path, on_disk: dict[str, str], batch_id: int, province: str,
              agency_code: str, document_type: str, settings: Settings, store: ObjectStore,
              actor: str) -> tuple[int, bool]:
    path = _resolve(row, batch_dir, on_disk)
    found = inspect_file(path, display_name=row.file, max_image_pixels=settings.max_image_pixels,
                         max_pdf_pages=settings.max_pdf_pages, raster_dpi=settings.raster_dpi)
    province = _catalogue_spelling(row.province, row.file) if row.province else province
    agency_code = row.agency_code or agency_code
    with session_scope() as session:
        # Chunks of a batch are taken at once on several workers: the same bytes twice (in two chunks,
        # or two batches at once) must meet here one after the other, or both would be taken.
        serialise_on(session, f"intake:{found.sha256}")
        same = session.scalars(select(Document).where(Document.sha256 == found.sha256)).all()
        for doc in same:
            if doc.batch_id == batch_id and doc.file_name == row.file:
                return doc.id, False  # re-run: already taken
        replaced = _signed_result_of(session, same) if same and all(d.batch_id != batch_id for d in same) else None
        if same and replaced is None:
            first = same[0]
            raise RejectedFile(row.file, QuarantineReason.DUPLICATE,
                               f"same SHA-256 as {first.file_name!r} (document {first.id}, batch {first.batch_id})")
        # The new scan a steward asked for replaces that record's file (storage/rescans.py: the match).
        answered = awaiting_rescan(session, batch_id=batch_id, file_name=row.file, province=province,
                                   agency_code=agency_code, dossier_code=row.dossier_code)
        if answered is None and (taken := session.scalar(select(Document.id).where(
                Document.batch_id == batch_id, Document.file_name == row.file))) is not None:
            # New bytes under a taken name: a re-scan nobody asked for; never a second record of one name.
            raise RejectedFile(row.file, QuarantineReason.NAME_TAKEN,
                               f"tệp cùng tên đã được tiếp nhận (hồ sơ #{taken}) với nội dung khác; muốn thay "
                               "bản quét, hãy «Yêu cầu quét lại» hồ sơ đó trên trang rà soát rồi chạy lại lô")
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
        if answered is not None:
            doc, request, matched_by = answered
            replace_scan(session, doc, request, matched_by=matched_by, batch_id=batch_id, file_name=row.file,
                         sha256=found.sha256, raw_key=key, content_type=found.content_type,
                         size_bytes=found.size_bytes, page_count=found.pages, manifest_pages=row.pages,
                         reasons=reasons, actor=actor)
            return doc.id, True
        doc = Document(
            batch_id=batch_id, file_name=row.file, sha256=found.sha256, content_type=found.content_type,
            size_bytes=found.size_bytes, page_count=found.pages, manifest_pages=row.pages, province=province,
            agency_code=agency_code, document_type=row.document_type or document_type,
            dossier_code=row.dossier_code, status=DocumentStatus.RECEIVED, raw_key=key, review_reasons=reasons,
        )
        if replaced is not None:
            # Re-digitising a paper that has a signed result: the supersede path, not a duplicate. The
            # new record goes through review and, once signed, replaces that result (Art. 15).
            earlier = session.get_one(Document, replaced.document_id)
            doc.replaces_result_id = replaced.id
            doc.dossier_code = doc.dossier_code or earlier.dossier_code
            doc.dossier_provisional = doc.dossier_code == earlier.dossier_code and earlier.dossier_provisional
            doc.review_reasons = [*reasons, redigitised_reason(replaced.result_code)]
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


def _signed_result_of(session: Any, documents: Sequence[Document]) -> Result | None:
    """The valid, current signed result of the earlier records of the same file, if one has one."""
    for doc in documents:
        result = current_result(session, doc.id)
        if result is not None and result.state is ResultState.VALID:
            return result
    return None


def _quarantine(rejected: RejectedFile, batch_dir: Path, on_disk: dict[str, str], batch_id: int,
                store: ObjectStore, actor: str) -> None:
    with session_scope() as session:
        existing = session.scalar(select(QuarantineEntry).where(
            QuarantineEntry.batch_id == batch_id, QuarantineEntry.file_name == rejected.file_name))
        if existing is not None:
            return  # re-run: already quarantined
        bucket = store.bucket("quarantine")
        reason = {"file": rejected.file_name, "reason_code": str(rejected.reason_code), "reason": str(rejected),
                  "batch_id": batch_id, "at": datetime.now(UTC).isoformat()}
        data = None
        source = _on_disk(batch_dir, rejected.file_name, on_disk).resolve()
        # Only bytes from inside the batch folder are copied; others are recorded by reason only.
        if rejected.reason_code not in (QuarantineReason.OUTSIDE_BATCH, QuarantineReason.MISSING_FILE) \
                and source.is_relative_to(batch_dir) and source.is_file():
            try:
                data = source.read_bytes()
            except OSError as exc:
                reason["unreadable"] = f"{type(exc).__name__}: {exc}"
        # Keyed by content, never by a folded name: `Hỏng.pdf` and `hong.pdf` cannot share a key, and
        # the same bytes quarantined twice are one object. The name is in metadata and the reason file.
        sha = hashlib.sha256(data).hexdigest() if data is not None else None
        name_sha = hashlib.sha256(nfc(rejected.file_name).encode()).hexdigest()
        key = keys.quarantine_key(batch_id, sha or name_sha, has_bytes=data is not None)
        if data is not None:
            store.put_bytes(bucket, key, data, metadata={"reason-code": str(rejected.reason_code),
                                                         "file-name": rejected.file_name})
        # One reason per name, even when two names carry the same bytes.
        store.put_bytes(bucket, f"{key}.{name_sha[:16]}.reason.json", json.dumps(reason, ensure_ascii=False, indent=1).encode(),
                        content_type="application/json",
                        metadata={"reason-code": str(rejected.reason_code), "file-name": rejected.file_name})
        session.add(QuarantineEntry(batch_id=batch_id, file_name=rejected.file_name, sha256=sha,
                                    reason_code=str(rejected.reason_code), reason=str(rejected), object_key=key))
        session.add(AuditEntry(actor=actor, action="quarantine", entity="file", entity_id=rejected.file_name,
                               detail=reason))
