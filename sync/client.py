"""HTTP client for the citizen data warehouse (Decree 45 Art. 14.3.d, Art. 15, Art. 16).

Every call returns a `Delivery` value; transport problems never raise, so the outbox drainer
decides what to do (retry later, dead letter) from the outcome alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from sync.contract import API_PREFIX, EventKind, ResultPayload, Revocation, idempotency_key


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"  # stored now (201, or revocation 200/202)
    ALREADY_DELIVERED = "already_delivered"  # idempotent re-delivery: the warehouse had it (200)
    CONFLICT = "conflict"  # 409: same code with another checksum, or the code was revoked
    REJECTED = "rejected"  # other 4xx: fix the data or the configuration, retrying will not help
    RETRY_LATER = "retry_later"  # no answer, timeout, 5xx, 429, 408


@dataclass(frozen=True)
class Delivery:
    outcome: DeliveryOutcome
    http_status: int | None
    detail: str
    retry_after_s: float | None = None  # from a Retry-After header, when the warehouse sent one

    @property
    def ok(self) -> bool:
        return self.outcome in (DeliveryOutcome.DELIVERED, DeliveryOutcome.ALREADY_DELIVERED)


# 408 and 429 are the two 4xx that say "later"; 5xx are the warehouse's problem, not ours.
_RETRYABLE_4XX = frozenset({408, 425, 429})


class WarehouseClient:
    """One warehouse endpoint. Reuses connections; use as a context manager or call `close()`."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0) -> None:
        if not base_url:
            raise ValueError("the citizen warehouse URL is empty")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            follow_redirects=False,
        )

    def __enter__(self) -> WarehouseClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:  # never shows the token
        return f"WarehouseClient({self.base_url!r})"

    # ------------------------------------------------------------------ calls
    def push_result(self, payload: ResultPayload) -> Delivery:
        """PUT the result under its code; 201 → DELIVERED, 200 → ALREADY_DELIVERED."""
        body = payload.model_dump(mode="json")
        key = idempotency_key(payload.result_code, EventKind.PUSH, payload.checksum_sha256)
        response = self._send("PUT", _path(payload.result_code), body, key)
        if isinstance(response, Delivery):
            return response
        if response.status_code == 201:
            return Delivery(DeliveryOutcome.DELIVERED, 201, "stored")
        if response.status_code == 200:
            return Delivery(DeliveryOutcome.ALREADY_DELIVERED, 200, "already stored with the same checksum")
        return _classify(response)

    def revoke_result(self, code: str, revoked_at: datetime, reason: str) -> Delivery:
        """Art. 15: revoke in the warehouse. 202 (tombstone before the push) also counts as delivered."""
        revocation = Revocation(revoked_at=revoked_at, reason=reason)
        key = idempotency_key(code, EventKind.REVOKE, revocation.checksum())
        response = self._send("POST", f"{_path(code)}/revocation", revocation.model_dump(mode="json"), key)
        if isinstance(response, Delivery):
            return response
        if response.status_code == 202:
            return Delivery(DeliveryOutcome.DELIVERED, 202, "revocation stored before the result (tombstone)")
        if response.status_code == 200:
            already = bool(_json(response).get("already_revoked"))
            if already:
                return Delivery(DeliveryOutcome.ALREADY_DELIVERED, 200, "already revoked")
            return Delivery(DeliveryOutcome.DELIVERED, 200, "revoked")
        return _classify(response)

    def get_result(self, code: str) -> dict[str, Any] | None:
        """Look-up (acknowledgement): the stored record, or None when the warehouse has no such code.

        Unlike the delivery calls this raises `httpx.HTTPError` on transport or server errors:
        it is for operators and tests, not for the outbox."""
        response = self._http.get(_path(code))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def _send(self, method: str, path: str, body: dict[str, Any], key: str) -> httpx.Response | Delivery:
        try:
            response = self._http.request(method, path, json=body, headers={"Idempotency-Key": key})
        except httpx.TimeoutException as exc:
            return Delivery(DeliveryOutcome.RETRY_LATER, None, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:  # connection refused/reset, DNS, protocol errors
            return Delivery(DeliveryOutcome.RETRY_LATER, None, f"transport error: {type(exc).__name__}: {exc}")
        # httpx binds a response and its stream to each other: the pair (with the request, whose body is
        # a whole signed PDF in base64) would wait for the garbage collector, and one that reaches the
        # oldest generation stays for many pushes, so a long drain would hold ever more PDFs. The body
        # is read already: unbinding the stream frees all of it as soon as the caller lets go.
        response.stream = httpx.ByteStream(b"")
        return response


def _path(code: str) -> str:
    return f"{API_PREFIX}/results/{quote(code, safe='')}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _detail(response: httpx.Response) -> str:
    detail = _json(response).get("detail")
    if detail is None:
        return response.text[:500] or response.reason_phrase
    if isinstance(detail, list):  # FastAPI/pydantic validation errors: "loc: msg; …"
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" if isinstance(e, dict) else str(e)
                 for e in detail]
        return "; ".join(parts)[:2000]
    return detail if isinstance(detail, str) else str(detail)[:2000]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def _classify(response: httpx.Response) -> Delivery:
    status = response.status_code
    if status >= 500 or status in _RETRYABLE_4XX:
        return Delivery(DeliveryOutcome.RETRY_LATER, status, _detail(response), _retry_after(response))
    if status == 409:
        reason = _json(response).get("reason")
        prefix = f"{reason}: " if reason else ""
        return Delivery(DeliveryOutcome.CONFLICT, status, prefix + _detail(response))
    # 400/401/403/404/422 and unexpected 1xx/3xx: retrying the same request will not help.
    return Delivery(DeliveryOutcome.REJECTED, status, _detail(response))


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 3600.0,
                    jitter: bool = True, seed: int | str | None = None) -> float:
    """Delay before retry number `attempt` (1, 2, …): exponential, capped, with full jitter.

    The ceiling is min(cap, base * 2**(attempt-1)); with jitter the delay is uniform in
    [0, ceiling] ("full jitter": spreads a burst of failed deliveries instead of retrying them
    in lockstep). `seed` makes the draw reproducible (tests, or seeding with the event id);
    `jitter=False` returns the ceiling itself."""
    if attempt < 1:
        raise ValueError(f"attempt starts at 1, got {attempt}")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 1000))
    if not jitter:
        return ceiling
    rng = random.Random(f"{seed}:{attempt}") if seed is not None else random.SystemRandom()
    return rng.uniform(0.0, ceiling)
