"""Drain the transactional outbox to the citizen data warehouse (at-least-once, idempotent).

The result code is the idempotency key; a re-delivery the warehouse already has counts as
delivered. Transport failures back off exponentially; after `sync_max_attempts` an event goes to
the dead letters with its reason visible to operators (`storage.records.dead_letters`, `sohoa
status`). Every acknowledgement is kept in `sync_receipts` (what the warehouse acknowledged, when).
A push refused because the warehouse already holds a revocation of the same, locally revoked result
(the revoke overtook it) is `superseded`, not dead: nothing is left for an operator to do (Art. 15).

A warehouse that is down — no answer at all (connection refused, reset, DNS) or 502/503/504 — is no
event's fault: the drain stops at the first such answer, that event keeps its attempts (an outage
never dead-letters anything) and waits only for a Retry-After the warehouse sent, the others are not
tried, and the summary says `unavailable` (`sohoa run` then exits 6). The next drain after the
warehouse is back delivers them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select

from core.crashpoints import crash_point
from core.faults import ServiceFault
from core.identifiers import is_cccd
from core.settings import Settings
from storage.db import session_scope
from storage.documents import transition
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, Result, SyncReceipt

log = logging.getLogger(__name__)
#: Who marks a document synced, in the audit log.
SYNC_ACTOR = "sohoa-sync"


def enqueue_push(session: Any, result: Result, doc: Document, fields: dict[str, dict[str, Any]], *,
                 converted_at: datetime, signed_file_url: Callable[[], str]) -> OutboxEvent | None:
    """Queue the push of a stored result to the warehouse, in the caller's transaction (the store
    stage's, with the stored result: the transactional outbox). Once per signed file (idempotency
    key `result_code:push:<signed sha256>`); none for an archive-only copy of an expired paper,
    which is no valid result for the warehouse. `fields` as stored: name -> {value, confidence, source}."""
    key = f"{result.result_code}:push:{result.signed_sha256}"
    if not result.still_valid or session.scalar(select(OutboxEvent).where(OutboxEvent.idempotency_key == key)):
        return None
    event = OutboxEvent(result_id=result.id, kind="push", idempotency_key=key,
                        payload=push_payload(result, doc, fields, converted_at, signed_file_url()))
    session.add(event)
    return event


def push_payload(result: Result, doc: Document, fields: dict[str, dict[str, Any]], converted_at: datetime,
                 url: str) -> dict[str, Any]:
    """The body of a push (`sync.contract.ResultPayload`), from the stored record."""
    def value(name: str) -> Any:
        return (fields.get(name) or {}).get("value")

    citizen_id = value("holder_id_number")
    if not (isinstance(citizen_id, str) and is_cccd(citizen_id)):
        citizen_id = None  # an old 9-digit CMND is no warehouse identifier; it stays in `fields`
    return {
        "result_code": result.result_code, "citizen_id": citizen_id, "document_type": doc.document_type,
        "issuing_agency": value("issuing_authority") or doc.agency_code, "issue_date": _iso_date(value("issue_date")),
        "checksum_sha256": result.signed_sha256, "signed_file_url": url,
        "fields": {k: v.get("value") for k, v in fields.items()},
        "converted_at": converted_at.isoformat(), "converter": result.converter,
    }


def _iso_date(text: Any) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if isinstance(text, str) else None
    except ValueError:
        return None

# Answers that say the warehouse as a whole is down, not that this event is wrong.
_DOWN_STATUSES = frozenset({502, 503, 504})


class WarehouseUnavailable(ServiceFault):
    """The citizen warehouse did not answer (or answered 502/503/504): events stay pending."""

    own_line = True  # core.faults.describe prints the message as it is


def warehouse_down(delivery: Any) -> bool:
    """No HTTP answer at all (a timeout is not: a slow answer to one event) or a gateway/unavailable status."""
    if delivery.http_status is None:
        return delivery.detail.startswith("transport error")
    return delivery.http_status in _DOWN_STATUSES


def unavailable_line(url: str, detail: str, pending: int) -> str:
    return (f"Kho dữ liệu công dân không sẵn sàng ({url}: {detail.splitlines()[0][:200]}): {pending} sự kiện "
            "vẫn chờ gửi, không sự kiện nào bị bỏ — chạy lại lệnh khi kho hoạt động trở lại")


def drain_outbox(settings: Settings, *, batch_id: int | None = None, now: datetime | None = None,
                 client: Any = None) -> dict[str, Any]:
    from sync.client import DeliveryOutcome, WarehouseClient, backoff_seconds

    now = now or datetime.now(UTC)
    counts = {"delivered": 0, "retry_later": 0, "dead": 0, "superseded": 0, "skipped": 0}
    down: str | None = None
    own_client = client is None
    if client is None:
        if not settings.citizen_warehouse_url:
            log.warning("SOHOA_CITIZEN_WAREHOUSE_URL is not set: outbox events stay pending")
            return {"batch_id": batch_id, **counts, "configured": False}
        client = WarehouseClient(settings.citizen_warehouse_url, settings.citizen_warehouse_token.get_secret_value())
    try:
        with session_scope(settings.db_url) as s:
            query = select(OutboxEvent.id).where(OutboxEvent.status == OutboxStatus.PENDING).where(
                or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now))
            if batch_id is not None:
                query = query.join(Result).join(Document).where(Document.batch_id == batch_id)
            ids = list(s.scalars(query.order_by(OutboxEvent.id)))
        for index, event_id in enumerate(ids, start=1):
            log.info("[sync] %d/%d outbox event %d", index, len(ids), event_id)
            with session_scope(settings.db_url) as s:
                event = s.get_one(OutboxEvent, event_id)
                try:
                    delivery = _deliver(client, event.kind, event.payload)
                except (ValidationError, KeyError, ValueError) as exc:
                    # A malformed event can never be delivered: dead-letter it alone, go on with the rest.
                    event.attempts += 1
                    event.status = OutboxStatus.DEAD
                    event.last_error = f"invalid payload: {exc}"[:2000]
                    counts["dead"] += 1
                    log.error("outbox event %s dead: %s", event.idempotency_key, event.last_error)
                    continue
                if delivery.outcome is DeliveryOutcome.RETRY_LATER and warehouse_down(delivery):
                    # An outage: no attempt used, no backoff of ours, the rest of the queue not tried.
                    down = f"HTTP {delivery.http_status}: {delivery.detail}" if delivery.http_status else delivery.detail
                    event.last_error = f"warehouse unavailable: {down}"[:2000]
                    if delivery.retry_after_s:
                        event.next_attempt_at = now + timedelta(seconds=delivery.retry_after_s)
                    counts["retry_later"] += 1
                    log.error("[sync] the warehouse is unavailable (%s): stopping, events stay pending", down)
                    break
                event.attempts += 1
                # The warehouse has answered; dying here loses this transaction (attempt, status,
                # receipt), so the re-run delivers the same event again and must be told "already".
                crash_point("sync.after_delivery")
                result = s.get_one(Result, event.result_id)
                if delivery.outcome in (DeliveryOutcome.DELIVERED, DeliveryOutcome.ALREADY_DELIVERED):
                    event.status, event.delivered_at, event.last_error = OutboxStatus.DELIVERED, now, None
                    counts["delivered"] += 1
                    _receipt(s, event, result.result_code, str(delivery.outcome), delivery, client, now)
                    doc = s.get_one(Document, result.document_id)
                    if event.kind == "push" and doc.status == DocumentStatus.STORED:
                        transition(s, doc, DocumentStatus.SYNCED, actor=SYNC_ACTOR, detail={"result_code": result.result_code})
                elif (delivery.outcome is DeliveryOutcome.CONFLICT and event.kind == "push"
                      and not result.still_valid and "revoked" in delivery.detail):
                    event.status, event.delivered_at = OutboxStatus.SUPERSEDED, now
                    event.last_error = f"superseded by the revocation: {delivery.detail}"[:2000]
                    counts["superseded"] += 1
                    _receipt(s, event, result.result_code, "superseded", delivery, client, now)
                elif delivery.outcome is DeliveryOutcome.RETRY_LATER and event.attempts < settings.sync_max_attempts:
                    wait = max(backoff_seconds(event.attempts), delivery.retry_after_s or 0.0)
                    event.next_attempt_at = now + timedelta(seconds=wait)
                    event.last_error = f"HTTP {delivery.http_status}: {delivery.detail}"[:2000]
                    counts["retry_later"] += 1
                else:
                    event.status = OutboxStatus.DEAD
                    event.last_error = f"{delivery.outcome} HTTP {delivery.http_status}: {delivery.detail}"[:2000]
                    counts["dead"] += 1
                    log.error("outbox event %s dead: %s", event.idempotency_key, event.last_error)
    finally:
        if own_client:
            client.close()
    out: dict[str, Any] = {"batch_id": batch_id, **counts, "configured": True,
                           "pending": _pending(settings, batch_id)}
    if down is not None:
        out["unavailable"] = unavailable_line(str(getattr(client, "base_url", "")), down, out["pending"])
    return out


def _pending(settings: Settings, batch_id: int | None) -> int:
    from sqlalchemy import func

    with session_scope(settings.db_url) as s:
        query = select(func.count(OutboxEvent.id)).where(OutboxEvent.status == OutboxStatus.PENDING)
        if batch_id is not None:
            query = query.join(Result).join(Document).where(Document.batch_id == batch_id)
        return int(s.scalar(query) or 0)


def _receipt(s: Any, event: OutboxEvent, code: str, outcome: str, delivery: Any, client: Any,
             now: datetime) -> None:
    s.add(SyncReceipt(outbox_id=event.id, result_code=code, kind=event.kind, idempotency_key=event.idempotency_key,
                      outcome=outcome, http_status=delivery.http_status, detail=delivery.detail[:2000],
                      warehouse=str(getattr(client, "base_url", "")), acknowledged_at=now))


def _deliver(client: Any, kind: str, payload: dict[str, Any]) -> Any:
    from sync.contract import ResultPayload

    if kind == "push":
        return client.push_result(ResultPayload.model_validate(payload))
    if kind == "revoke":
        return client.revoke_result(payload["result_code"], datetime.fromisoformat(payload["revoked_at"]),
                                    payload["reason"])
    raise ValueError(f"unknown outbox event kind {kind!r}")


def requeue_dead(settings: Settings, outbox_ids: list[int] | None = None, *, actor: str) -> list[str]:
    """Operator action: put dead letters (all, or the given ids) back in the queue, attempts from zero.

    Done after the cause is fixed (warehouse back, configuration corrected). The reason they died
    stays in the audit log. Returns the idempotency keys requeued."""
    from storage.models import AuditEntry

    with session_scope(settings.db_url) as s:
        query = select(OutboxEvent).where(OutboxEvent.status == OutboxStatus.DEAD)
        if outbox_ids is not None:
            query = query.where(OutboxEvent.id.in_(outbox_ids))
        keys = []
        for event in s.scalars(query.order_by(OutboxEvent.id)):
            s.add(AuditEntry(actor=actor, action="requeue", entity="outbox", entity_id=str(event.id),
                             detail={"idempotency_key": event.idempotency_key, "attempts": event.attempts,
                                     "last_error": event.last_error}))
            event.status, event.attempts, event.next_attempt_at = OutboxStatus.PENDING, 0, None
            keys.append(event.idempotency_key)
    return keys
