"""Results DB on SQLite and PostgreSQL: append-only history, idempotent re-runs, signatures,
revocation (Art. 15), status summary. Every test runs against both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.settings import Settings
from sohoa.pipeline import status_summary, store_batch
from storage.db import get_engine, session_scope
from storage.models import (
    APPEND_ONLY_TABLES,
    AuditEntry,
    Document,
    FixityFinding,
    OutboxEvent,
    OutboxStatus,
    Result,
    Revocation,
    Signature,
    SyncReceipt,
)
from storage.objects import ObjectStore
from sync.revocation import UnknownResult, revoke_result

pytestmark = pytest.mark.integration


def _count(settings: Settings, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(settings.db_url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_engine_is_the_one_asked_for(db_env: Settings, request: pytest.FixtureRequest) -> None:
    dialect = get_engine(db_env.db_url).dialect.name
    assert dialect == request.node.callspec.params["db_env"]


def test_rule9_history_tables_refuse_update_and_delete(db_env: Settings, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(db_env)
    revoke_result(r.result_code, "Quyết định bị hủy bỏ", actor="can-bo-a")
    with session_scope(db_env.db_url) as s:
        outbox_id = s.scalar(select(OutboxEvent.id).where(OutboxEvent.result_id == r.result_id))
        s.add(SyncReceipt(outbox_id=outbox_id, result_code=r.result_code, kind="push", idempotency_key="k",
                          outcome="delivered", http_status=201, warehouse="http://127.0.0.1:1"))
        s.add(FixityFinding(audit_id="a1", entity="result", entity_id=r.result_code, bucket=r.bucket, key=r.pdf_key,
                            problem="missing"))
    engine = get_engine(db_env.db_url)
    with engine.connect() as conn:
        populated = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in APPEND_ONLY_TABLES}
    assert all(populated.values()), populated  # row triggers need rows to refuse
    for table in APPEND_ONLY_TABLES:
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises((IntegrityError, DBAPIError), match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    with engine.connect() as conn:
        assert {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in APPEND_ONLY_TABLES} == populated
    # the ORM path is refused the same way
    with pytest.raises((IntegrityError, DBAPIError)), session_scope(db_env.db_url) as s:
        s.scalars(select(AuditEntry)).first().actor = "someone else"  # type: ignore[union-attr]


def test_rerun_of_store_creates_nothing_twice(db_env: Settings, stored_result) -> None:  # type: ignore[no-untyped-def]
    store = ObjectStore(db_env)
    r = stored_result(db_env, store)
    before = {m.__name__: _count(db_env, m) for m in (Result, OutboxEvent, Signature, AuditEntry)}
    versions = store.list_versions(r.bucket, r.pdf_key)
    store_batch(r.batch_id, db_env, store)
    store_batch(r.batch_id, db_env, store)
    assert {m.__name__: _count(db_env, m) for m in (Result, OutboxEvent, Signature, AuditEntry)} == before
    assert store.list_versions(r.bucket, r.pdf_key) == versions  # no new object version either
    # and the constraints hold even against code that forgets to check first
    with session_scope(db_env.db_url) as s:
        doc = s.get_one(Document, r.document_id)
        twin = {c.name: getattr(doc, c.name) for c in Document.__table__.columns if c.name != "id"}
    with pytest.raises(IntegrityError), session_scope(db_env.db_url) as s:
        s.add(Document(**{**twin, "file_name": "copy-of-the-same-scan.png"}))  # same batch, same SHA-256
    # a second, real document of the batch (so no foreign key or one-result-per-document rule can
    # refuse first) given the first one's result code: only the unique result_code refuses it
    with session_scope(db_env.db_url) as s:
        other = Document(**{**twin, "file_name": "another-scan.png", "sha256": "f" * 64})
        s.add(other)
        s.flush()
        other_id = other.id
    with pytest.raises(IntegrityError, match="result_code"), session_scope(db_env.db_url) as s:
        s.add(Result(document_id=other_id, result_code=r.result_code, converter="x",
                     converted_at=datetime.now(UTC), signer="x", work_key="x", signed_sha256="0" * 64))
    with session_scope(db_env.db_url) as s:  # the same row with a code of its own is accepted
        s.add(Result(document_id=other_id, result_code=f"{r.result_code}-other", converter="x",
                     converted_at=datetime.now(UTC), signer="x", work_key="x", signed_sha256="0" * 64))


def test_rule4_signature_recorded_with_certificate(db_env: Settings, stored_result, signing_key) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(db_env)
    cert = signing_key.certificate
    with session_scope(db_env.db_url) as s:
        sigs = list(s.scalars(select(Signature).where(Signature.result_id == r.result_id)))
    assert len(sigs) == 1
    sig = sigs[0]
    assert sig.signer == cert.subject.native["common_name"]
    assert sig.cert_serial == format(cert.serial_number, "x")
    assert sig.cert_fingerprint_sha256 == cert.sha256.hex()
    assert sig.level == "PAdES-B-B" and "Test Root CA" in sig.cert_issuer
    signed_at = sig.signed_at if sig.signed_at.tzinfo else sig.signed_at.replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 600


def test_rule10_revocation_keeps_the_result_and_queues_the_event(db_env: Settings, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(db_env)
    at = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    outcome = revoke_result(r.result_code, "Giấy phép bị thu hồi theo Quyết định 12/QĐ-UBND", actor="can-bo-a", at=at)
    assert not outcome.already_revoked and outcome.revoked_at == at
    with session_scope(db_env.db_url) as s:
        result = s.get_one(Result, r.result_id)  # still there, for look-up by competent agencies
        assert result.still_valid is False
        assert result.revocation_reason == "Giấy phép bị thu hồi theo Quyết định 12/QĐ-UBND"
        assert result.revoked_at is not None and result.revoked_at.replace(tzinfo=UTC) == at
        row = s.scalar(select(Revocation).where(Revocation.result_id == r.result_id))
        assert row is not None and row.revoked_by == "can-bo-a"
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.result_id == r.result_id).order_by(OutboxEvent.id)))
        assert [e.kind for e in events] == ["push", "revoke"]
        assert events[1].idempotency_key == outcome.outbox_key and events[1].status == OutboxStatus.PENDING
        assert events[1].payload == {"result_code": r.result_code, "revoked_at": at.isoformat(),
                                     "reason": "Giấy phép bị thu hồi theo Quyết định 12/QĐ-UBND"}
    again = revoke_result(r.result_code, "lý do khác", actor="can-bo-b")
    assert again.already_revoked and again.reason.startswith("Giấy phép") and again.revoked_at == at
    assert _count(db_env, Revocation) == 1 and _count(db_env, OutboxEvent) == 2
    with pytest.raises(UnknownResult):
        revoke_result("000.00.15.H34-200512-9999-KQ1", "x", actor="a")
    with pytest.raises(ValueError, match="reason"):
        revoke_result(r.result_code, "  ", actor="a")


def test_revoke_command_and_status_show_it(db_env: Settings, stored_result, capsys) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    r = stored_result(db_env)
    assert main(["revoke", r.result_code, "--reason", "Hết hiệu lực", "--actor", "can-bo-a"]) == 0
    assert "Đã thu hồi" in capsys.readouterr().out
    assert main(["revoke", r.result_code, "--reason", "Hết hiệu lực"]) == 0
    assert "đã bị thu hồi từ trước" in capsys.readouterr().out
    assert main(["revoke", "000.00.15.H34-200512-9999-KQ1", "--reason", "x"]) == 3
    with session_scope(db_env.db_url) as s:
        push = s.scalar(select(OutboxEvent).where(OutboxEvent.kind == "push"))
        assert push is not None
        push.status, push.attempts, push.last_error = OutboxStatus.DEAD, 8, "conflict HTTP 409: checksum_mismatch"
    summary = status_summary(db_env)["system_of_record"]
    assert summary["revocations"] == 1 and summary["signatures"] == 1
    assert summary["dead_letters"] == [{**summary["dead_letters"][0], "result_code": r.result_code, "kind": "push",
                                        "attempts": 8, "reason": "conflict HTTP 409: checksum_mismatch"}]
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"Không gửi được {r.result_code}" in out and "checksum_mismatch" in out
    assert main(["status", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["system_of_record"]["dead_letters"][0]["reason"] == "conflict HTTP 409: checksum_mismatch"
    assert shown["outbox"]["dead"] == 1 and shown["outbox"]["pending"] == 1  # the revoke waits


def test_migrations_go_down_and_up_again(db_env: Settings) -> None:
    from alembic import command

    from storage.db import alembic_config, upgrade

    engine = get_engine(db_env.db_url)
    command.downgrade(alembic_config(db_env.db_url), "0001")
    with engine.connect() as conn:
        assert "signatures" not in inspect(conn).get_table_names()
    upgrade(db_env.db_url)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    assert {"signatures", "revocations", "sync_receipts", "fixity_findings"} <= names
    with pytest.raises((IntegrityError, DBAPIError), match="append-only"), session_scope(db_env.db_url) as s:
        s.add(AuditEntry(actor="a", action="b", entity="c", entity_id="d"))
        s.flush()
        s.execute(text("DELETE FROM audit_log"))
