"""The reference receiver keeps the file itself and the supersede links (issue 15)."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from sync import DeliveryOutcome, WarehouseClient

from .conftest import TOKEN

pytestmark = pytest.mark.integration


def _get(receiver, path: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(f"{receiver.url}/api/v1/results/{path}", headers={"Authorization": f"Bearer {TOKEN}"},
                     timeout=5)


def test_the_file_is_kept_and_checked_against_its_checksum(receiver, new_payload) -> None:  # type: ignore[no-untyped-def]
    pdf = b"%PDF-1.7 signed result"
    ok = new_payload(content=pdf, signed_pdf_base64=base64.b64encode(pdf).decode())
    other = new_payload(content=pdf, signed_pdf_base64=base64.b64encode(b"another file").decode())
    with WarehouseClient(receiver.url, TOKEN) as c:
        assert c.push_result(ok).outcome is DeliveryOutcome.DELIVERED
        refused = c.push_result(other)
    assert refused.outcome is DeliveryOutcome.REJECTED and "does not match" in refused.detail
    held = _get(receiver, f"{ok.result_code}/file")
    assert held.content == pdf and held.headers["X-Checksum-SHA256"] == hashlib.sha256(pdf).hexdigest()
    assert _get(receiver, ok.result_code).json()["has_file"] is True
    assert _get(receiver, f"{other.result_code}/file").status_code == 404


def test_a_new_version_supersedes_the_old_one_even_when_it_arrives_first(receiver, new_payload) -> None:  # type: ignore[no-untyped-def]
    old = new_payload(content=b"v1")
    new = new_payload(old.result_code.replace("-KQ1", "-KQ2"), content=b"v2", supersedes=old.result_code)
    with WarehouseClient(receiver.url, TOKEN) as c:
        assert c.push_result(new).ok  # the correction overtook the original
        placeholder = _get(receiver, old.result_code).json()
        assert (placeholder["status"], placeholder["superseded_by"], placeholder["result"]) == (
            "superseded", new.result_code, None)
        assert c.push_result(old).outcome is DeliveryOutcome.DELIVERED  # kept, and still superseded
        assert c.push_result(old).outcome is DeliveryOutcome.ALREADY_DELIVERED
    held_old, held_new = _get(receiver, old.result_code).json(), _get(receiver, new.result_code).json()
    assert (held_old["status"], held_old["superseded_by"]) == ("superseded", new.result_code)
    assert held_old["result"]["checksum_sha256"] == old.checksum_sha256
    assert (held_new["status"], held_new["supersedes"]) == ("still_valid", old.result_code)
