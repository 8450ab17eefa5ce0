"""A steward's correction survives re-runs (Art. 12.3): the stages and `sohoa run` run again for the
batch after a correction made through the review service keep the corrected value, its source and
its history, duplicate nothing, and the record is signed with the steward's value once approved.

Real stages in-process: generated scan, intake, Tesseract, extraction, validation, PAdES signing,
the shared S3 server and the reference warehouse receiver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from sqlalchemy import func, select

from core.settings import Settings
from review import service
from sohoa import pipeline
from sohoa.cli import main
from storage import models
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, FieldChange, Result, RuleOutcome
from storage.objects import ObjectStore
from storage.review_models import ReviewDecision

pytestmark = pytest.mark.integration

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"
FIELD = "holder_id_number"


def _record(doc_id: int) -> dict[str, Any]:
    """Everything review keeps about one record, ids and times left out."""
    with session_scope() as s:
        doc = s.get_one(Document, doc_id)
        return {
            "status": doc.status,
            "reasons": list(doc.review_reasons),
            "fields": sorted((f.name, f.value, f.source, f.confidence) for f in
                             s.scalars(select(Field).where(Field.document_id == doc_id))),
            "changes": sorted((c.field_name, c.old_value, c.new_value, c.changed_by) for c in
                              s.scalars(select(FieldChange).where(FieldChange.document_id == doc_id))),
            "decisions": sorted((d.action, d.actor, d.reason) for d in
                                s.scalars(select(ReviewDecision).where(ReviewDecision.document_id == doc_id))),
            "outcomes": sorted((o.rule, o.field_name, o.passed) for o in
                               s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == doc_id))),
        }


def _rows() -> dict[str, int]:
    with session_scope() as s:
        return {t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in models.Base.metadata.sorted_tables if t.name != "audit_log"}


def _sohoa_run(batch_dir: Path) -> None:
    assert main(["run", str(batch_dir), "--province", PROVINCE, "--agency", AGENCY]) == 0


def _steward_field(doc_id: int) -> tuple[str | None, str, float]:
    with session_scope() as s:
        f = s.scalar(select(Field).where(Field.document_id == doc_id, Field.name == FIELD))
        assert f is not None
        return f.value, f.source, f.confidence


def test_a_correction_survives_rerunning_the_stages_and_is_what_gets_signed(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from samples import generate_batch

    settings: Settings = pipeline_env[0]
    batch_dir = tmp_path / "batch"
    # one scan whose CCCD carries a wrong province code: the rules send it to a steward
    (sample,) = generate_batch(batch_dir, count=1, seed=11, formats=("png",), damages=("light",),
                               document_types=("xac_nhan_tinh_trang_hon_nhan",), errors={0: ("cccd_province",)})
    (injected,) = sample.truth["injected_errors"]
    assert injected["field"] == FIELD
    true_value = injected["original"]
    _sohoa_run(batch_dir)
    with session_scope() as s:
        (doc,) = s.scalars(select(Document))
        doc_id, batch_id, status = doc.id, doc.batch_id, doc.status
        ocr_value = s.scalar(select(Field.value).where(Field.document_id == doc_id, Field.name == FIELD))
        assert s.scalar(select(func.count()).select_from(Result)) == 0
    assert status == DocumentStatus.NEEDS_REVIEW and ocr_value != true_value

    correction = service.correct_fields(doc_id, {FIELD: true_value}, "lan")
    assert correction.changed == (FIELD,)
    corrected = _record(doc_id)
    assert corrected["status"] == DocumentStatus.NEEDS_REVIEW
    assert (FIELD, true_value, "steward", 1.0) in corrected["fields"]
    assert corrected["changes"] == [(FIELD, ocr_value, true_value, "lan")]
    rows = _rows()

    # 1. every stage again, one by one, then the whole `sohoa run`: nothing moves
    for stage in (pipeline.ocr_batch, pipeline.extract_batch, pipeline.validate_batch, pipeline.sign_batch,
                  pipeline.store_batch, pipeline.sync_batch):
        stage(batch_id)
        assert _record(doc_id) == corrected, stage.__name__
    _sohoa_run(batch_dir)
    assert _record(doc_id) == corrected
    assert _rows() == rows  # no duplicate rows anywhere, and nothing unreviewed was signed

    # 2. extraction re-run on the record itself (an operator re-queues it, e.g. after an extractor
    #    upgrade): the OCR reading is written again, the steward's value is not touched
    with session_scope() as s:
        s.get_one(Document, doc_id).status = DocumentStatus.OCR_DONE
    pipeline.extract_batch(batch_id)
    assert _steward_field(doc_id) == (true_value, "steward", 1.0)
    pipeline.validate_batch(batch_id)
    again = _record(doc_id)
    assert (FIELD, true_value, "steward", 1.0) in again["fields"]
    assert again["changes"] == corrected["changes"] and again["decisions"] == corrected["decisions"]
    assert again["fields"] == corrected["fields"] and again["outcomes"] == corrected["outcomes"]
    assert _rows() == rows
    with session_scope() as s:  # whatever the rules say now, it goes back to the steward's desk
        s.get_one(Document, doc_id).status = DocumentStatus.NEEDS_REVIEW

    # 3. approved, then the pipeline again: signed and stored with the steward's value, once
    service.approve_document(doc_id, "lan", note="đã đối chiếu bản giấy")
    _sohoa_run(batch_dir)
    _sohoa_run(batch_dir)
    with session_scope() as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.SYNCED
        (result,) = s.scalars(select(Result))
        outbox = list(s.scalars(select(models.OutboxEvent)))
    assert [(o.kind, o.status) for o in outbox] == [("push", "delivered")]
    store = ObjectStore(settings)
    record = json.loads(store.get_bytes(result.stored_bucket, result.fields_key, expected_sha256=result.fields_sha256))
    assert record["fields"][FIELD] == {"value": true_value, "confidence": 1.0, "source": "steward"}
    assert outbox[0].payload["fields"][FIELD] == true_value
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(store.get_bytes(result.stored_bucket, result.stored_key, expected_sha256=result.signed_sha256))
    with pikepdf.open(pdf) as signed:
        attached = json.loads(signed.attachments["fields.json"].get_file().read_bytes())
    assert attached["fields"][FIELD] == true_value
    final = _record(doc_id)
    assert final["changes"] == corrected["changes"]  # the history is kept, not rewritten
    assert [d[0] for d in final["decisions"]] == sorted(["correct", "approve"])
