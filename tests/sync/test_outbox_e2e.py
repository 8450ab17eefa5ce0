"""The outbox drained to a real reference receiver on 127.0.0.1 (Art. 14.3.d, Art. 15).

At-least-once delivery with the result code as idempotency key, exponential backoff, dead letters
with their reason visible to operators, receipts of what the warehouse acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from core.settings import Settings
from sohoa.pipeline import status_summary
from storage.db import session_scope
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, SyncReceipt
from sync import DeliveryOutcome, ResultPayload, WarehouseClient
from sync.outbox import drain_outbox
from sync.revocation import revoke_result

pytestmark = pytest.mark.integration


@pytest.fixture
def env(sohoa_env: Settings, receiver, token: str) -> Settings:  # type: ignore[no-untyped-def]
    return sohoa_env.model_copy(update={"citizen_warehouse_url": receiver.url,
                                        "citizen_warehouse_token": SecretStr(token),
                                        "sync_max_attempts": 3})


def _events(settings: Settings, result_id: int) -> list[OutboxEvent]:
    with session_scope(settings.db_url) as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.result_id == result_id).order_by(OutboxEvent.id)))


def _receipts(settings: Settings, code: str) -> list[SyncReceipt]:
    with session_scope(settings.db_url) as s:
        return list(s.scalars(select(SyncReceipt).where(SyncReceipt.result_code == code).order_by(SyncReceipt.id)))


def test_rule7_push_is_delivered_once_with_a_receipt(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(env)
    assert drain_outbox(env)["delivered"] == 1
    assert drain_outbox(env)["delivered"] == 0  # nothing pending: nothing sent again
    [event] = _events(env, r.result_id)
    assert event.status == OutboxStatus.DELIVERED and event.attempts == 1
    [receipt] = _receipts(env, r.result_code)
    assert (receipt.kind, receipt.outcome, receipt.http_status, receipt.warehouse) == ("push", "delivered", 201, receiver.url)
    with session_scope(env.db_url) as s:
        assert s.get_one(Document, r.document_id).status == DocumentStatus.SYNCED
    with WarehouseClient(receiver.url, token) as c:
        record = c.get_result(r.result_code)
    assert record is not None and record["result"]["checksum_sha256"] == r.signed_sha256
    assert record["result"]["fields"]["holder_name"] == "NGUYỄN VĂN AN"


def test_a_chunk_drain_pushes_only_its_own_documents(env: Settings, stored_result) -> None:  # type: ignore[no-untyped-def]
    """The task that stored a chunk pushes that chunk's records (sohoa.pipeline.run_chunk); another
    chunk's events stay pending for their own task, or the batch's sync after them."""
    mine, other = stored_result(env), stored_result(env)
    out = drain_outbox(env, document_ids=[mine.document_id])
    assert out["delivered"] == 1 and out["pending"] == 1
    assert [e.status for e in _events(env, mine.result_id)] == [OutboxStatus.DELIVERED]
    assert [e.status for e in _events(env, other.result_id)] == [OutboxStatus.PENDING]
    assert drain_outbox(env, document_ids=[mine.document_id])["delivered"] == 0  # nothing of its own left
    assert drain_outbox(env)["delivered"] == 1


def test_duplicate_delivery_after_a_lost_acknowledgement(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    """The warehouse stored it but we crashed before recording that: the re-send is harmless."""
    r = stored_result(env)
    [event] = _events(env, r.result_id)
    with WarehouseClient(receiver.url, token) as c:
        assert c.push_result(ResultPayload.model_validate(event.payload)).outcome is DeliveryOutcome.DELIVERED
    assert drain_outbox(env)["delivered"] == 1
    [receipt] = _receipts(env, r.result_code)
    assert (receipt.outcome, receipt.http_status) == ("already_delivered", 200)
    assert [d["http_status"] for d in receiver.deliveries(r.result_code)] == [201, 200]  # stored once


def test_receiver_down_stops_the_drain_and_dead_letters_nothing(env: Settings, stored_result, unused_port: int,  # type: ignore[no-untyped-def]
                                                                 receiver) -> None:
    """An outage is no event's fault: the drain stops at the first event, uses no attempt, sets no
    backoff of its own, tries nothing else; however long it lasts nothing is dead-lettered, and the
    first drain after the warehouse is back delivers every event once."""
    down = env.model_copy(update={"citizen_warehouse_url": f"http://127.0.0.1:{unused_port}"})
    first, second = stored_result(down), stored_result(down)
    now = datetime.now(UTC)
    for hours in range(5):  # more drains than sync_max_attempts (3)
        out = drain_outbox(down, now=now + timedelta(hours=hours))
        assert (out["retry_later"], out["dead"], out["pending"]) == (1, 0, 2), out
        assert "không sẵn sàng" in out["unavailable"] and f"127.0.0.1:{unused_port}" in out["unavailable"]
    [a], [b] = _events(down, first.result_id), _events(down, second.result_id)
    assert (a.status, a.attempts, a.next_attempt_at) == (OutboxStatus.PENDING, 0, None)
    assert "warehouse unavailable: transport error" in (a.last_error or "")
    assert (b.status, b.attempts, b.last_error) == (OutboxStatus.PENDING, 0, None)  # never tried
    assert status_summary(down)["system_of_record"]["dead_letters"] == []

    back = drain_outbox(env, now=now)
    assert (back["delivered"], back["pending"], back.get("unavailable")) == (2, 0, None)
    for r in (first, second):
        assert [d["http_status"] for d in receiver.deliveries(r.result_code)] == [201]


def test_a_503_outage_keeps_events_pending_until_it_ends(env: Settings, receiver, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(env)
    receiver.hook("5xx", count=4)  # 503 + Retry-After: 1
    now = datetime.now(UTC)
    for step in range(4):
        out = drain_outbox(env, now=now + timedelta(seconds=2 * step))
        assert out["unavailable"] and "HTTP 503" in out["unavailable"] and out["dead"] == 0
    [event] = _events(env, r.result_id)
    assert (event.status, event.attempts) == (OutboxStatus.PENDING, 0)
    assert drain_outbox(env, now=now + timedelta(seconds=10))["delivered"] == 1
    assert [d["http_status"] for d in receiver.deliveries(r.result_code)] == [201]


def test_an_event_that_keeps_failing_is_dead_lettered_with_its_reason(env: Settings, receiver, token: str,  # type: ignore[no-untyped-def]
                                                                      stored_result, capsys) -> None:
    """A failure of this event (here: the warehouse answers it too slowly, every time) backs off and,
    after sync_max_attempts, goes to the dead letters, visible to operators and put back by hand."""
    from sohoa.cli import main

    r = stored_result(env)
    receiver.hook("slow", count=3, delay_s=0.6)
    now = datetime.now(UTC)
    with WarehouseClient(receiver.url, token, timeout_s=0.2) as impatient:
        assert drain_outbox(env, now=now, client=impatient)["retry_later"] == 1
        [event] = _events(env, r.result_id)
        assert event.status == OutboxStatus.PENDING and event.attempts == 1 and "timeout" in (event.last_error or "")
        assert event.next_attempt_at is not None
        assert drain_outbox(env, now=now, client=impatient)["retry_later"] == 0  # not due yet: backoff is respected
        assert drain_outbox(env, now=now + timedelta(hours=2), client=impatient)["retry_later"] == 1
        assert drain_outbox(env, now=now + timedelta(hours=4), client=impatient)["dead"] == 1  # attempt 3 of 3
    [event] = _events(env, r.result_id)
    assert event.status == OutboxStatus.DEAD and event.attempts == 3
    dead = status_summary(env)["system_of_record"]["dead_letters"]
    assert [(d["result_code"], d["attempts"]) for d in dead] == [(r.result_code, 3)]
    assert "timeout" in dead[0]["reason"]
    assert main(["status"]) == 0
    assert f"Không gửi được {r.result_code}" in capsys.readouterr().out

    # the operator puts the dead letter back in the queue once the cause is fixed
    assert main(["requeue"]) == 2
    assert main(["requeue", "--all", "--actor", "van-hanh"]) == 0
    assert "Đã đưa 1 sự kiện" in capsys.readouterr().out
    import time

    time.sleep(0.7)  # the abandoned slow requests may have been stored: the re-send must not duplicate
    assert drain_outbox(env)["delivered"] == 1
    [event] = _events(env, r.result_id)
    assert event.status == OutboxStatus.DELIVERED and event.attempts == 1
    assert status_summary(env)["system_of_record"]["dead_letters"] == []
    assert [d["http_status"] for d in receiver.deliveries(r.result_code)].count(201) == 1


def test_5xx_honours_retry_after_then_delivers(env: Settings, receiver, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(env)
    receiver.hook("5xx", count=1)
    now = datetime.now(UTC)
    assert drain_outbox(env, now=now)["retry_later"] == 1
    [event] = _events(env, r.result_id)
    assert "HTTP 503" in (event.last_error or "")
    wait = event.next_attempt_at.replace(tzinfo=UTC) - now  # type: ignore[union-attr]
    assert timedelta(seconds=1) <= wait <= timedelta(seconds=2)  # max(backoff ≤ 2 s, Retry-After 1 s)
    assert drain_outbox(env, now=now + timedelta(seconds=3))["delivered"] == 1


def test_slow_receiver_times_out_and_is_retried_safely(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    import time

    r = stored_result(env)
    receiver.hook("slow", count=1, delay_s=1.5)
    now = datetime.now(UTC)
    with WarehouseClient(receiver.url, token, timeout_s=0.3) as impatient:
        assert drain_outbox(env, now=now, client=impatient)["retry_later"] == 1
    [event] = _events(env, r.result_id)
    assert "timeout" in (event.last_error or "")
    time.sleep(1.6)  # the abandoned request may still have been stored: the retry must not duplicate it
    assert drain_outbox(env, now=now + timedelta(hours=1))["delivered"] == 1
    assert [d["http_status"] for d in receiver.deliveries(r.result_code)].count(201) == 1


def test_409_checksum_conflict_is_a_dead_letter(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(env)
    [event] = _events(env, r.result_id)
    other = ResultPayload.model_validate({**event.payload, "checksum_sha256": "f" * 64})
    with WarehouseClient(receiver.url, token) as c:
        assert c.push_result(other).ok  # the warehouse already holds another file under this code
    assert drain_outbox(env)["dead"] == 1
    [event] = _events(env, r.result_id)
    assert event.status == OutboxStatus.DEAD and "checksum_mismatch" in (event.last_error or "")
    assert _receipts(env, r.result_code) == []


def test_rule10_revocation_reaches_the_warehouse(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    r = stored_result(env)
    assert drain_outbox(env)["delivered"] == 1
    assert main(["revoke", r.result_code, "--reason", "Quyết định bị hủy bỏ", "--actor", "can-bo-a"]) == 0
    assert drain_outbox(env)["delivered"] == 1
    with WarehouseClient(receiver.url, token) as c:
        record = c.get_result(r.result_code)
    assert record is not None and record["status"] == "revoked"
    assert record["revocation_reason"] == "Quyết định bị hủy bỏ"
    assert record["result"]["checksum_sha256"] == r.signed_sha256  # kept for look-up
    assert [(x.kind, x.outcome) for x in _receipts(env, r.result_code)] == [("push", "delivered"), ("revoke", "delivered")]


def test_rule10_revocation_overtaking_the_push(env: Settings, receiver, token: str, stored_result) -> None:  # type: ignore[no-untyped-def]
    r = stored_result(env)
    receiver.hook("5xx", count=1)
    now = datetime.now(UTC)
    assert drain_outbox(env, now=now)["retry_later"] == 1  # the push now waits for its backoff
    revoke_result(r.result_code, "Hết hiệu lực", actor="can-bo-a", at=now)
    assert drain_outbox(env, now=now)["delivered"] == 1  # only the revocation is due: a tombstone (202)
    assert [d["http_status"] for d in receiver.deliveries(r.result_code)] == [202]
    outcome = drain_outbox(env, now=now + timedelta(hours=1))
    assert outcome["superseded"] == 1 and outcome["dead"] == 0
    push, revoke = _events(env, r.result_id)
    assert (push.status, revoke.status) == (OutboxStatus.SUPERSEDED, OutboxStatus.DELIVERED)
    with WarehouseClient(receiver.url, token) as c:
        record = c.get_result(r.result_code)
    assert record is not None and record["status"] == "revoked" and record["result"] is None
    assert [(x.kind, x.outcome, x.http_status) for x in _receipts(env, r.result_code)] == [
        ("revoke", "delivered", 202), ("push", "superseded", 409)]
    assert status_summary(env)["system_of_record"]["dead_letters"] == []


def test_invalid_payload_dead_letters_alone(env: Settings, stored_result) -> None:  # type: ignore[no-untyped-def]
    broken, fine = stored_result(env), stored_result(env)
    with session_scope(env.db_url) as s:
        event = s.scalar(select(OutboxEvent).where(OutboxEvent.result_id == broken.result_id))
        assert event is not None
        event.payload = {**event.payload, "checksum_sha256": "not-a-checksum"}
    outcome = drain_outbox(env)
    assert (outcome["dead"], outcome["delivered"]) == (1, 1)
    [dead] = _events(env, broken.result_id)
    assert dead.status == OutboxStatus.DEAD and "invalid payload" in (dead.last_error or "")
    assert _events(env, fine.result_id)[0].status == OutboxStatus.DELIVERED
