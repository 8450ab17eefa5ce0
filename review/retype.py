"""A steward names the record's document type (the desk's type selector): the record is read again
from its stored OCR as that type, validated again, and the change is kept in its history.

Also the one writer of extracted fields (`save_extraction`), shared with the extract stage: a value
a steward typed (source "steward") is never overwritten by a reading.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ocr.fields import Extraction
from review.catalogue import archive_catalogue, record_repairs
from review.service import ReviewError, _reviewable
from review.validate import rule_reason_prefixes, validate_document
from schemas import DOCUMENT_TYPES, get_document_type
from schemas.document_types import GENERAL_TYPE_CODE
from schemas.rules import Decision
from schemas.thresholds import Thresholds
from storage.db import session_scope
from storage.documents import refresh_min_confidence, transition
from storage.models import AuditEntry, Document, DocumentStatus, Field
from storage.review_models import ReviewAction, ReviewDecision

# Reasons validation wrote about the type itself ("not in the catalogue", "general document: a person
# confirms the type"): a steward who names the type has answered them.
TYPE_REASON_PREFIXES = ("loại giấy tờ «", "văn bản hành chính chung")


def save_extraction(s: Session, document_id: int, extraction: Extraction, *, drop_others: bool = False) -> None:
    """Write a reading's fields; a steward's value stays. With `drop_others`, fields the reading does
    not have (another type's) go too, unless a steward typed them."""
    existing = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == document_id))}
    for name, value in extraction.fields.items():
        row = existing.get(name)
        if row is not None and row.source == "steward":
            continue  # a steward's correction is never overwritten by a re-run
        row = row or Field(document_id=document_id, name=name)
        row.value, row.confidence, row.page = value.value, value.confidence, value.page
        row.bbox = list(value.bbox) if value.bbox else None
        s.add(row)
    if drop_others:
        s.execute(delete(Field).where(Field.document_id == document_id, Field.source != "steward",
                                      Field.name.not_in(list(extraction.fields))))
    record_repairs(s, document_id, extraction)
    refresh_min_confidence(s, s.get_one(Document, document_id))  # the queue's order follows the reading


def type_choices() -> list[tuple[str, str]]:
    """(code, Vietnamese name) of every known type, by name; the general document last."""
    named = sorted(((t.code, t.name_vi) for t in DOCUMENT_TYPES.values() if t.code != GENERAL_TYPE_CODE),
                   key=lambda item: item[1])
    general = DOCUMENT_TYPES.get(GENERAL_TYPE_CODE)
    return named + ([(general.code, general.name_vi)] if general else [])


def _name_vi(code: str) -> str:
    t = DOCUMENT_TYPES.get(code)
    return t.name_vi if t else f"«{code}» (ngoài danh mục)"


def change_document_type(document_id: int, new_type: str, actor: str, *, store: Any,
                         thresholds: Thresholds | None = None, db_url: str | None = None) -> Decision:
    """Make the record a `new_type` record: read again from its OCR (when there is one) as that type,
    validated again; it stays in review (a steward approves it); the change is in its history."""
    if new_type not in DOCUMENT_TYPES:
        raise ReviewError(f"loại giấy tờ «{new_type}» không có trong danh mục", "unknown_type")
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        old_type, ocr_key, province = doc.document_type, doc.ocr_key, doc.province
    if new_type == old_type:
        raise ReviewError(f"hồ sơ đã là loại «{_name_vi(new_type)}»", "same_type")
    extraction = None
    if ocr_key:  # the page's words as recognised: read again, no new OCR
        import ocr

        result = ocr.OcrResult.from_dict(json.loads(store.get_bytes(store.bucket("work"), ocr_key)))
        extraction = ocr.read_fields(result, new_type, catalogue=archive_catalogue({province}, db_url=db_url),
                                     province=province)
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        if extraction is not None:
            save_extraction(s, doc.id, extraction, drop_others=True)
        try:
            old_prefixes = rule_reason_prefixes(get_document_type(old_type))
        except KeyError:
            old_prefixes = ()
        # The old type's rule messages and its type reasons go; flags of other stages stay.
        doc.review_reasons = [r for r in doc.review_reasons
                              if not (isinstance(r, str) and r.startswith(old_prefixes + TYPE_REASON_PREFIXES))]
        doc.document_type = new_type
        if doc.status in (DocumentStatus.APPROVED, DocumentStatus.REJECTED):
            # a record of another type is approved again, explicitly
            transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor=actor)
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.CHANGE_TYPE, actor=actor,
                             reason=f"{_name_vi(old_type)} → {_name_vi(new_type)}"))
        s.add(AuditEntry(actor=actor, action="change_type", entity="document", entity_id=str(doc.id),
                         detail={"from": old_type, "to": new_type, "read_again": extraction is not None}))
        s.flush()
        return validate_document(s, doc, thresholds=thresholds, keep_status=True, check_duplicates=True,
                                 actor=actor)
