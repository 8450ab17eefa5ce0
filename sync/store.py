"""The store stage's door: a signed result kept for good — the PDF and its record (JSON) in the
results bucket, its signatures in the system of record, and, in the same transaction, the push
event of the transactional outbox (`sync.outbox.enqueue_push`). It lives beside the outbox because
that transaction is what makes the warehouse learn of every stored result exactly once.

Idempotent: a re-run rewrites nothing that is stored (same bytes, same keys) and queues no second push.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC
from typing import Any

from sqlalchemy import select

from core.crashpoints import crash_point
from core.settings import Settings, get_settings
from storage import keys
from storage.db import session_scope
from storage.documents import StageRun, pipeline_actor, stage_todo, transition
from storage.models import Document, DocumentStatus, Field, Result
from storage.objects import ObjectStore
from storage.records import latest_result, record_signatures, withheld_fields
from sync.outbox import enqueue_push


def store_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None, *,
                document_ids: Collection[int] | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    stored_keys = []
    run = StageRun("store", batch_id)
    for doc in stage_todo(batch_id, "store", DocumentStatus.SIGNED, DocumentStatus.STORED, DocumentStatus.SYNCED,
                          only=document_ids):
        with run.document(doc):
            stored_keys.append(_store_one(doc, store, settings))
    return {"batch_id": batch_id, "stored": len(stored_keys), "keys": stored_keys, "failed": run.failed}


def _store_one(doc: Document, store: ObjectStore, settings: Settings) -> str:
    with session_scope() as s:
        result = latest_result(s, doc.id)  # a corrected version is the document's latest result
        assert result is not None
        # As signed: a doubtful optional field left out of the signed data is empty here too, with its
        # reason (a record stored before there were any is byte-stable: no key added).
        withheld = withheld_fields(s, doc.id)
        fields = {f.name: {"value": None if f.name in withheld else f.value, "confidence": f.confidence,
                           "source": f.source, **({"withheld": withheld[f.name]} if f.name in withheld else {})}
                  for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
        code, work_key, signed_sha = result.result_code, result.work_key, result.signed_sha256
        converted_at, converter, result_id = result.converted_at, result.converter, result.id
        supersedes = s.get_one(Result, result.supersedes_id).result_code if result.supersedes_id else None
    # SQLite drops the offset, PostgreSQL keeps it: always UTC-aware, so the stored JSON is byte-stable.
    converted_at = converted_at.replace(tzinfo=UTC) if converted_at.tzinfo is None else converted_at.astimezone(UTC)
    pdf = store.get_bytes(store.bucket("work"), work_key, expected_sha256=signed_sha)
    year = converted_at.year
    bucket = store.bucket("results")
    pdf_key = keys.result_key(doc.province, doc.agency_code, year, code, ".pdf")
    store.put_bytes(bucket, pdf_key, pdf, content_type="application/pdf",
                    metadata={"result-code": code, "converter": converter})
    record = {"result_code": code, "dossier_code": doc.dossier_code, "dossier_provisional": doc.dossier_provisional,
              **({"supersedes": supersedes} if supersedes else {}),  # older stored JSON stays byte-stable
              "document_type": doc.document_type, "province": doc.province, "agency_code": doc.agency_code,
              "source_file": doc.file_name, "source_sha256": doc.sha256, "signed_sha256": signed_sha,
              "converted_at": converted_at.isoformat(), "converter": converter, "fields": fields}
    record_bytes = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode()
    json_ref = store.put_bytes(bucket, keys.result_key(doc.province, doc.agency_code, year, code, ".json"),
                               record_bytes, content_type="application/json")
    crash_point("store.after_results_put")
    with session_scope() as s:
        result = s.get_one(Result, result_id)
        result.stored_bucket, result.stored_key = bucket, pdf_key
        result.fields_key, result.fields_sha256 = json_ref.key, json_ref.sha256
        record_signatures(s, result.id, pdf)  # Art. 25.3.b: signer, time, level, certificate
        # Transactional outbox: the event is written in the same transaction as the stored result.
        # A durable link and the file itself (attached on delivery), never a pre-signed store link.
        enqueue_push(s, settings, result, doc, fields, converted_at=converted_at)
        d = s.get_one(Document, doc.id)
        if d.status in (DocumentStatus.SIGNED, DocumentStatus.FAILED):
            transition(s, d, DocumentStatus.STORED, actor=pipeline_actor(), stage="store")
    crash_point("store.after_commit")
    return f"s3://{bucket}/{pdf_key}"
