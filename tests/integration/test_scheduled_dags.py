"""The four scheduled DAGs run for real (`airflow dags test`, the session's migrated Airflow DB) against
the shared S3 server, a results DB per test, real PAdES signing and the reference warehouse receiver:
sign_reviewed signs what stewards approved, sync_citizen_warehouse delivers it, fixity_audit records
its audit (and fails on a changed object), roadmap_report writes every province's report."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import Settings
from review.service import revalidate_document
from storage import models
from storage.db import session_scope
from storage.models import AuditEntry, Document, DocumentStatus, Field, FixityFinding, OutboxEvent, Result
from storage.objects import ObjectStore
from testing import storage as testing

pytestmark = pytest.mark.integration

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


def _states(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Task id (with map index) -> final state of one DAG run."""
    return {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}


def _warehouse(settings: Settings) -> dict[str, str]:
    """What the reference receiver holds: result code -> checksum."""
    with sqlite3.connect(settings.home / "warehouse" / "warehouse.sqlite3") as db:
        return dict(db.execute("SELECT result_code, checksum_sha256 FROM results").fetchall())


def test_sign_reviewed_signs_approved_records_and_sync_delivers_them(pipeline_env, run_dag, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch) -> None:
    """Two records out of review: one approved, one still doubtful. Only the approved one is signed,
    stored and then delivered to the warehouse. The audit names the run's person, never a constant."""
    from core.actors import run_actor
    from intake import intake_batch

    monkeypatch.setenv("SOHOA_ACTOR", "người chạy trước")  # restored after: the DAG tasks set it for their run
    from samples import generate_batch
    from signing import SignatureStatus, verify_pdf

    settings, pki = pipeline_env
    samples = generate_batch(tmp_path / "batch", count=2, seed=7, formats=("png",), damages=("light",))
    batch_id = intake_batch(tmp_path / "batch", province=PROVINCE, agency_code=AGENCY).batch_id
    truth = {s.file_name: s.truth["fields"] for s in samples}
    with session_scope() as s:  # what extraction gives: the second record with a doubtful name
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        for i, doc in enumerate(docs):
            for name, value in truth[doc.file_name].items():
                if value is not None:
                    s.add(Field(document_id=doc.id, name=name, value=value,
                                confidence=0.4 if i and name == "holder_name" else 0.97))
            doc.status = DocumentStatus.EXTRACTED
            s.flush()
            revalidate_document(s, doc)
        approved, doubtful = (d.id for d in docs)
        assert [d.status for d in docs] == [DocumentStatus.APPROVED, DocumentStatus.NEEDS_REVIEW]

    run = run_dag("sign_reviewed")
    assert run.state == "success", _states(run)
    assert _states(run) == {"batches_with_approved[-1]": "success", "release[0]": "success"}  # one batch
    with session_scope() as s:
        (result,) = s.scalars(select(Result))
        assert result.document_id == approved and result.stored_key and result.fields_key
        assert s.get_one(Document, approved).status == DocumentStatus.STORED
        assert s.get_one(Document, doubtful).status == DocumentStatus.NEEDS_REVIEW  # partial release
        (event,) = s.scalars(select(OutboxEvent))
        assert (event.kind, event.status) == ("push", "pending")  # delivering is sync_citizen_warehouse's job
        signatures = list(s.scalars(select(models.Signature).where(models.Signature.result_id == result.id)))
    assert len(signatures) == 1
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(ObjectStore(settings).get_bytes(result.stored_bucket, result.stored_key,
                                                    expected_sha256=result.signed_sha256))
    report = verify_pdf(pdf, trust_roots=[pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert _warehouse(settings) == {}
    with session_scope() as s:
        signed = [a.actor for a in s.scalars(select(AuditEntry)) if a.action in ("sign", "status")
                  and (a.action == "sign" or (a.detail or {}).get("stage") in ("sign", "store"))]
    # `dag.test()` triggers as the user "dag_test": the run's person, not the one set before it
    assert signed and set(signed) == {run_actor(run)} == {"dag_test"}

    run = run_dag("sync_citizen_warehouse")
    assert run.state == "success", _states(run)
    assert _warehouse(settings) == {result.result_code: result.signed_sha256}
    with session_scope() as s:
        assert s.get_one(OutboxEvent, event.id).status == "delivered"
        receipts = list(s.scalars(select(models.SyncReceipt)))
        assert [(r.result_code, r.kind, r.outcome) for r in receipts] == [(result.result_code, "push", "delivered")]
        assert s.get_one(Document, approved).status == DocumentStatus.SYNCED
        synced = [a.actor for a in s.scalars(select(AuditEntry)) if a.action == "status" and a.detail.get("to") == "synced"]
    assert synced == [run_actor(run)]


def test_fixity_audit_records_each_run_and_fails_on_a_changed_object(sohoa_env, run_dag, test_pki, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.actors import run_actor
    from signing import KeySource

    monkeypatch.delenv("SOHOA_ACTOR", raising=False)  # restored after: the DAG task sets it for its run

    settings: Settings = sohoa_env
    store = ObjectStore(settings)
    key = KeySource.from_pkcs12(test_pki.agency_p12, test_pki.password)
    stored = [testing.store_signed_result(settings, store, testing.signed_pdf(key, f"Quyết định {n}"),
                                          dossier_code=f"{AGENCY}-200512-{n:04d}") for n in (1, 2)]

    run = run_dag("fixity_audit")
    assert run.state == "success", _states(run)
    with session_scope() as s:
        (audit,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity"))
        assert s.scalars(select(FixityFinding)).first() is None
    # per result: the signed PDF, its structured-data JSON and the original scan
    assert audit.detail["checked"] == 3 * len(stored) and audit.detail["problems"] == 0
    assert audit.actor == run_actor(run) and audit.actor != "fixity-audit"  # the run's person, not a constant
    bucket, _, report_key = audit.detail["report"].removeprefix("s3://").partition("/")
    report = json.loads(store.get_bytes(bucket, report_key))
    assert report["audit_id"] == audit.entity_id and report["problems"] == []

    # an original scan written over behind the system's back (a new version on top of the locked one):
    # the audit finds it and the run fails
    with session_scope() as s:
        raw_key = s.get_one(Document, stored[1].document_id).raw_key
    store.put_version(store.bucket("raw"), raw_key, b"not the scan that was signed", content_type="image/png")
    run = run_dag("fixity_audit")
    assert _states(run) == {"audit[-1]": "failed"}, "a fixity problem must fail the run"
    with session_scope() as s:
        (finding,) = s.scalars(select(FixityFinding))
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity").order_by(AuditEntry.id)))
    assert (finding.entity, finding.entity_id, finding.key, finding.problem) == (
        "raw_scan", str(stored[1].document_id), raw_key, "covered")
    assert len(audits) == 2 and audits[1].detail["problems"] == 1 and finding.audit_id == audits[1].entity_id


def test_roadmap_report_writes_every_provinces_report(sohoa_env, run_dag, test_pki) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from core import units
    from roadmap.progress import report_period
    from roadmap.report import report_key
    from signing import KeySource

    settings: Settings = sohoa_env
    store = ObjectStore(settings)
    key = KeySource.from_pkcs12(test_pki.agency_p12, test_pki.password)
    for n in (1, 2, 3):  # three results digitised in Khánh Hòa
        testing.store_signed_result(settings, store, testing.signed_pdf(key, f"Quyết định {n}"),
                                    dossier_code=f"{AGENCY}-200512-{n:04d}")
    period = report_period(datetime.now(UTC))

    run = run_dag("roadmap_report")
    assert run.state == "success", _states(run)
    assert sorted(k for k in _states(run) if k.startswith("publish[")) == sorted(f"publish[{i}]" for i in range(34))
    bucket = store.bucket("reports")
    written = {o.object_name for o in store.client.list_objects(bucket, prefix=f"roadmap/{period}/", recursive=True)}
    expected = {report_key(p.code, period, fmt) for p in units.new_provinces() for fmt in ("xlsx", "pdf")}
    assert len(expected) == 68 and written == expected
    khanh_hoa = units.province_2025(PROVINCE).code
    pdf = store.get_bytes(bucket, report_key(khanh_hoa, period, "pdf"))
    assert pdf.startswith(b"%PDF")
    sheet = load_workbook(io.BytesIO(store.get_bytes(bucket, report_key(khanh_hoa, period, "xlsx")))).active
    cells = {str(row[0]): str(row[1]) for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert cells["Đã số hóa (đã ký số và lưu trữ)"] == "3"  # a numeric cell
