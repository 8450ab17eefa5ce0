"""Issue 16, flat memory: the store and sync stages hold one document's bytes at a time, whatever the
batch size. Their Python heap peak (tracemalloc) over a batch of 6 large signed PDFs may exceed that
over 2 by less than one PDF; a stage that kept every document's bytes (a list of PDFs for the
report, payloads collected before sending) would add at least four. Before issue 16's fixes both
failed: a pushed body waited for the garbage collector in httpx's response cycle (sync +2.7 PDFs), and
pyHanko's reader kept the PDF it read the signatures of (store +1.3 PDFs). The OCR stage's bound is its
in-flight window (tests/test_workers.py); extraction, validation and signing take documents one by
one in the same loop shape (`StageRun`).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from core.settings import Settings
from sohoa.pipeline import store_batch
from storage.objects import ObjectStore
from sync.outbox import drain_outbox
from testing import storage as testing

pytestmark = pytest.mark.integration

NOISE_PX = 1400  # about 1.3 MB a signed PDF (noise hardly compresses, even as JPEG)


def _peak(stage: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        stage()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_store_and_sync_hold_one_document_at_a_time(sohoa_env: Settings, receiver, token: str,  # type: ignore[no-untyped-def]
                                                     signing_key: Any) -> None:
    env = sohoa_env.model_copy(update={"citizen_warehouse_url": receiver.url,
                                       "citizen_warehouse_token": SecretStr(token)})
    store = ObjectStore(env)
    pid = os.getpid() % 1000

    def peaks(count: int, day: int) -> tuple[int, int, int]:
        pdfs = [testing.signed_pdf(signing_key, f"Kết quả {day}-{i}", noise_px=NOISE_PX) for i in range(count)]
        batch_id = testing.signed_batch(env, store, pdfs, dossier_prefix=f"000.00.15.H34-2011{day:02d}-{pid:03d}")
        stored = _peak(lambda: store_batch(batch_id, env, store))
        synced = _peak(lambda: drain_outbox(env, batch_id=batch_id))
        assert drain_outbox(env, batch_id=batch_id)["pending"] == 0  # every document went through both stages
        return stored, synced, max(len(p) for p in pdfs)

    peaks(1, 11)  # warm-up: imports, compiled statements, the store client
    small_store, small_sync, _ = peaks(2, 12)
    large_store, large_sync, pdf_bytes = peaks(6, 13)
    assert pdf_bytes > 1_000_000  # the documents are large enough for the bound to mean something
    # Four more documents: a stage that keeps each one's bytes grows by at least 4 × pdf_bytes.
    assert large_store - small_store < pdf_bytes, (small_store, large_store, pdf_bytes)
    assert large_sync - small_sync < pdf_bytes, (small_sync, large_sync, pdf_bytes)
