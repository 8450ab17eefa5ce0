"""Review never holds a worker: approved records are released for signing later, batch by batch,
and only the approved ones (partial release). Real intake, real S3, real PAdES signing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from review import service
from review.service import revalidate_document
from signing.pki import make_test_pki
from sohoa.pipeline import release_approved
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, Result

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def signing_env(sohoa_env, tmp_path):  # type: ignore[no-untyped-def]
    pki = make_test_pki(tmp_path / "pki", converter=sohoa_env.converter_name)
    return sohoa_env.model_copy(update={"signing_pkcs12": pki.agency_p12,
                                        "signing_password": SecretStr(pki.password.decode())})


def test_partial_release_signs_only_approved_records(signing_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from intake import intake_batch
    from samples import generate_batch

    samples = generate_batch(tmp_path / "batch", count=2, seed=7, damages=("light",))
    batch_id = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code="000.00.15.H34",
                            settings=signing_env).batch_id
    truth = {s.file_name: s.truth["fields"] for s in samples}
    with session_scope(signing_env.db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        for i, doc in enumerate(docs):  # what extraction gives: the second one with a doubtful name
            for name, value in truth[doc.file_name].items():
                if value is not None:
                    s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.4 if i and
                                name == "holder_name" else 0.97))
            doc.status = DocumentStatus.EXTRACTED
            s.flush()
            revalidate_document(s, doc)
        ids = [d.id for d in docs]
        assert [d.status for d in docs] == [DocumentStatus.APPROVED, DocumentStatus.NEEDS_REVIEW]

    first = release_approved(batch_id, signing_env)
    assert first == {"batch_id": batch_id, "released": 1, "signed": 1, "stored": 1}
    with session_scope(signing_env.db_url) as s:
        assert [r.document_id for r in s.scalars(select(Result))] == [ids[0]]
        assert s.get_one(Document, ids[1]).status == DocumentStatus.NEEDS_REVIEW  # untouched
    assert service.approved_unsigned_batches(db_url=signing_env.db_url) == []

    service.approve_document(ids[1], "lan", db_url=signing_env.db_url)
    assert service.approved_unsigned_batches(db_url=signing_env.db_url) == [batch_id]
    second = release_approved(batch_id, signing_env)
    assert second["signed"] == 1 and second["released"] == 1
    with session_scope(signing_env.db_url) as s:
        assert sorted(r.document_id for r in s.scalars(select(Result))) == ids
        assert {d.status for d in s.scalars(select(Document))} == {DocumentStatus.STORED}
    assert release_approved(batch_id, signing_env)["released"] == 0  # nothing twice


def test_a_withheld_field_is_left_out_of_the_signed_and_stored_data(signing_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A doubtful optional field of a record the rules approve (docs/review.md): the record is
    signed, and the signed fields.json, the stored record and the warehouse push carry it empty with
    the reason; the row keeps its reading for the desk."""
    import io
    import json

    import pikepdf

    from intake import intake_batch
    from samples import generate_batch
    from storage.models import OutboxEvent, RuleOutcome
    from storage.objects import ObjectStore

    samples = generate_batch(tmp_path / "batch", count=1, seed=7, damages=("light",))
    batch_id = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code="000.00.15.H34",
                            settings=signing_env).batch_id
    recipients = "Người được cấp; Lưu: VT, HT"
    with session_scope(signing_env.db_url) as s:
        doc = s.scalars(select(Document).where(Document.batch_id == batch_id)).one()
        for name, value in samples[0].truth["fields"].items():
            if value is not None:
                s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.97))
        s.add(Field(document_id=doc.id, name="recipients", value=recipients, confidence=0.73))
        doc.status = DocumentStatus.EXTRACTED
        s.flush()
        decision = revalidate_document(s, doc)
        assert doc.status == DocumentStatus.APPROVED and decision.withheld == ("recipients",), doc.review_reasons
        doc_id = doc.id

    assert release_approved(batch_id, signing_env)["stored"] == 1
    store = ObjectStore(signing_env)
    with session_scope(signing_env.db_url) as s:
        result = s.scalars(select(Result).where(Result.document_id == doc_id)).one()
        assert s.scalars(select(Field).where(Field.document_id == doc_id, Field.name == "recipients")).one().value \
            == recipients  # the desk still shows what was read
        why = s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == doc_id,
                                                  RuleOutcome.rule == "withheld")).one().message
        push = s.scalars(select(OutboxEvent).where(OutboxEvent.result_id == result.id)).one().payload
        pdf = store.get_bytes(result.stored_bucket, result.stored_key)
        record = json.loads(store.get_bytes(result.stored_bucket, result.fields_key))
    assert "không đưa vào dữ liệu ký số" in why and "0,73" in why
    with pikepdf.open(io.BytesIO(pdf)) as signed:
        attached = json.loads(signed.attachments["fields.json"].get_file().read_bytes())
    assert attached["fields"]["recipients"] is None and attached["withheld"] == {"recipients": why}
    assert attached["fields"]["holder_name"] == samples[0].truth["fields"]["holder_name"]
    assert record["fields"]["recipients"]["value"] is None and record["fields"]["recipients"]["withheld"] == why
    assert push["fields"]["recipients"] is None


def test_sign_reviewed_dag_wires_the_release(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "sign_reviewed.py"))
    assert bag.import_errors == {}
    dag = bag.dags["sign_reviewed"]
    assert [t.task_id for t in dag.topological_sort()] == ["batches_with_approved", "release"]
    assert dag.max_active_runs == 1 and dag.schedule is not None
