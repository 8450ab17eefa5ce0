"""The archive's catalogue from the results database: approved records in, `ocr.catalogue.Catalogue` out.

Rebuilt from the approved records on demand, never kept as a second copy. Why not a table kept up
to date on each approval: a record leaves approval again (a steward corrects an approved record, a
rejection), a correction changes a value after approval; a copy maintained by hooks in every one of
those paths drifts from the records, a query over the records cannot. It stays fast because it is
one query per extraction batch and province (not per document), reading six fields of each approved
record through the `fields(document_id)` index, and the result is cached until something new is
approved or corrected (the watermark: the count of approved records, the last field change and the
last review decision). Measured on SQLite: see docs/ocr.md ("Learning from the archive").

The steward's word wins: a corrected field has `source="steward"` and its corrected value is what
the catalogue learns. A repair made by the catalogue itself is recorded as a field change by
CATALOGUE_ACTOR (Art. 12.3: who, when, the value read and the value put in its place).
"""

from __future__ import annotations

from collections.abc import Iterable
from threading import Lock

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ocr.catalogue import ApprovedRecord, Catalogue, repairs
from ocr.fields import Extraction
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, FieldChange
from storage.review_models import ReviewDecision

CATALOGUE_ACTOR = "sohoa-catalogue"
# Records that passed review or the rules and may be (or were) signed: the archive's approved past.
APPROVED = (DocumentStatus.APPROVED, DocumentStatus.SIGNED, DocumentStatus.STORED, DocumentStatus.SYNCED)
_FIELDS = ("issuing_authority", "signer_name", "signer_title", "document_number", "issue_date", "signer_authority")

_cache: dict[tuple[str | None, frozenset[str]], tuple[tuple[int, int, int], Catalogue]] = {}
_lock = Lock()


def approved_records(s: Session, provinces: Iterable[str] | None = None) -> list[ApprovedRecord]:
    """One row per approved record: its catalogue fields pivoted in the database."""
    cols = [func.max(case((Field.name == n, Field.value))).label(n) for n in _FIELDS]
    q = (select(Document.province, *cols).join(Field, Field.document_id == Document.id)
         .where(Document.status.in_([str(x) for x in APPROVED]), Field.name.in_(_FIELDS))
         .group_by(Document.id, Document.province))
    if provinces is not None:
        q = q.where(Document.province.in_(list(provinces)))
    return [ApprovedRecord(province=row[0], **{n: row[i + 1] for i, n in enumerate(_FIELDS)}) for row in s.execute(q)]


def _watermark(s: Session) -> tuple[int, int, int]:
    approved = s.scalar(select(func.count()).select_from(Document)
                        .where(Document.status.in_([str(x) for x in APPROVED]))) or 0
    change = s.scalar(select(func.max(FieldChange.id))) or 0
    decision = s.scalar(select(func.max(ReviewDecision.id))) or 0
    return approved, change, decision


def archive_catalogue(provinces: Iterable[str] | None = None, *, db_url: str | None = None) -> Catalogue:
    """The catalogue of these provinces' approved records (all provinces: None), cached per database
    until a record is approved, corrected or decided on."""
    key = (db_url, frozenset(provinces) if provinces is not None else frozenset({"*"}))
    with session_scope(db_url) as s:
        mark = _watermark(s)
        with _lock:
            hit = _cache.get(key)
            if hit and hit[0] == mark:
                return hit[1]
        catalogue = Catalogue.from_records(approved_records(s, provinces))
    with _lock:
        _cache[key] = (mark, catalogue)
    return catalogue


def record_repairs(s: Session, document_id: int, extraction: Extraction) -> list[str]:
    """Keep each catalogue repair in the record's history (once, however often extraction re-runs)."""
    done = []
    stewarded = set(s.scalars(select(Field.name).where(Field.document_id == document_id, Field.source == "steward")))
    for name, (read, fixed) in repairs(extraction).items():
        if name in stewarded:
            continue  # the pipeline kept the steward's value: nothing was repaired
        seen = s.scalar(select(FieldChange.id).where(
            FieldChange.document_id == document_id, FieldChange.field_name == name, FieldChange.old_value == read,
            FieldChange.new_value == fixed, FieldChange.changed_by == CATALOGUE_ACTOR))
        if seen is None:
            s.add(FieldChange(document_id=document_id, field_name=name, old_value=read, new_value=fixed,
                              changed_by=CATALOGUE_ACTOR))
        done.append(name)
    return done
