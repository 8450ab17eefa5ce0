"""digitise_batch through a real Airflow run (`airflow dags test`) against the real local S3
server, the real results DB, real Tesseract, real PAdES signatures checked by pyHanko and pdfsig,
and the reference warehouse receiver over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.settings import Settings
from sohoa import services
from storage import models
from storage.db import session_scope
from storage.objects import ObjectStore

pytestmark = pytest.mark.integration


def _airflow_dags_test(env: dict[str, str], conf: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line `make demo` uses, so this path stays covered too."""
    return subprocess.run([services.airflow_bin(), "dags", "test", "digitise_batch", "-c", json.dumps(conf)],
                          env=env, capture_output=True, text=True, timeout=900)


def _snapshot(settings: Settings) -> dict[str, object]:
    with session_scope() as s:
        rows = {t.name: s.scalar(select(func.count()).select_from(t)) for t in models.Base.metadata.sorted_tables
                if t.name != "audit_log"}
    return {"rows": rows, "objects": ObjectStore(settings).count_objects()}


def test_digitise_batch_end_to_end_through_airflow(pipeline_env, airflow_cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from samples import generate_batch
    from signing import SignatureStatus, verify_pdf

    settings, pki = pipeline_env
    batch_dir = tmp_path / "batch"
    # A decision first (seed 3: signed at the default thresholds), then a household-business and a
    # marital-status certificate as PNG and JPEG (signed or sent to review, as read).
    samples = generate_batch(batch_dir, count=3, seed=3, formats=("png", "jpeg", "pdf"), damages=("light",),
                             document_types=("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh",
                                             "xac_nhan_tinh_trang_hon_nhan"))
    (batch_dir / "blank.pdf").write_bytes(b"")
    with (batch_dir / "manifest.csv").open("a", encoding="utf-8") as fh:
        fh.write("blank.pdf,,,,,\n")

    conf = {"province": "Khánh Hòa", "agency": "000.00.15.H34", "batch_location": str(batch_dir),
            "document_type": "auto"}
    # The DAG's wiring (intake, OCR, extract, validate, sign, store, sync, a second run idempotent) at
    # the default review thresholds: the decision goes down the signing branch.
    env = airflow_cli_env(settings)
    run = _airflow_dags_test(env, conf)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    with session_scope() as s:
        docs = list(s.scalars(select(models.Document)))
        results = list(s.scalars(select(models.Result)))
        quarantined = list(s.scalars(select(models.QuarantineEntry)))
        outbox = list(s.scalars(select(models.OutboxEvent)))
    assert len(docs) == len(samples)
    assert [q.reason_code for q in quarantined] == ["empty_file"]
    signed = [d for d in docs if d.status in ("stored", "synced")]
    assert signed, f"no document was approved and signed: {[(d.file_name, d.review_reasons) for d in docs]}"
    # nothing unreviewed is signed
    assert {r.document_id for r in results} == {d.id for d in signed}
    for r in results:
        assert r.result_code.endswith("-KQ1")
    assert {o.status for o in outbox} == {"delivered"} and len(outbox) == len(results)
    with session_scope() as s:  # every stage's step names who triggered the run (`airflow dags test`: dag_test)
        stage_actors = {a.actor for a in s.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "status"))}
    assert stage_actors == {"dag_test"}, stage_actors

    store = ObjectStore(settings)
    for r in results:
        pdf = store.get_bytes(r.stored_bucket, r.stored_key, expected_sha256=r.signed_sha256)
        path = tmp_path / f"{r.id}.pdf"
        path.write_bytes(pdf)
        report = verify_pdf(path, trust_roots=[pki.root_cert_pem])
        assert report.status is SignatureStatus.VALID, report
        assert {c.checker for c in report.checks} >= {"pyhanko", "pdfsig"}
        assert all(c.status is SignatureStatus.VALID for c in report.checks)
        assert any("chuyển đổi từ văn bản giấy" in line for line in report.marker_lines)
        record = json.loads(store.get_bytes(r.stored_bucket, r.fields_key))
        assert record["result_code"] == r.result_code

    # a second run creates no duplicate rows, objects or deliveries
    before = _snapshot(settings)
    again = _airflow_dags_test(env, conf)
    assert again.returncode == 0, again.stdout[-4000:]
    assert _snapshot(settings) == before
