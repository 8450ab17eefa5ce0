"""storage.documents.transition: the one way a document's status changes, checked against its table."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.settings import Settings
from storage.db import session_scope
from storage.documents import ALLOWED, ForbiddenTransition, transition
from storage.models import AuditEntry, Batch, Document, DocumentStatus


def _document(settings: Settings, status: DocumentStatus = DocumentStatus.RECEIVED) -> int:
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=f"b-{status}", province="Khánh Hòa", agency_code="000.00.15.H34", location="/b")
        s.add(batch)
        s.flush()
        doc = Document(batch_id=batch.id, file_name="a.png", sha256="0" * 64, content_type="image/png", size_bytes=1,
                       page_count=1, province="Khánh Hòa", agency_code="000.00.15.H34", status=status, raw_key="raw/a")
        s.add(doc)
        s.flush()
        return doc.id


def _audit(settings: Settings, doc_id: int) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    with session_scope(settings.db_url) as s:
        return [(a.actor, a.action, a.detail) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "document", AuditEntry.entity_id == str(doc_id))
            .order_by(AuditEntry.id))]


def test_every_status_has_its_moves_and_every_move_names_a_status() -> None:
    assert set(ALLOWED) == set(DocumentStatus)
    assert all(to in DocumentStatus for moves in ALLOWED.values() for to in moves)
    # nothing signed goes back to a steward or to the rules: a signed result changes only by revocation
    assert not ALLOWED[DocumentStatus.SIGNED] & {DocumentStatus.APPROVED, DocumentStatus.NEEDS_REVIEW}
    assert DocumentStatus.SIGNED not in ALLOWED[DocumentStatus.NEEDS_REVIEW]  # approval comes first


def test_a_move_sets_the_status_and_leaves_an_audit_entry(sohoa_env: Settings) -> None:
    doc_id = _document(sohoa_env)
    with session_scope(sohoa_env.db_url) as s:
        transition(s, s.get_one(Document, doc_id), DocumentStatus.OCR_DONE, actor="tester", stage="ocr")
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.OCR_DONE
    assert _audit(sohoa_env, doc_id) == [("tester", "status", {"from": "received", "to": "ocr_done", "stage": "ocr"})]
    # a re-run that finds the document where it is writes nothing
    with session_scope(sohoa_env.db_url) as s:
        transition(s, s.get_one(Document, doc_id), DocumentStatus.OCR_DONE, actor="tester")
    assert len(_audit(sohoa_env, doc_id)) == 1


def test_a_forbidden_move_raises_and_changes_nothing(sohoa_env: Settings) -> None:
    doc_id = _document(sohoa_env, DocumentStatus.NEEDS_REVIEW)
    with pytest.raises(ForbiddenTransition, match="may not go from needs_review to signed"), \
            session_scope(sohoa_env.db_url) as s:
        transition(s, s.get_one(Document, doc_id), DocumentStatus.SIGNED, actor="tester")
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.NEEDS_REVIEW
    assert _audit(sohoa_env, doc_id) == []


def test_failed_keeps_where_and_why_until_the_document_leaves_it(sohoa_env: Settings) -> None:
    doc_id = _document(sohoa_env, DocumentStatus.OCR_DONE)
    with session_scope(sohoa_env.db_url) as s, pytest.raises(ValueError, match="stage"):
        transition(s, s.get_one(Document, doc_id), DocumentStatus.FAILED, actor="tester", reason="boom")
    with session_scope(sohoa_env.db_url) as s:
        transition(s, s.get_one(Document, doc_id), DocumentStatus.FAILED, actor="tester", reason="boom",
                   stage="extract")
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.status, doc.failed_stage, doc.failure) == (DocumentStatus.FAILED, "extract", "boom")
        transition(s, doc, DocumentStatus.EXTRACTED, actor="tester", stage="extract")
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.status, doc.failed_stage, doc.failure) == (DocumentStatus.EXTRACTED, None, None)
    assert [a[1] for a in _audit(sohoa_env, doc_id)] == ["stage_failed", "status"]


def test_a_stage_failing_on_a_document_a_steward_moved_on_keeps_the_stewards_status(sohoa_env: Settings) -> None:
    from storage.documents import StageRun

    doc_id = _document(sohoa_env, DocumentStatus.NEEDS_REVIEW)
    run = StageRun("sign", batch_id=0)
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        s.expunge(doc)
    with run.document(doc):
        raise RuntimeError("boom")  # the batch goes on: no ForbiddenTransition escapes
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.NEEDS_REVIEW
    assert run.failed and run.failed[0]["reason"] == "RuntimeError: boom"
    assert [(a[1], a[2]["status_kept"]) for a in _audit(sohoa_env, doc_id)] == [("stage_failed", "needs_review")]


def _batch_of(settings: Settings, dossiers: list[str | None], status: DocumentStatus = DocumentStatus.RECEIVED) -> tuple[int, list[int]]:
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key="chunks", province="Khánh Hòa", agency_code="000.00.15.H34", location="/b")
        s.add(batch)
        s.flush()
        docs = [Document(batch_id=batch.id, file_name=f"{i}.png", sha256=f"{i:064d}", content_type="image/png",
                         size_bytes=1, page_count=1, province="Khánh Hòa", agency_code="000.00.15.H34",
                         status=status, raw_key=f"raw/{i}", dossier_code=dossier)
                for i, dossier in enumerate(dossiers)]
        s.add_all(docs)
        s.flush()
        return batch.id, [d.id for d in docs]


def test_a_batch_is_cut_into_chunks_that_keep_each_dossier_whole(sohoa_env: Settings) -> None:
    """Mapped tasks share a batch by chunks; the documents of one dossier stay in one chunk (their
    result codes KQ1, KQ2 … are numbered in the order of signing), and never more chunks than asked."""
    from storage.documents import batch_chunks

    batch_id, ids = _batch_of(sohoa_env, ["A", "B", "B", "C", None, "D", "A", None])
    a0, b1, b2, c3, n4, d5, a6, n7 = ids
    # dossier A's second document joins its first; a document without a dossier code is its own
    assert batch_chunks(batch_id, 2) == [[a0, a6], [b1, b2], [c3, n4], [d5, n7]]
    # Airflow maps at most max_map_length instances: the chunks grow instead
    assert batch_chunks(batch_id, 1, max_chunks=2) == [[a0, a6, b1, b2], [c3, n4, d5, n7]]
    assert batch_chunks(batch_id, 100) == [[a0, a6, b1, b2, c3, n4, d5, n7]]
    # a small batch still makes several chunks (8 documents, at least 4: chunks of 2 at most)
    assert batch_chunks(batch_id, 100, min_chunks=4) == [[a0, a6], [b1, b2], [c3, n4], [d5, n7]]
    assert batch_chunks(batch_id, 100, min_chunks=50) == [[a0, a6], [b1, b2], [c3], [n4], [d5], [n7]]
    with pytest.raises(ValueError):
        batch_chunks(batch_id, 0)


def test_a_stage_takes_only_its_chunk_of_the_batch(sohoa_env: Settings) -> None:
    from storage.documents import stage_todo

    batch_id, ids = _batch_of(sohoa_env, ["A", "B", "C"])
    assert [d.id for d in stage_todo(batch_id, "ocr", DocumentStatus.RECEIVED)] == ids
    assert [d.id for d in stage_todo(batch_id, "ocr", DocumentStatus.RECEIVED, only=[ids[2], ids[0]])] == [ids[0], ids[2]]
    assert stage_todo(batch_id, "ocr", DocumentStatus.RECEIVED, only=[]) == []
