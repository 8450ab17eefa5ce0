"""Citizen data-warehouse connector (Decree 45/2020/NĐ-CP Art. 14.3.d, Art. 15, Art. 16).

The front door: `WarehouseClient` pushes results and revocations and returns a `Delivery`
value (never raises for transport problems); `backoff_seconds` spaces the retries; the
contract's bodies live in `sync.contract` and the machine-readable contract in
`sync/openapi.yaml`. The reference receiver (`python -m sync.receiver`) implements the contract
for tests and the demo; `sync.outbox` drains the results DB's outbox through the client.
Nothing here imports Airflow.
"""

from sync.client import Delivery, DeliveryOutcome, WarehouseClient, backoff_seconds
from sync.contract import (
    EventKind,
    ResultPayload,
    ResultStatus,
    Revocation,
    StoredResult,
    idempotency_key,
)

__all__ = [
    "Delivery",
    "DeliveryOutcome",
    "EventKind",
    "ResultPayload",
    "ResultStatus",
    "Revocation",
    "StoredResult",
    "WarehouseClient",
    "backoff_seconds",
    "idempotency_key",
]
