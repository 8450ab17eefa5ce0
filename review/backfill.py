"""Records made before today's rules, judged again by them (`sohoa backfill`).

Before issue 14, page quality never routed a record and every signed result was `still_valid`. A
record approved by those older rules alone may have a blank page or be an expired paper; this pass
finds them:

- **Waiting, approved by the rules only** (no steward approved it, not signed yet): validated again;
  a page problem or an expired paper sends it back to review with the reason. A record a steward
  approved stays approved (a person decided; an expired one is still caught at signing).
- **In review**: validated again (status kept), so the desk shows the page reasons.
- **Signed**: never changed (a signed result changes only through revocation, Art. 15). Listed when
  the paper was no longer valid on the day it was converted, or has a page to scan again: a person
  decides whether to revoke it (`sohoa revoke`).
- With `measure_pages`, pages measured by an older OCR stage (no `estimated_dpi` in `pages.quality`)
  are measured again from the raw scan (`ocr.quality.assess`; the orientation flags the OCR found are
  kept), before anything is judged.

Safe to repeat: a second run changes nothing. `dry_run` reports without writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actors import actor_name
from review import quality
from review.service import _fields_of
from review.validate import validate_document
from schemas import get_document_type
from schemas.rules import Route, judge_validity
from storage.db import session_scope
from storage.documents import transition
from storage.models import Document, DocumentStatus, Page, Result
from storage.review_models import ReviewAction, ReviewDecision

_ORIENTATION = ("upside_down", "sideways")


@dataclass
class BackfillReport:
    documents: int = 0
    pages_measured: int = 0
    back_to_review: list[tuple[int, str]] = field(default_factory=list)  # (document id, first new reason)
    reasons_refreshed: int = 0
    # Signed results a person should look at: (document id, result code, why)
    signed_expired: list[tuple[int, str, str]] = field(default_factory=list)
    signed_page_problems: list[tuple[int, str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"documents": self.documents, "pages_measured": self.pages_measured,
                "back_to_review": self.back_to_review, "reasons_refreshed": self.reasons_refreshed,
                "signed_expired": self.signed_expired, "signed_page_problems": self.signed_page_problems}


def backfill(*, batch_id: int | None = None, measure_pages: bool = False, store: Any = None,
             settings: Any = None, dry_run: bool = False, actor: str | None = None,
             db_url: str | None = None) -> BackfillReport:
    """Records made under older rules judged by today's; every move names the person running it."""
    actor = actor_name(actor)
    report = BackfillReport()
    with session_scope(db_url) as s:
        q = select(Document).order_by(Document.id)
        if batch_id is not None:
            q = q.where(Document.batch_id == batch_id)
        docs = list(s.scalars(q))
        report.documents = len(docs)
        for doc in docs:
            if measure_pages and store is not None and settings is not None:
                report.pages_measured += _measure_pages(s, doc, store, settings)
            result = s.scalar(select(Result).where(Result.document_id == doc.id))
            if result is not None:
                _judge_signed(s, doc, result, report)
            elif doc.status == DocumentStatus.APPROVED and not _steward_approved(s, doc):
                decision = validate_document(s, doc, keep_status=True, actor=actor)
                if decision.route != Route.APPROVED:  # a person decides now (never rejected by a backfill)
                    new = [r for r in doc.review_reasons if isinstance(r, str)]
                    report.back_to_review.append((doc.id, new[0] if new else ""))
                    transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor=actor, action="return_to_review",
                               detail={"reasons": new})
            elif doc.status == DocumentStatus.NEEDS_REVIEW:
                before = list(doc.review_reasons)
                validate_document(s, doc, keep_status=True, actor=actor)
                report.reasons_refreshed += before != list(doc.review_reasons)
        if dry_run:
            s.rollback()
    return report


def _steward_approved(s: Session, doc: Document) -> bool:
    return s.scalar(select(ReviewDecision.id).where(
        ReviewDecision.document_id == doc.id,
        ReviewDecision.action.in_([ReviewAction.APPROVE, ReviewAction.ARCHIVE])).limit(1)) is not None


def _judge_signed(s: Session, doc: Document, result: Result, report: BackfillReport) -> None:
    try:
        doc_type = get_document_type(doc.document_type)
    except KeyError:
        return
    values = {n: f.value for n, f in _fields_of(s, doc.id).items()}
    judged = judge_validity(doc_type, values, today=result.converted_at.date())  # on the day it was converted
    if result.still_valid and judged.still_valid is False:
        report.signed_expired.append((doc.id, result.result_code, judged.reason))
    problems = [p.reason for p in quality.record_problems(s, doc) if p.rescan]
    if problems:
        report.signed_page_problems.append((doc.id, result.result_code, "; ".join(problems)))


def _measure_pages(s: Session, doc: Document, store: Any, settings: Any) -> int:
    """Measure again the pages an older OCR stage measured (no `estimated_dpi`); the count measured."""
    rows = {p.number: p for p in s.scalars(select(Page).where(Page.document_id == doc.id))}
    if not rows or all("estimated_dpi" in (p.quality or {}) for p in rows.values()):
        return 0
    import ocr
    from ocr.quality import assess

    raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
    measured = 0
    for page in ocr.load_pages(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi):
        row = rows.get(page.number)
        if row is None or "estimated_dpi" in (row.quality or {}):
            continue
        fresh = assess(page.image, page.dpi, dpi_from_file=page.dpi_from_file).to_dict()
        fresh["flags"] = [*fresh["flags"], *(f for f in (row.quality or {}).get("flags", ()) if f in _ORIENTATION)]
        row.quality = fresh
        measured += 1
    s.flush()
    return measured
