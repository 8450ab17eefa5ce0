"""Fixity audit (Art. 14.3.c, Art. 17): stored objects re-read and compared with the DB."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import Settings, reset_settings
from storage.db import session_scope
from storage.fixity import audit_results
from storage.models import AuditEntry, Document, FixityFinding
from storage.objects import ObjectStore

pytestmark = pytest.mark.integration


def test_rule8_fixity_audit_reports_corrupted_and_missing_objects(sohoa_env: Settings, stored_result, capsys) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    store = ObjectStore(sohoa_env)
    _good, bad = stored_result(sohoa_env, store), stored_result(sohoa_env, store)
    clean = audit_results(sohoa_env, store, actor="Trần Văn Bảo")
    assert clean["checked"] == 6 and clean["problems"] == []  # 2 × (PDF, JSON, scan)
    with session_scope(sohoa_env.db_url) as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity"))
        assert entry.actor == "Trần Văn Bảo"  # who ran it, not a constant

    # bit rot in a scan: the bytes change, the checksum in metadata does not
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, bad.document_id)
        raw_key, raw_sha = doc.raw_key, doc.sha256
    store.client.put_object(store.bucket("raw"), raw_key, io.BytesIO(b"rotten"), 6, metadata={"sha256": raw_sha})
    # someone overwrote a stored result's data in the results bucket (a new version on top of the locked one)
    store.client.put_object(bad.bucket, bad.fields_key, io.BytesIO(b'{"forged": true}'), 16)
    # and a result PDF vanished from view (a delete marker hides the locked version)
    store.client.remove_object(bad.bucket, bad.pdf_key)

    report = audit_results(sohoa_env, store)
    problems = {(p["entity"], p["problem"]) for p in report["problems"]}
    # results and scans are read from their locked originals, which are intact: what stands on top is the finding
    assert problems == {("raw_scan", "covered"), ("result_fields", "covered"), ("result", "covered")}
    assert all(p["entity_id"] in (bad.result_code, str(bad.document_id)) for p in report["problems"])
    fields = next(p for p in report["problems"] if p["entity"] == "result_fields")
    assert fields["expected_sha256"] != fields["actual_sha256"] and fields["actual_sha256"]

    with session_scope(sohoa_env.db_url) as s:
        findings = list(s.scalars(select(FixityFinding).where(FixityFinding.audit_id == report["audit_id"])))
        assert len(findings) == 3 and {f.key for f in findings} == {raw_key, bad.fields_key, bad.pdf_key}
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity").order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.detail["problems"] == 3
    key = report["report"].split("/", 3)[3]
    stored = json.loads(store.get_bytes(store.bucket("reports"), key))
    assert stored["audit_id"] == report["audit_id"] and len(stored["problems"]) == 3

    # the locked originals are still there: the audit tells what to restore from
    versions = store.list_versions(bad.bucket, bad.fields_key)
    assert len(versions) == 2

    assert main(["fixity"]) == 3
    assert "sai lệch: 3" in capsys.readouterr().out


def _flip_one_byte_on_disk(data_dir: Path, marker: bytes) -> Path:
    """Bit rot inside the object store itself: one byte of a volume file changes under SeaweedFS."""
    for volume in sorted(data_dir.rglob("*.dat")):
        with volume.open("r+b") as fh:
            blob = fh.read()
            at = blob.find(marker)
            if at >= 0:
                fh.seek(at + len(marker) // 2)
                fh.write(bytes([blob[at + len(marker) // 2] ^ 0xFF]))
                return volume
    raise AssertionError("the object's bytes were not found in any volume file")


def test_rule8_fixity_records_an_object_the_store_cannot_read_and_finishes(  # type: ignore[no-untyped-def]
        sohoa_env: Settings, stored_result, s3_server, capsys, monkeypatch) -> None:
    from sohoa.cli import main

    store = ObjectStore(sohoa_env.model_copy(update={"s3_max_attempts": 1}))
    first, second = stored_result(sohoa_env, store), stored_result(sohoa_env, store)
    # The first scan gets bytes found nowhere else, recorded in the DB, and never read back (no cache).
    rotten = os.urandom(256 * 1024)
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, first.document_id)
        doc.sha256 = hashlib.sha256(rotten).hexdigest()
        # the raw bucket is locked (a version on top would leave the original readable): a scan of its own
        raw_key = doc.raw_key = doc.raw_key + ".rotten"
    store.client.put_object(store.bucket("raw"), raw_key, io.BytesIO(rotten), len(rotten),
                            metadata={"sha256": hashlib.sha256(rotten).hexdigest()})
    _flip_one_byte_on_disk(s3_server.data_dir, rotten[100_000:100_064])

    report = audit_results(sohoa_env, store)
    assert report["checked"] == 6  # the audit went on past the unreadable object
    found = [(p["entity"], p["entity_id"], p["problem"]) for p in report["problems"]]
    assert len(found) == 1, report["problems"]
    entity, entity_id, problem = found[0]
    assert (entity, entity_id) == ("raw_scan", str(first.document_id))
    # SeaweedFS answers the CRC failure with a 500 for this object only, every other request succeeds
    assert problem == "unreadable" and "InternalError" in report["problems"][0]["detail"]
    with session_scope(sohoa_env.db_url) as s:
        findings = list(s.scalars(select(FixityFinding).where(FixityFinding.audit_id == report["audit_id"])))
    assert [f.key for f in findings] == [raw_key]
    del second
    monkeypatch.setenv("SOHOA_S3_MAX_ATTEMPTS", "1")  # each read of the damaged object takes SeaweedFS ~15 s
    reset_settings()
    assert main(["fixity"]) == 3  # findings, not "service unavailable"
    assert "sai lệch: 1" in capsys.readouterr().out
