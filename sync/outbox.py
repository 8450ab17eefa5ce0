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

import base64
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select

from core.actors import actor_name
from core.crashpoints import crash_point
from core.faults import ServiceFault, is_service_fault
from core.settings import Settings
from storage.db import session_scope
from storage.documents import transition
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, Result, SyncReceipt

log = logging.getLogger(__name__)


def enqueue_push(session: Any, settings: Settings, result: Result, doc: Document,
                 fields: dict[str, dict[str, Any]], *, converted_at: datetime) -> OutboxEvent | None:
    """Queue the push of a stored result to the warehouse, in the caller's transaction (the store
    stage's, with the stored result: the transactional outbox). Once per signed file (idempotency
    key `result_code:push:<signed sha256>`); none for an archive-only copy of an expired paper,
    which is no valid result for the warehouse. `fields` as stored: name -> {value, confidence, source}.
    The body (`sync.payloads.push_payload`) carries a durable link; the file itself is attached when
    the event is delivered."""
    from storage.records import agency_code_by_name
    from sync.payloads import push_payload

    key = f"{result.result_code}:push:{result.signed_sha256}"
    if not result.still_valid or session.scalar(select(OutboxEvent).where(OutboxEvent.idempotency_key == key)):
        return None
    values = {k: v.get("value") for k, v in fields.items()}
    supersedes = session.get_one(Result, result.supersedes_id).result_code if result.supersedes_id else None
    payload = push_payload(
        settings, result_code=result.result_code, document_type=doc.document_type, fields=values,
        signed_sha256=result.signed_sha256, converted_at=converted_at, converter=result.converter,
        keeping_agency_code=doc.agency_code,
        issuing_agency_code=agency_code_by_name(session, doc.province, values.get("issuing_authority")),
        provisional=doc.dossier_provisional, supersedes=supersedes)
    event = OutboxEvent(result_id=result.id, kind="push", idempotency_key=key, payload=payload)
    session.add(event)
    return event


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
                 client: Any = None, document_ids: Collection[int] | None = None) -> dict[str, Any]:
    """Deliver the pending events (of one batch, or all; of these documents only, with `document_ids`:
    one chunk's, pushed by the task that stored it) that are due."""
    from sync.client import DeliveryOutcome, WarehouseClient, backoff_seconds

    now = now or datetime.now(UTC)
    files = _SignedFiles(settings)
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
            if document_ids is not None:
                query = query.where(OutboxEvent.result_id.in_(
                    select(Result.id).where(Result.document_id.in_(list(document_ids)))))
            ids = list(s.scalars(query.order_by(OutboxEvent.id)))
        for index, event_id in enumerate(ids, start=1):
            log.info("[sync] %d/%d outbox event %d", index, len(ids), event_id)
            with session_scope(settings.db_url) as s:
                event = s.get_one(OutboxEvent, event_id)
                try:
                    payload = event.payload
                    if event.kind == "push" and not payload.get("signed_pdf_base64"):
                        # Durable delivery: the warehouse gets the signed file itself, read back from the
                        # locked results bucket and checked against its SHA-256 (never stored in the outbox).
                        payload = {**payload, "signed_pdf_base64": files.base64_of(s.get_one(Result, event.result_id))}
                except Exception as exc:
                    event.last_error = f"signed file unreadable: {type(exc).__name__}: {exc}"[:2000]
                    if is_service_fault(exc) and event.attempts < settings.sync_max_attempts:
                        # The store is down: this event waits like any undelivered one.
                        event.next_attempt_at = now + timedelta(seconds=backoff_seconds(event.attempts))
                        counts["retry_later"] += 1
                    else:  # missing or changed bytes (fixity): an operator's matter, the others go on
                        event.status = OutboxStatus.DEAD
                        counts["dead"] += 1
                        log.error("outbox event %s dead: %s", event.idempotency_key, event.last_error)
                    continue
                try:
                    delivery = _deliver(client, event.kind, payload)
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
                        transition(s, doc, DocumentStatus.SYNCED, actor=actor_name(), detail={"result_code": result.result_code})
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


class _SignedFiles:
    """Reads signed PDFs from the results bucket for the pushes of one drain (one store client)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Any = None

    def base64_of(self, result: Result) -> str:
        from storage.objects import ObjectStore

        if not (result.stored_bucket and result.stored_key):
            raise ValueError(f"{result.result_code} is not stored yet")
        self._store = self._store or ObjectStore(self.settings)
        pdf = self._store.get_bytes(result.stored_bucket, result.stored_key, expected_sha256=result.signed_sha256)
        return base64.b64encode(pdf).decode("ascii")


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
