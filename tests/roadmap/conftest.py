"""Roadmap fixtures: a migrated SQLite results DB per test (no S3 needed) and a way to add results."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.settings import Settings, reset_settings
from storage import db as storage_db
from storage.models import Batch, Document, DocumentStatus, OutboxEvent, OutboxStatus, Result

EXAMPLES = Path(__file__).resolve().parents[2] / "roadmap" / "data" / "examples"
_seq = itertools.count(1)


@pytest.fixture
def roadmap_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start_migrated: Callable[[str], None]) -> Iterator[Settings]:
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_DATABASE_URL", "")
    reset_settings()
    storage_db.get_engine.cache_clear()
    settings = Settings()
    start_migrated(settings.db_url)
    yield settings
    storage_db.get_engine.cache_clear()
    reset_settings()


def add_results(province: str, agency: str, document_type: str, n: int, *,
                status: str = DocumentStatus.STORED, converted_at: datetime | None = None,
                delivered: bool = False) -> None:
    """n documents of one kind; digitised ones get a Result (and a delivered push when `delivered`)."""
    converted_at = converted_at or datetime(2024, 6, 1, tzinfo=UTC)
    with storage_db.session_scope() as s:
        batch = Batch(batch_key=f"b{next(_seq)}", province=province, agency_code=agency, location="/tmp/x")
        s.add(batch)
        s.flush()
        docs = []
        for _ in range(n):
            i = next(_seq)
            docs.append(Document(batch_id=batch.id, file_name=f"{i}.png", sha256=f"{i:064d}", content_type="image/png",
                                 size_bytes=1, page_count=1, province=province, agency_code=agency,
                                 document_type=document_type, status=status, raw_key=f"raw/{i}",
                                 created_at=converted_at, updated_at=converted_at))
        s.add_all(docs)
        s.flush()  # one multi-row INSERT per kind of row: thousands of rows stay fast
        if status not in (DocumentStatus.STORED, DocumentStatus.SYNCED, DocumentStatus.SIGNED):
            return
        results = [Result(document_id=d.id, result_code=f"R{d.id}-KQ1", converter="x", converted_at=converted_at,
                          signer="x", work_key="w", signed_sha256="0" * 64) for d in docs]
        s.add_all(results)
        s.flush()
        if delivered:
            s.add_all([OutboxEvent(result_id=r.id, kind="push", idempotency_key=f"{r.result_code}:push", payload={},
                                   status=OutboxStatus.DELIVERED, delivered_at=converted_at) for r in results])
