"""Drain the transactional outbox to the citizen data warehouse (at-least-once, idempotent).

The result code is the idempotency key; a re-delivery the warehouse already has counts as
delivered. Transport failures back off exponentially; after `sync_max_attempts` an event goes to
the dead letters with its reason visible to operators.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from sohoa.config import Settings
from storage.db import session_scope
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, Result

log = logging.getLogger(__name__)


def drain_outbox(settings: Settings, *, batch_id: int | None = None, now: datetime | None = None,
                 client: Any = None) -> dict[str, Any]:
    from sync.client import DeliveryOutcome, WarehouseClient, backoff_seconds
    from sync.contract import ResultPayload

    now = now or datetime.now(UTC)
    counts = {"delivered": 0, "retry_later": 0, "dead": 0, "skipped": 0}
    if client is None:
        if not settings.citizen_warehouse_url:
            log.warning("SOHOA_CITIZEN_WAREHOUSE_URL is not set: outbox events stay pending")
            return {"batch_id": batch_id, **counts, "configured": False}
        client = WarehouseClient(settings.citizen_warehouse_url, settings.citizen_warehouse_token.get_secret_value())
    with session_scope() as s:
        query = select(OutboxEvent.id).where(OutboxEvent.status == OutboxStatus.PENDING).where(
            or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now))
        if batch_id is not None:
            query = query.join(Result).join(Document).where(Document.batch_id == batch_id)
        ids = list(s.scalars(query.order_by(OutboxEvent.id)))
    for event_id in ids:
        with session_scope() as s:
            event = s.get_one(OutboxEvent, event_id)
            if event.kind == "push":
                delivery = client.push_result(ResultPayload.model_validate(event.payload))
            else:
                delivery = client.revoke_result(event.payload["result_code"],
                                                datetime.fromisoformat(event.payload["revoked_at"]),
                                                event.payload["reason"])
            event.attempts += 1
            if delivery.outcome in (DeliveryOutcome.DELIVERED, DeliveryOutcome.ALREADY_DELIVERED):
                event.status, event.delivered_at, event.last_error = OutboxStatus.DELIVERED, now, None
                counts["delivered"] += 1
                result = s.get_one(Result, event.result_id)
                doc = s.get_one(Document, result.document_id)
                if event.kind == "push" and doc.status == DocumentStatus.STORED:
                    doc.status = DocumentStatus.SYNCED
            elif delivery.outcome is DeliveryOutcome.RETRY_LATER and event.attempts < settings.sync_max_attempts:
                event.next_attempt_at = now + timedelta(seconds=backoff_seconds(event.attempts))
                event.last_error = f"HTTP {delivery.http_status}: {delivery.detail}"
                counts["retry_later"] += 1
            else:
                event.status = OutboxStatus.DEAD
                event.last_error = f"{delivery.outcome} HTTP {delivery.http_status}: {delivery.detail}"
                counts["dead"] += 1
                log.error("outbox event %s dead: %s", event.idempotency_key, event.last_error)
    return {"batch_id": batch_id, **counts, "configured": True}
