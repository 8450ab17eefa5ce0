"""The re-scan queue, steward side: "Yêu cầu quét lại" on a record, the list of papers to scan again
per batch and province (desk page, CSV, `sohoa rescans`), and withdrawing a request.

How a new scan answers a request, and what it replaces, is storage/rescans.py (intake calls it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.units import search_key
from review import quality
from review.service import Reviewer, ReviewError, _reviewable, can_see
from storage.db import session_scope
from storage.documents import transition
from storage.models import Document, DocumentStatus, RescanRequest
from storage.rescans import OPEN
from storage.review_models import ReviewAction, ReviewDecision


def request_rescan(document_id: int, actor: str, reason: str, *, pages: list[int] | None = None,
                   db_url: str | None = None) -> int:
    """Ask for the paper to be scanned again: the record leaves the review queue for the re-scan list
    (status RESCAN) until the new scan arrives. Returns the request's id."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("phải ghi lý do cần quét lại (vd. «trang 2 trắng, thiếu mặt sau»)", "rescan_reason")
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        if doc.status == DocumentStatus.RESCAN:
            raise ReviewError(f"hồ sơ #{doc.id} đã đang chờ quét lại", "rescan_pending")
        if not pages:  # the flagged pages, so the team knows which sheets to put back on the scanner
            pages = sorted({p.page for p in quality.record_problems(s, doc) if p.page is not None and p.rescan})
        request = RescanRequest(document_id=doc.id, batch_id=doc.batch_id, reason=reason, pages=list(pages),
                                requested_by=actor, old_file_name=doc.file_name, old_sha256=doc.sha256,
                                old_raw_key=doc.raw_key)
        s.add(request)
        transition(s, doc, DocumentStatus.RESCAN, actor=actor, action="request_rescan", reason=reason,
                   detail={"pages": list(pages)})
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.RESCAN, reason=reason, actor=actor))
        s.flush()
        return request.id


@dataclass(frozen=True)
class RescanRow:
    document_id: int
    batch_id: int
    province: str
    agency_code: str
    file_name: str
    dossier_code: str | None
    dossier_provisional: bool
    pages: list[int]
    reason: str
    requested_by: str
    requested_at: datetime


def awaiting(user: Reviewer | None = None, *, batch_id: int | None = None, province: str | None = None,
             db_url: str | None = None) -> list[RescanRow]:
    """The papers waiting to be scanned again (open requests), by batch, province and record; only
    the provinces `user` may see (None: all, for the CLI)."""
    with session_scope(db_url) as s:
        q = (select(Document, RescanRequest).join(RescanRequest, RescanRequest.document_id == Document.id)
             .where(RescanRequest.state == OPEN).order_by(Document.batch_id, Document.province, Document.id))
        if batch_id is not None:
            q = q.where(Document.batch_id == batch_id)
        rows = []
        for doc, req in s.execute(q).all():
            if user is not None and not can_see(user, doc.province):
                continue
            if province and search_key(doc.province) != search_key(province):  # accents optional
                continue
            rows.append(RescanRow(doc.id, doc.batch_id, doc.province, doc.agency_code, doc.file_name,
                                  doc.dossier_code, doc.dossier_provisional, list(req.pages or []), req.reason,
                                  req.requested_by, req.requested_at))
        return rows


CSV_HEADER = ("ho_so", "lo", "tinh", "ma_co_quan", "tep", "ma_ho_so", "trang_can_quet_lai", "ly_do",
              "nguoi_yeu_cau", "thoi_diem_utc")


def as_csv(rows: list[RescanRow]) -> str:
    """The list for the scanning team (UTF-8 with BOM, so Excel shows the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([r.document_id, r.batch_id, r.province, r.agency_code, r.file_name,
                         (r.dossier_code or "") + (" (tạm thời)" if r.dossier_provisional else ""),
                         " ".join(map(str, r.pages)) or "tất cả", r.reason, r.requested_by,
                         r.requested_at.strftime("%Y-%m-%d %H:%M")])
    return "\ufeff" + out.getvalue()
