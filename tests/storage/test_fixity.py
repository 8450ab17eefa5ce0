"""Fixity audit (Art. 14.3.c, Art. 17): stored objects re-read and compared with the DB."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from core.settings import Settings
from storage.db import session_scope
from storage.fixity import audit_results
from storage.models import AuditEntry, Document, FixityFinding
from storage.objects import ObjectStore

pytestmark = pytest.mark.integration


def test_rule8_fixity_audit_reports_corrupted_and_missing_objects(sohoa_env: Settings, stored_result, capsys) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    store = ObjectStore(sohoa_env)
    _good, bad = stored_result(sohoa_env, store), stored_result(sohoa_env, store)
    clean = audit_results(sohoa_env, store)
    assert clean["checked"] == 6 and clean["problems"] == []  # 2 × (PDF, JSON, scan)

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
    assert problems == {("raw_scan", "mismatch"), ("result_fields", "mismatch"), ("result", "missing")}
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
