"""Progress per province from the results database, for the semiannual report (Art. 26.9, 27.8)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from roadmap.units import mapping_to_2025
from storage.db import session_scope
from storage.models import Document, DocumentStatus

DIGITISED = (DocumentStatus.STORED, DocumentStatus.SYNCED)


def report_period(at: datetime) -> str:
    """Reports are due before 15 June (H1) and before 15 December (H2)."""
    return f"{at.year}-H1" if at.month <= 6 else f"{at.year}-H2"


def semiannual_progress(at: datetime | None = None) -> dict[str, Any]:
    at = at or datetime.now(UTC)
    to_2025 = mapping_to_2025()
    provinces: dict[str, dict[str, int]] = {}
    with session_scope() as s:
        rows = s.execute(select(Document.province, Document.status, func.count())
                         .group_by(Document.province, Document.status)).all()
    for province, status, n in rows:
        entry = provinces.setdefault(to_2025.get(province, province), {
            "total": 0, "digitised": 0, "synced": 0, "in_review": 0, "rejected": 0})
        entry["total"] += n
        if status in DIGITISED:
            entry["digitised"] += n
        if status == DocumentStatus.SYNCED:
            entry["synced"] += n
        if status == DocumentStatus.NEEDS_REVIEW:
            entry["in_review"] += n
        if status == DocumentStatus.REJECTED:
            entry["rejected"] += n
    return {"period": report_period(at), "generated_at": at.isoformat(), "provinces": provinces}
