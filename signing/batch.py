"""The sign stage's door: the approved records of a batch signed by whoever converted them (each
agency's own key and name), with the conversion marker, as PAdES PDFs staged in the work bucket.

Nothing unreviewed is signed: only APPROVED records (and those signing failed on before). A record
whose paper expired since approval goes back to a steward instead (Art. 25.1). Idempotent: a record
that has its Result already is only marked signed.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crashpoints import crash_point
from core.settings import Settings, get_settings
from storage import keys
from storage.db import session_scope
from storage.documents import StageRun, pipeline_actor, progress, stage_todo, transition
from storage.models import AuditEntry, Document, DocumentStatus, Field, Result
from storage.objects import ObjectStore
from storage.records import current_result, link_new_version, next_result_code, withheld_fields


def result_code(session: Session, doc: Document) -> str:
    """Art. 14.3.d: `<mã hồ sơ>-KQ<n>`, n in the order of signing (storage.records.next_result_code)."""
    return next_result_code(session, doc.dossier_code or "")


def sign_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None, *,
               document_ids: Collection[int] | None = None) -> dict[str, Any]:
    """Sign approved documents only (nothing unreviewed is signed); only those of `document_ids` (one
    chunk) when given."""
    import signing

    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    todo = stage_todo(batch_id, "sign", DocumentStatus.APPROVED, only=document_ids)
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
        progress("sign", index, len(todo), doc.file_name)
        with run.document(doc):
            key, converter = identities.for_agency(doc.agency_code)
            signed += _sign_one(doc, key, converter, now, options, settings, store)
    return {"batch_id": batch_id, "signed": signed, "failed": run.failed}


def scan_images(raw: bytes, settings: Settings) -> tuple[list[Any], list[int]]:
    """The pages to sign and their resolutions: the scan's own JPEGs when it is one JPEG a page
    (ocr.scan_jpegs: no second rasterising, no second lossy pass), else the pages as OCR loads them."""
    import ocr
    from ocr.scan_jpegs import scan_jpegs

    jpegs = scan_jpegs(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi)
    if jpegs is not None:
        return [p.jpeg for p in jpegs], [p.dpi for p in jpegs]
    pages = ocr.load_pages(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi)
    return [p.image for p in pages], [p.dpi for p in pages]


def _sign_one(doc: Document, key: Any, converter: str, now: datetime, options: Any, settings: Settings,
              store: ObjectStore) -> bool:
    """True when this call signed the document (not when it was signed before or went back to review)."""
    import ocr
    import signing
    from review.service import return_to_review, signing_terms

    with session_scope() as s:
        current = current_result(s, doc.id)
        replaces = s.get_one(Document, doc.id).replaces_result_id  # correction, re-digitisation, re-key
        if current is not None and replaces != current.id:
            transition(s, s.get_one(Document, doc.id), DocumentStatus.SIGNED, actor=pipeline_actor(), stage="sign")
            return False
        replaced_code = s.get_one(Result, replaces).result_code if replaces is not None else None
    terms = signing_terms(doc.id)  # Art. 25.1, judged on the day of signing
    if not terms.may_sign:  # expired since approval: back to a steward, never signed as valid
        return_to_review(doc.id)
        return False
    with session_scope() as s:
        code = result_code(s, doc)
        # A doubtful optional field of a record the rules approved is left out, with its reason: the
        # signature asserts only values that passed (schemas.document_types.WITHHELD_RULE).
        withheld = withheld_fields(s, doc.id)
        fields = {f.name: None if f.name in withheld else f.value
                  for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
    raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
    images, dpis = scan_images(raw, settings)
    ocr_text: list[Any] | None = None
    if doc.ocr_key:
        # Word boxes, not just rows: the signed copy's invisible text lines up with the scan (method a).
        ocr_doc = ocr.OcrResult.from_dict(json.loads(store.get_bytes(store.bucket("work"), doc.ocr_key)))
        ocr_text = list(ocr_doc.pages) if len(ocr_doc.pages) == len(images) else None
    marker = signing.ConversionMarker(converter=converter, converted_at=now, result_code=code,
                                      lookup_url=f"{settings.lookup_base()}/{code}", supersedes=replaced_code)
    record: dict[str, Any] = {"result_code": code, "document_type": doc.document_type, "fields": fields}
    if withheld:
        record["withheld"] = withheld  # name -> why it is empty (not: the paper has none)
    if replaced_code:
        record["supersedes"] = replaced_code  # the fields.json of a new version names the one it replaces
    payload = json.dumps(record, ensure_ascii=False, indent=1).encode()
    # Archive only (method a): the scan, no structured data presented as a valid result's content.
    attachments = {} if terms.archive_only else {"fields.json": payload}
    outcome = signing.sign_result(images, marker, key, dpi=dpis,
                                  text_layers=ocr_text, attachments=attachments, options=options)
    work = keys.work_key(doc.id, "signed.pdf")
    store.put_bytes(store.bucket("work"), work, outcome.pdf, content_type="application/pdf")
    crash_point("sign.after_work_put")
    with session_scope() as s:
        new = Result(document_id=doc.id, result_code=code, converter=converter,
                     converted_at=now, signer=outcome.signer, work_key=work, signed_sha256=outcome.sha256,
                     still_valid=terms.still_valid)
        s.add(new)
        if replaces is not None:  # supersede, don't overwrite: both rows kept, linked both ways
            link_new_version(s, new, replaces, now, pipeline_actor())
        d = s.get_one(Document, doc.id)
        d.replaces_result_id = None
        transition(s, d, DocumentStatus.SIGNED, actor=pipeline_actor(), stage="sign")
        s.add(AuditEntry(actor=pipeline_actor(), action="sign", entity="result", entity_id=code,
                         detail={"sha256": outcome.sha256, "signer": outcome.signer,
                                 "level": str(outcome.level), "revocation": str(outcome.revocation)}))
    return True
