"""The citizen data-warehouse contract, over real HTTP against the reference receiver.

Rule 7 (Art. 14.3.d): results travel under `<mã hồ sơ>-KQ<n>`, idempotently.
Rule 10 (Art. 15): a revocation reaches the warehouse, which keeps the revoked record for look-up.
Rule 11 (Art. 16.2.b): the warehouse holds the result or a link to it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import ValidationError

from sync import Delivery, DeliveryOutcome, ResultPayload, WarehouseClient, backoff_seconds
from sync.receiver import openapi_document

REPO = Path(__file__).resolve().parents[2]
REVOKED_AT = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)

Payloads = Callable[..., ResultPayload]


@pytest.fixture
def client(receiver, token: str):  # type: ignore[no-untyped-def]
    with WarehouseClient(receiver.url, token, timeout_s=5) as c:
        yield c


def _lookup(client: WarehouseClient, code: str) -> dict:  # type: ignore[type-arg]
    record = client.get_result(code)
    assert record is not None, f"{code} not in the warehouse"
    return record


# ---------------------------------------------------------------- rule 7: push, idempotent re-delivery
def test_rule7_push_then_identical_repush_is_idempotent(client: WarehouseClient, receiver, new_payload: Payloads) -> None:  # type: ignore[no-untyped-def]
    payload = new_payload()
    first = client.push_result(payload)
    assert (first.outcome, first.http_status) == (DeliveryOutcome.DELIVERED, 201)
    again = client.push_result(payload)
    assert (again.outcome, again.http_status) == (DeliveryOutcome.ALREADY_DELIVERED, 200)
    assert again.ok

    record = _lookup(client, payload.result_code)
    assert record["status"] == "still_valid"
    assert record["result"]["checksum_sha256"] == payload.checksum_sha256
    assert record["result"]["signed_file_url"] == payload.signed_file_url  # Art. 16.2.b: the link
    assert record["result"]["fields"]["holder_name"] == "NGUYỄN VĂN AN"
    # both deliveries carried the documented idempotency key
    log = receiver.deliveries(payload.result_code)
    assert [d["http_status"] for d in log] == [201, 200]
    assert {d["idempotency_key"] for d in log} == {f"{payload.result_code}:push:{payload.checksum_sha256}"}


def test_rule7_same_code_other_checksum_is_a_conflict(client: WarehouseClient, new_payload: Payloads) -> None:
    payload = new_payload()
    assert client.push_result(payload).outcome is DeliveryOutcome.DELIVERED
    other = new_payload(payload.result_code, content=b"a different signed file")
    delivery = client.push_result(other)
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.CONFLICT, 409)
    assert "checksum_mismatch" in delivery.detail
    # no silent edit: the warehouse keeps the first file
    assert _lookup(client, payload.result_code)["result"]["checksum_sha256"] == payload.checksum_sha256


def test_rule7_result_code_must_be_dossier_code_dash_kq_n(new_payload: Payloads) -> None:
    for bad in ("000.00.15.H34-250512-0001", "000.00.15.H34-250512-0001-KQ0", "000.00.15.H34/250512-KQ1", "-KQ1"):
        with pytest.raises(ValidationError):
            new_payload(bad)
    assert new_payload("TAM.000.00.15.H34-250512-0007-KQ2").result_code.endswith("-KQ2")


def test_invalid_cccd_is_rejected_422(client: WarehouseClient, new_payload: Payloads) -> None:
    with pytest.raises(ValidationError):  # the shared model refuses it on the client side already
        new_payload(citizen_id="12345")
    # a producer that skipped validation: the receiver refuses it, and retrying will not help
    bad = ResultPayload.model_construct(**{**new_payload().model_dump(), "citizen_id": "12345"})
    delivery = client.push_result(bad)
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.REJECTED, 422)
    assert "citizen_id" in delivery.detail
    assert client.get_result(bad.result_code) is None


def test_wrong_idempotency_key_is_rejected(receiver, token: str, new_payload: Payloads) -> None:  # type: ignore[no-untyped-def]
    payload = new_payload()
    r = httpx.put(f"{receiver.url}/api/v1/results/{payload.result_code}", json=payload.model_dump(mode="json"),
                  headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "whatever"}, timeout=5)
    assert r.status_code == 422 and r.json()["reason"] == "idempotency_key"


# ---------------------------------------------------------------- rule 10: revocation
def test_rule10_revocation_is_recorded_and_kept_for_lookup(client: WarehouseClient, new_payload: Payloads) -> None:
    payload = new_payload()
    assert client.push_result(payload).outcome is DeliveryOutcome.DELIVERED

    revoked = client.revoke_result(payload.result_code, REVOKED_AT, "Quyết định bị thu hồi")
    assert (revoked.outcome, revoked.http_status) == (DeliveryOutcome.DELIVERED, 200)
    again = client.revoke_result(payload.result_code, REVOKED_AT, "Quyết định bị thu hồi")
    assert (again.outcome, again.http_status) == (DeliveryOutcome.ALREADY_DELIVERED, 200)

    record = _lookup(client, payload.result_code)
    assert record["status"] == "revoked"
    assert datetime.fromisoformat(record["revoked_at"]) == REVOKED_AT
    assert record["revocation_reason"] == "Quyết định bị thu hồi"
    assert record["result"]["checksum_sha256"] == payload.checksum_sha256  # still there for look-up

    # a late re-delivery of the push must not bring the result back
    late = client.push_result(payload)
    assert (late.outcome, late.http_status) == (DeliveryOutcome.CONFLICT, 409)
    assert "revoked" in late.detail
    assert _lookup(client, payload.result_code)["status"] == "revoked"


def test_rule10_revocation_before_push_is_a_tombstone(client: WarehouseClient, new_payload: Payloads) -> None:
    payload = new_payload()
    early = client.revoke_result(payload.result_code, REVOKED_AT, "Hết hiệu lực")
    assert (early.outcome, early.http_status) == (DeliveryOutcome.DELIVERED, 202)
    record = _lookup(client, payload.result_code)
    assert record["status"] == "revoked" and record["result"] is None

    push = client.push_result(payload)
    assert (push.outcome, push.http_status) == (DeliveryOutcome.CONFLICT, 409)
    assert "revoked" in push.detail


# ---------------------------------------------------------------- auth
def test_bad_token_is_401_rejected(receiver, new_payload: Payloads) -> None:  # type: ignore[no-untyped-def]
    payload = new_payload()
    with WarehouseClient(receiver.url, "not-the-token", timeout_s=5) as intruder:
        delivery = intruder.push_result(payload)
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.REJECTED, 401)
    r = httpx.get(f"{receiver.url}/api/v1/results/{payload.result_code}", timeout=5)  # no token at all
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert "not-the-token" not in repr(intruder)


# ---------------------------------------------------------------- transport problems never raise
def test_receiver_down_is_retry_later(unused_port: int, token: str, new_payload: Payloads) -> None:
    with WarehouseClient(f"http://127.0.0.1:{unused_port}", token, timeout_s=2) as c:
        push = c.push_result(new_payload())
        revoke = c.revoke_result(new_payload().result_code, REVOKED_AT, "Hết hiệu lực")
    for delivery in (push, revoke):
        assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.RETRY_LATER, None)
        assert "transport error" in delivery.detail


def test_5xx_is_retry_later(client: WarehouseClient, receiver, new_payload: Payloads) -> None:  # type: ignore[no-untyped-def]
    payload = new_payload()
    receiver.hook("5xx", count=1)
    failed = client.push_result(payload)
    assert (failed.outcome, failed.http_status) == (DeliveryOutcome.RETRY_LATER, 503)
    assert failed.retry_after_s == 1.0
    assert client.push_result(payload).outcome is DeliveryOutcome.DELIVERED  # the hook is spent


def test_slow_beyond_client_timeout_is_retry_later(receiver, token: str, new_payload: Payloads) -> None:  # type: ignore[no-untyped-def]
    payload = new_payload()
    receiver.hook("slow", count=1, delay_s=1.0)
    with WarehouseClient(receiver.url, token, timeout_s=0.3) as impatient:
        started = time.monotonic()
        delivery = impatient.push_result(payload)
        assert time.monotonic() - started < 0.9
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.RETRY_LATER, None)
    assert "timeout" in delivery.detail
    # Whether the server finished the abandoned request or not, the retry is safe: one record, no duplicate.
    time.sleep(max(0.0, started + 1.3 - time.monotonic()))
    with WarehouseClient(receiver.url, token, timeout_s=5) as client:
        retry = client.push_result(payload)
        assert retry.ok, retry
        assert _lookup(client, payload.result_code)["result"]["checksum_sha256"] == payload.checksum_sha256
    assert [d["http_status"] for d in receiver.deliveries(payload.result_code)].count(201) == 1


# ---------------------------------------------------------------- durability, contract, backoff
def test_records_survive_a_receiver_restart(receiver_factory, tmp_path: Path, token: str,  # type: ignore[no-untyped-def]
                                            new_payload: Payloads) -> None:
    data = tmp_path / "warehouse"
    payload = new_payload()
    first = receiver_factory(data)
    with WarehouseClient(first.url, token, timeout_s=5) as c:
        assert c.push_result(payload).outcome is DeliveryOutcome.DELIVERED
    first.stop()
    second = receiver_factory(data)
    with WarehouseClient(second.url, token, timeout_s=5) as c:
        assert _lookup(c, payload.result_code)["status"] == "still_valid"
        assert c.push_result(payload).outcome is DeliveryOutcome.ALREADY_DELIVERED


def test_committed_openapi_matches_the_receiver() -> None:
    committed = yaml.safe_load((REPO / "sync" / "openapi.yaml").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "regenerate: python -m sync.receiver --export-openapi sync/openapi.yaml"
    assert committed["openapi"].startswith("3.1")
    assert {"/healthz", "/api/v1/results/{result_code}", "/api/v1/results/{result_code}/revocation"} <= set(
        committed["paths"])
    assert not any(p.startswith("/_test") for p in committed["paths"])


def test_backoff_grows_and_caps() -> None:
    ceilings = [backoff_seconds(n, jitter=False) for n in range(1, 16)]
    assert ceilings[:4] == [2.0, 4.0, 8.0, 16.0]
    assert all(b >= a for a, b in zip(ceilings, ceilings[1:], strict=False))
    assert max(ceilings) == 3600.0 and ceilings[-1] == 3600.0
    assert backoff_seconds(10_000, jitter=False) == 3600.0  # no overflow on absurd attempt counts
    for n in range(1, 16):
        drawn = backoff_seconds(n, seed=42)
        assert 0.0 <= drawn <= ceilings[n - 1]
        assert drawn == backoff_seconds(n, seed=42)  # seeded: reproducible
    assert backoff_seconds(3, base=1.0, cap=5.0, jitter=False) == 4.0
    assert backoff_seconds(4, base=1.0, cap=5.0, jitter=False) == 5.0
    with pytest.raises(ValueError):
        backoff_seconds(0)


def test_sync_package_never_imports_airflow() -> None:
    code = ("import sys, sync, sync.client, sync.contract, sync.receiver;"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'); assert not bad, bad")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_delivery_is_a_frozen_value() -> None:
    d = Delivery(DeliveryOutcome.RETRY_LATER, None, "timeout")
    with pytest.raises(AttributeError):
        d.detail = "x"  # type: ignore[misc]
    assert str(DeliveryOutcome.RETRY_LATER) == "retry_later"
