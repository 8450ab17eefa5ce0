"""Fixity audit: re-read every stored result and compare its SHA-256 with the DB (Art. 14.3.c)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from sohoa.config import Settings, get_settings
from storage.db import session_scope
from storage.models import AuditEntry, Result
from storage.objects import ChecksumMismatch, ObjectStore

log = logging.getLogger(__name__)


def audit_results(settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    checked, mismatches, missing = 0, [], []
    with session_scope() as s:
        rows = [(r.result_code, r.stored_bucket, r.stored_key, r.signed_sha256, r.fields_key, r.fields_sha256)
                for r in s.scalars(select(Result).where(Result.stored_key.is_not(None)))]
    for code, bucket, key, sha, fields_key, fields_sha in rows:
        for obj_key, want in ((key, sha), (fields_key, fields_sha)):
            if not obj_key:
                continue
            checked += 1
            try:
                store.get_bytes(bucket, obj_key, expected_sha256=want)
            except ChecksumMismatch as exc:
                mismatches.append({"result_code": code, "key": obj_key, "detail": str(exc)})
            except Exception as exc:  # missing object
                missing.append({"result_code": code, "key": obj_key, "detail": str(exc)})
    report = {"at": datetime.now(UTC).isoformat(), "checked": checked,
              "mismatches": mismatches + missing}
    with session_scope() as s:
        s.add(AuditEntry(actor="fixity-audit", action="fixity", entity="results", entity_id="*",
                         detail={"checked": checked, "problems": len(report["mismatches"])}))
    return report
