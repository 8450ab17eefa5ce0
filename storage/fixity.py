"""Fixity audit: re-read every stored object and compare its SHA-256 with the DB (Art. 14.3.c, Art. 17).

Every problem it meets — missing, changed (`mismatch`), unreadable, `crc_failure` (the store
answers but cannot produce the object's bytes) — is recorded and the audit goes on; only a store
that answers nothing at all stops it (exit 6, retried later).

Covers the signed result PDFs, their structured-data JSON and the original scans. Each problem is
recorded in `fixity_findings` (append-only), the whole run as a JSON report in the reports bucket
(`fixity/<audit id>.json`) and as one audit-log entry, so an operator can see what drifted and when.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.actors import actor_name
from core.settings import Settings, get_settings
from storage.db import session_scope
from storage.models import AuditEntry, Document, FixityFinding, Result
from storage.objects import ChecksumMismatch, ObjectStore, StoreUnavailable, sha256_hex

log = logging.getLogger(__name__)


def _targets(settings: Settings, store: ObjectStore) -> Iterator[tuple[str, str, str, str, str]]:
    """(entity, entity id, bucket, key, expected SHA-256) for every object the DB vouches for."""
    with session_scope(settings.db_url) as s:
        for r in s.scalars(select(Result).where(Result.stored_key.is_not(None)).order_by(Result.id)):
            assert r.stored_bucket and r.stored_key
            yield "result", r.result_code, r.stored_bucket, r.stored_key, r.signed_sha256
            if r.fields_key and r.fields_sha256:
                yield "result_fields", r.result_code, r.stored_bucket, r.fields_key, r.fields_sha256
        raw = store.bucket("raw")
        for d in s.scalars(select(Document).order_by(Document.id)):
            yield "raw_scan", str(d.id), raw, d.raw_key, d.sha256


def _check(store: ObjectStore, bucket: str, key: str, want: str) -> tuple[str, str | None, str] | None:
    """None when intact, else (problem, actual SHA-256, detail).

    A result is read from its locked original version (what the record vouches for); anything written
    on top of it — a newer version, a delete marker — is itself a finding (`covered`): the original is
    intact, but a plain S3 read of the key would no longer give it."""
    locked = store.is_locked_bucket(bucket)
    actual: str | None
    try:
        data = (store.get_result if locked else store.get_bytes)(bucket, key, expected_sha256=want)
    except ChecksumMismatch as exc:
        try:  # read once more without checks, to record what is there now
            actual = sha256_hex(store.client.get_object(bucket, key).read())
        except Exception:
            actual = None
        return "mismatch", actual, str(exc)
    except StoreUnavailable as exc:
        # An unreachable store is no finding: the run fails and is retried. But a store that answers
        # every other request and keeps failing on this one object (a CRC error in a volume file, a
        # lost volume) is exactly what the audit is for: recorded, and the audit goes on.
        if not _store_answers(store):
            raise
        cause = f"{exc.__cause__}" if exc.__cause__ is not None else str(exc)
        problem = "crc_failure" if "crc" in cause.lower() else "unreadable"
        return problem, None, f"s3://{bucket}/{key}: {cause}"[:2000]
    except Exception as exc:
        code = getattr(exc, "code", "")
        problem = "missing" if code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket", "NotFound") else "unreadable"
        return problem, None, f"s3://{bucket}/{key}: {code or type(exc).__name__}: {exc}"[:2000]
    del data
    if locked:
        on_top = store.covered(bucket, key)
        if on_top:
            try:  # what a plain read of the key gives now, if anything
                actual = sha256_hex(store.client.get_object(bucket, key).read())
            except Exception:
                actual = None
            return "covered", actual, (f"s3://{bucket}/{key}: the locked original is intact, but written on top of it: "
                                     + ", ".join(on_top))[:2000]
    return None


def _store_answers(store: ObjectStore) -> bool:
    try:
        store.client.list_buckets()
    except Exception:
        return False
    return True


def audit_results(settings: Settings | None = None, store: ObjectStore | None = None, *,
                  actor: str | None = None) -> dict[str, Any]:
    """Run one fixity audit; returns the report (also written to the reports bucket). The audit entry
    names who ran it (`core.actors.actor_name`: the operator, or the DAG run's person)."""
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    audit_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
    started = datetime.now(UTC)
    checked, problems = 0, []
    for entity, entity_id, bucket, key, want in list(_targets(settings, store)):
        checked += 1
        outcome = _check(store, bucket, key, want)
        if outcome is None:
            continue
        problem, actual, detail = outcome
        log.error("fixity %s: %s %s s3://%s/%s: %s", audit_id, problem, entity, bucket, key, detail)
        problems.append({"entity": entity, "entity_id": entity_id, "bucket": bucket, "key": key,
                         "problem": problem, "expected_sha256": want, "actual_sha256": actual, "detail": detail})
    report = {"audit_id": audit_id, "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
              "checked": checked, "problems": problems,
              "mismatches": problems}  # older name, kept for the DAG and existing callers
    report_key = f"fixity/{audit_id}.json"
    store.put_bytes(store.bucket("reports"), report_key,
                    json.dumps(report, ensure_ascii=False, indent=1).encode(), content_type="application/json")
    report["report"] = f"s3://{store.bucket('reports')}/{report_key}"
    with session_scope(settings.db_url) as s:
        for p in problems:
            s.add(FixityFinding(audit_id=audit_id, entity=p["entity"], entity_id=p["entity_id"], bucket=p["bucket"],
                                key=p["key"], problem=p["problem"], expected_sha256=p["expected_sha256"],
                                actual_sha256=p["actual_sha256"], detail=p["detail"]))
        s.add(AuditEntry(actor=actor_name(actor), action="fixity", entity="objects", entity_id=audit_id,
                         detail={"checked": checked, "problems": len(problems), "report": report["report"]}))
    return report
