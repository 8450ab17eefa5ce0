"""What a steward does to records, and what the signing side asks of the review desk.

Every change is kept (Art. 12.3): who, when, the old and the new value (FieldChange) and every
decision (ReviewDecision), plus an AuditEntry. A corrected field gets source="steward", which
the pipeline never overwrites, and the record is validated again at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session

from core.actors import actor_name
from core.exitcodes import ExitCode
from core.units import UnknownProvince, name_key, province_2025
from review import duplicates, quality
from review.validate import (  # noqa: F401 (revalidate_document: the desk's name)
    revalidate_document,
    superseded_by,
    unknown_agency_reason,
    unknown_keeping_agency_reason,
    validate_document,
)
from schemas import get_document_type
from schemas.document_types import STILL_VALID_RULE
from schemas.rules import Decision, Severity, judge_validity
from schemas.thresholds import Thresholds, load_thresholds
from storage.db import session_scope
from storage.documents import transition
from storage.models import AuditEntry, Document, DocumentStatus, Field, FieldChange, Page, Result, RuleOutcome
from storage.records import ResultLookup, lookup_result
from storage.rescans import withdraw_open_request
from storage.review_models import ExpectationRun, ReviewAction, ReviewDecision, Role

# A steward may still act on these; signed results change only through revocation (Art. 15).
REVIEWABLE = frozenset({DocumentStatus.NEEDS_REVIEW, DocumentStatus.REJECTED, DocumentStatus.APPROVED,
                        DocumentStatus.RESCAN})


class ReviewError(ValueError):
    """A review action that cannot be done. The message (Vietnamese, with the record's details) is for
    logs and the command line; pages show the fixed text of its `code` (web/review_pages.py), so no
    text travels through a URL (issue 17, finding 9)."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[ReviewError], tuple[str, str]]:  # crosses process pools intact
        return type(self), (str(self), self.code)


# ---------------------------------------------------------------- who sees what
class Reviewer(Protocol):
    """A user as far as access is concerned (a User row or web.auth.CurrentUser)."""

    @property
    def role(self) -> str: ...

    @property
    def province_names(self) -> list[str]: ...


def visible_provinces(user: Reviewer) -> set[str] | None:
    """None: every province (manager, operator). A steward sees the provinces assigned to them,
    under either map: an assignment of "Khánh Hòa" also covers batches filed as "Ninh Thuận"."""
    if user.role != Role.STEWARD:
        return None
    return {_province_2025_name(p) for p in user.province_names}


def can_see(user: Reviewer, province: str) -> bool:
    allowed = visible_provinces(user)
    return allowed is None or _province_2025_name(province) in allowed


def _province_2025_name(province: str) -> str:
    """The 2025 province a name belongs to; a name outside the catalogue stands for itself."""
    try:
        return province_2025(province).name
    except UnknownProvince:
        return province


def can_review(user: Reviewer, province: str) -> bool:
    return user.role in (Role.STEWARD, Role.MANAGER) and can_see(user, province)


# ---------------------------------------------------------------- queue
QUEUE_PAGE = 100  # records on one page of the queue; the next page is asked for by its key (no OFFSET)


@dataclass
class QueueRow:
    document: Document
    min_confidence: float | None
    errors: int
    warnings: int


@dataclass
class Queue:
    rows: list[QueueRow]  # one page, in queue order
    # (batch_id, province) -> {status: count}, over every record the user may see
    counts: dict[tuple[int, str], Counter[str]] = field(default_factory=dict)
    provinces: list[str] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    total: int = 0  # records in the filter, on every page
    next_page: str | None = None  # the key to pass as `after` for the page that follows


# The queue's order: batch, then the least confident record first, then id. Read from
# ix_documents_queue (one status) or ix_documents_queue_all, so a page costs its own rows only.
_ORDER = (Document.batch_id, Document.min_confidence, Document.id)


def _queue_key(doc: Document) -> str:
    return f"{doc.batch_id}_{doc.min_confidence!r}_{doc.id}"


def _parse_key(after: str | None) -> tuple[int, float, int] | None:
    try:
        batch_id, confidence, doc_id = (after or "").split("_")
        return int(batch_id), float(confidence), int(doc_id)
    except ValueError:
        return None


def _scope(s: Session, user: Reviewer, batch_id: int | None, province: str | None, status: str | None,
           document_type: str | None) -> list[Any] | None:
    """The WHERE clauses of a queue view; None when the user may see nothing in it. Provinces are
    matched in Python (can_see, name_key) over the few names batches carry, then sent as IN lists."""
    from storage.models import Batch

    names = set(s.scalars(select(Batch.province).distinct()))
    where: list[Any] = []
    if visible_provinces(user) is not None:
        seen = sorted(p for p in names if can_see(user, p))
        if not seen:
            return None
        where.append(Document.province.in_(seen))
    if province:
        chosen = sorted(p for p in names if name_key(p) == name_key(province))
        if not chosen:
            return None
        where.append(Document.province.in_(chosen))
    if batch_id is not None:
        where.append(Document.batch_id == batch_id)
    if status:
        where.append(Document.status == status)
    if document_type:
        where.append(Document.document_type == document_type)
    return where


def queue(user: Reviewer, *, batch_id: int | None = None, province: str | None = None,
          status: str | None = DocumentStatus.NEEDS_REVIEW, document_type: str | None = None,
          after: str | None = None, limit: int = QUEUE_PAGE, db_url: str | None = None) -> Queue:
    """One page of the records a user may review, doubtful first (lowest field confidence first);
    `after` is the `next_page` of the page before."""
    with session_scope(db_url) as s:
        counts: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
        where = _scope(s, user, None, None, None, None)
        if where is None:
            return Queue([])
        # read from ix_documents_queue_counts alone (province, batch, status)
        for p, b, st, n in s.execute(select(Document.province, Document.batch_id, Document.status, func.count())
                                     .where(*where).group_by(Document.province, Document.batch_id, Document.status)):
            counts[(b, p)][st] += n
        where = _scope(s, user, batch_id, province, status, document_type)
        if where is None:
            return Queue([], dict(counts), sorted({p for _, p in counts}), sorted({b for b, _ in counts}))
        if document_type:
            total = s.scalar(select(func.count()).select_from(Document).where(*where)) or 0
        else:  # the counts above already hold it
            keys = {name_key(province)} if province else None
            total = sum(n for (b, p), c in counts.items()
                        if (batch_id is None or b == batch_id) and (keys is None or name_key(p) in keys)
                        for st, n in c.items() if not status or st == status)
        q = select(Document).where(*where)
        key = _parse_key(after)
        if key is not None:
            q = q.where(tuple_(*_ORDER) > tuple_(*key))
        docs = list(s.scalars(q.order_by(*_ORDER).limit(limit + 1)))
        more = len(docs) > limit
        docs = docs[:limit]
        ids = [d.id for d in docs]
        fails: dict[int, Counter[str]] = defaultdict(Counter)
        if ids:
            for doc_id, severity, n in s.execute(
                    select(RuleOutcome.document_id, RuleOutcome.severity, func.count())
                    .where(RuleOutcome.document_id.in_(ids), RuleOutcome.passed.is_(False))
                    .group_by(RuleOutcome.document_id, RuleOutcome.severity)):
                fails[doc_id][severity] += n
        rows = [QueueRow(d, d.min_confidence if d.min_confidence >= 0 else None,
                         fails[d.id][Severity.ERROR], fails[d.id][Severity.WARNING]) for d in docs]
    return Queue(rows, dict(counts), sorted({p for _, p in counts}), sorted({b for b, _ in counts}), total,
                 _queue_key(docs[-1]) if more else None)


def next_doubtful(user: Reviewer, *, after: int | None = None, batch_id: int | None = None,
                  province: str | None = None, db_url: str | None = None) -> int | None:
    """The next record waiting for review (in queue order), skipping `after`; wraps around.
    Two or three indexed look-ups of one row each, whatever the size of the queue."""
    with session_scope(db_url) as s:
        where = _scope(s, user, batch_id, province, DocumentStatus.NEEDS_REVIEW, None)
        if where is None:
            return None
        first = select(Document.id).where(*where).order_by(*_ORDER).limit(1)
        if after is None:
            return s.scalar(first)
        key = s.execute(select(*_ORDER).where(*where, Document.id == after)).first()
        if key is None:  # `after` left the queue (approved, rejected) or is outside the filter
            return s.scalar(first)
        following = s.scalar(first.where(tuple_(*_ORDER) > tuple_(*key)))
        if following is not None:
            return following
        return s.scalar(first.where(Document.id != after))  # wrap around; None when `after` is alone


# ---------------------------------------------------------------- one record
@dataclass
class FieldView:
    name: str
    label_vi: str
    required: bool
    value: str | None
    confidence: float
    threshold: float
    page: int | None
    bbox: list[Any] | None
    source: str
    failed: list[RuleOutcome]

    @property
    def level(self) -> str:
        """ok | low (under threshold or a warning) | error: the colour of the field on the form."""
        if any(o.severity == Severity.ERROR for o in self.failed):
            return "error"
        if self.failed or (self.value and self.confidence < self.threshold):
            return "low"
        return "ok"


@dataclass
class HistoryEntry:
    at: datetime
    actor: str
    what: str  # correct | approve | reject | change
    field_name: str = ""
    old_value: str | None = None
    new_value: str | None = None
    reason: str = ""


@dataclass
class RecordView:
    document: Document
    fields: list[FieldView]
    record_failures: list[RuleOutcome]
    pages: list[tuple[int, int, int]]  # (number, width, height)
    history: list[HistoryEntry]
    signed: bool
    # Earlier records that are probably the same paper: (their id, how it was found), linked on the page
    duplicates: list[DuplicateLink] = field(default_factory=list)
    # Problems of the scan's pages (blank, too small, blurred, turned, page count): shown per page
    page_problems: list[quality.PageProblem] = field(default_factory=list)
    # The signed versions of this record, oldest first, each with its state and chain (Art. 15)
    results: list[ResultLookup] = field(default_factory=list)


@dataclass(frozen=True)
class DuplicateLink:
    other_id: int
    basis_vi: str  # "cùng cơ quan ban hành, số và ngày" | "ảnh các trang gần như trùng khớp"
    distance: int | None


def record_view(document_id: int, *, thresholds: Thresholds | None = None, db_url: str | None = None) -> RecordView:
    thresholds = thresholds or load_thresholds()
    with session_scope(db_url) as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise LookupError(f"hồ sơ {document_id} không tồn tại")
        stored = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
        outcomes = list(s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == doc.id,
                                                            RuleOutcome.passed.is_(False))))
        try:
            doc_type = get_document_type(doc.document_type)
            specs = [(sp.name, sp.label_vi, sp.required, thresholds.for_field(doc_type, sp)) for sp in doc_type.fields]
        except KeyError:
            specs = [(n, n, False, thresholds.default) for n in sorted(stored)]
        known = {name for name, *_ in specs}
        specs += [(n, n, False, thresholds.default) for n in sorted(stored) if n not in known]
        views = []
        for name, label, required, threshold in specs:
            f = stored.get(name)
            views.append(FieldView(name, label, required, f.value if f else None, f.confidence if f else 0.0,
                                   threshold, f.page if f else None, f.bbox if f else None,
                                   f.source if f else "ocr", [o for o in outcomes if o.field_name == name]))
        record_failures = [o for o in outcomes if o.field_name not in known]
        pages = sorted((p.number, p.width, p.height) for p in doc.pages)
        history = [HistoryEntry(c.changed_at, c.changed_by, "change", c.field_name, c.old_value, c.new_value)
                   for c in s.scalars(select(FieldChange).where(FieldChange.document_id == doc.id))]
        history += [HistoryEntry(d.at, d.actor, d.action, reason=d.reason)
                    for d in s.scalars(select(ReviewDecision).where(ReviewDecision.document_id == doc.id))]
        history.sort(key=lambda h: (h.at, h.what != "change"))
        codes = list(s.scalars(select(Result.result_code).where(Result.document_id == doc.id).order_by(Result.id)))
        if doc.replaces_result_id is not None:  # a re-digitisation: the result it is to replace
            codes.insert(0, s.get_one(Result, doc.replaces_result_id).result_code)
        versions = [v for v in (lookup_result(s, c) for c in dict.fromkeys(codes)) if v is not None]
        # Locked once signed, unless reopened for a corrected version (review.lifecycle.reopen_signed).
        signed = bool(codes) and doc.replaces_result_id is None
        links = [DuplicateLink(p.other_document_id, duplicates.BASIS_VI.get(p.basis, p.basis), p.distance)
                 for p in duplicates.duplicates_of(s, doc.id)]
        problems = quality.record_problems(s, doc)
    return RecordView(doc, views, record_failures, pages, history, signed, links, problems, versions)


# ---------------------------------------------------------------- actions
def _fields_of(s: Session, document_id: int) -> dict[str, Field]:
    return {f.name: f for f in s.scalars(select(Field).where(Field.document_id == document_id))}


@dataclass(frozen=True)
class SigningTerms:
    """How an approved record may be signed (Art. 25.1), judged again on the day of signing."""

    still_valid: bool
    archive_only: bool  # approved by a steward as a scan only (method a), at the agency's wish
    reason: str = ""  # why it is not valid (Vietnamese)

    @property
    def may_sign(self) -> bool:
        return self.still_valid or self.archive_only


def signing_terms(document_id: int, *, today: date | None = None, db_url: str | None = None) -> SigningTerms:
    with session_scope(db_url) as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise LookupError(f"hồ sơ {document_id} không tồn tại")
        last = s.scalar(select(ReviewDecision.action).where(
            ReviewDecision.document_id == doc.id,
            ReviewDecision.action.in_([ReviewAction.APPROVE, ReviewAction.ARCHIVE]))
            .order_by(ReviewDecision.at.desc(), ReviewDecision.id.desc()).limit(1))
        archive = last == ReviewAction.ARCHIVE
        try:
            doc_type = get_document_type(doc.document_type)
        except KeyError:
            return SigningTerms(True, archive)
        values = {n: f.value for n, f in _fields_of(s, doc.id).items()}
        judged = judge_validity(doc_type, values, today=today, superseded_by=superseded_by(s, doc))
        # "cannot tell" (no date read) was a steward's call at approval: signed as valid unless archived
        valid = judged.still_valid is not False and not archive
        return SigningTerms(valid, archive, judged.reason or ("duyệt lưu trữ bản quét" if archive else ""))


def return_to_review(document_id: int, *, actor: str | None = None, db_url: str | None = None) -> None:
    """An approved record that may not be signed any more (it expired since): its rules run again,
    so the reason shows on the desk, and it waits for a steward."""
    with session_scope(db_url) as s:
        doc = s.get_one(Document, document_id)
        validate_document(s, doc, keep_status=True)
        transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor=actor_name(actor), action="return_to_review",
                   detail={"reasons": list(doc.review_reasons)})


def _reviewable(s: Session, document_id: int) -> Document:
    doc = s.get(Document, document_id)
    if doc is None:
        raise LookupError(f"hồ sơ {document_id} không tồn tại")
    signed = s.scalar(select(Result.id).where(Result.document_id == doc.id).limit(1)) is not None
    # A signed record changes only through a new version (review.lifecycle.reopen_signed) or revocation.
    if (signed and doc.replaces_result_id is None) or doc.status not in REVIEWABLE:
        raise ReviewError("hồ sơ đã ký số: chỉ sửa được bằng «Đính chính» (tạo bản thay thế) hoặc thu hồi "
                          "(Điều 15)", "signed")
    return doc


@dataclass(frozen=True)
class Correction:
    changed: tuple[str, ...]  # field names whose value changed
    decision: Decision  # the record validated again


def correct_fields(document_id: int, changes: Mapping[str, str | None], actor: str, *,
                   thresholds: Thresholds | None = None, db_url: str | None = None) -> Correction:
    """Apply a steward's corrections (only values that differ) and validate the record again."""
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        known = set(get_document_type(doc.document_type).field_names)
        stored = _fields_of(s, doc.id)
        changed = []
        for name, raw in changes.items():
            if name not in known:
                raise ReviewError(f"trường «{name}» không thuộc loại giấy tờ này", "unknown_field")
            new = raw.strip() if isinstance(raw, str) else None
            new = new or None
            row = stored.get(name)
            old = row.value if row else None
            if new == old:
                continue
            row = row or Field(document_id=doc.id, name=name)
            # Art. 12.3: the old value is kept in the history, never lost.
            s.add(FieldChange(document_id=doc.id, field_name=name, old_value=old, new_value=new, changed_by=actor))
            row.value, row.source, row.confidence = new, "steward", 1.0  # a person read it off the scan
            s.add(row)
            changed.append(name)
        s.flush()
        if changed:
            s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.CORRECT, reason=", ".join(changed), actor=actor))
            s.add(AuditEntry(actor=actor, action="correct", entity="document", entity_id=str(doc.id),
                             detail={"fields": changed}))
        if doc.status == DocumentStatus.APPROVED or (doc.status == DocumentStatus.REJECTED and changed):
            # a changed record is approved again, explicitly; a corrected rejected one is looked at again
            transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor=actor)
        # a corrected number, body or date may now name another record's paper
        decision = validate_document(s, doc, thresholds=thresholds, keep_status=True, check_duplicates=bool(changed))
        return Correction(tuple(changed), decision)


@dataclass(frozen=True)
class PendingChange:
    """A field a steward changed since the record was last approved: shown once more before approval."""

    name: str
    label_vi: str
    old_value: str | None  # before the first change since the last approval
    new_value: str | None  # now
    last_change_id: int


def unconfirmed_changes(document_id: int, *, db_url: str | None = None) -> list[PendingChange]:
    """Fields changed since the last approval of the record (net: a value typed and typed back is no
    change), in form order. An approval after an edit confirms exactly these."""
    with session_scope(db_url) as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise LookupError(f"hồ sơ {document_id} không tồn tại")
        since = s.scalar(select(func.max(ReviewDecision.at)).where(
            ReviewDecision.document_id == doc.id,
            ReviewDecision.action.in_([ReviewAction.APPROVE, ReviewAction.ARCHIVE])))
        q = select(FieldChange).where(FieldChange.document_id == doc.id).order_by(FieldChange.id)
        if since is not None:
            q = q.where(FieldChange.changed_at > since)
        net: dict[str, list[Any]] = {}
        for c in s.scalars(q):
            if c.field_name in net:
                net[c.field_name][1:] = [c.new_value, c.id]
            else:
                net[c.field_name] = [c.old_value, c.new_value, c.id]
        try:
            doc_type = get_document_type(doc.document_type)
            order = {n: i for i, n in enumerate(doc_type.field_names)}
            labels = {f.name: f.label_vi for f in doc_type.fields}
        except KeyError:
            order, labels = {}, {}
    return [PendingChange(name, labels.get(name, name), old, new, last)
            for name, (old, new, last) in sorted(net.items(), key=lambda kv: (order.get(kv[0], 999), kv[0]))
            if old != new]


def approve_document(document_id: int, actor: str, *, note: str = "", db_url: str | None = None) -> None:
    """Approve a record for signing. With errors left, the steward must say why (note); a value the
    steward typed that fails its field's rules blocks approval whatever the note: a person's entry
    is held to the same rules as the OCR's (a stray "j" in the issuing body is not a correction)."""
    note = note.strip()
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        _refuse_failing_steward_values(s, doc)
        expired = _expired(s, doc)
        if expired:
            raise ReviewError(f"giấy tờ {expired}: không duyệt được như kết quả còn hiệu lực; nếu cơ quan "
                              "muốn số hóa, hãy chọn «Duyệt lưu trữ» (chỉ lưu bản quét, phương thức a)", "expired")
        errors = s.scalar(select(func.count()).select_from(RuleOutcome).where(
            RuleOutcome.document_id == doc.id, RuleOutcome.passed.is_(False), RuleOutcome.severity == Severity.ERROR))
        if errors and not note:
            raise ReviewError(f"còn {errors} lỗi: hãy sửa, hoặc ghi rõ lý do duyệt dù còn lỗi", "errors_left")
        rescan = [p for p in quality.record_problems(s, doc) if p.rescan]
        if rescan and not note:  # a blank, missing or unreadable page is not signed by accident
            raise ReviewError(f"bản quét có trang cần quét lại ({'; '.join(p.reason for p in rescan)}): hãy "
                              "«Yêu cầu quét lại», hoặc ghi rõ lý do vẫn duyệt", "rescan")
        authority = s.scalar(select(Field.value).where(Field.document_id == doc.id, Field.name == "issuing_authority"))
        unknown = unknown_agency_reason(s, doc, authority) or unknown_keeping_agency_reason(s, doc)
        if unknown is not None:
            # No note overrides it: the warehouse takes the issuing agency by its catalogue code, never as free text.
            raise ReviewError(unknown, "unknown_agency")
        same = [f"#{p.other_document_id}" for p in duplicates.duplicates_of(s, doc.id)]
        if same and not note:  # never a second signed result of one paper by accident
            raise ReviewError(f"hồ sơ có thể trùng với hồ sơ {', '.join(same)}: ghi rõ lý do vẫn duyệt, "
                              "hoặc từ chối bản trùng", "duplicate")
        withdraw_open_request(s, doc, actor, "duyệt không chờ bản quét lại")
        transition(s, doc, DocumentStatus.APPROVED, actor=actor, action="approve",
                   detail={"note": note, "errors_overridden": errors})
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.APPROVE, reason=note, actor=actor))


def _expired(s: Session, doc: Document) -> str | None:
    """The reason the record's paper is no longer valid (the still_valid rule failed), else None."""
    row = s.scalar(select(RuleOutcome).where(RuleOutcome.document_id == doc.id,
                                             RuleOutcome.rule == STILL_VALID_RULE.code,
                                             RuleOutcome.passed.is_(False)))
    return row.message if row is not None else None


def approve_archive_only(document_id: int, actor: str, *, note: str, db_url: str | None = None) -> None:
    """Art. 25.1: an expired paper, digitised because the agency wants it kept: signed as a scan only
    (method a), with still_valid false and no structured data. The agency's decision is the note."""
    note = note.strip()
    if not note:
        raise ReviewError("phải ghi rõ quyết định của cơ quan (vd. «cơ quan yêu cầu lưu trữ bản quét»)", "archive_note")
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        _refuse_failing_steward_values(s, doc)
        expired = _expired(s, doc)
        if not expired:
            raise ReviewError("giấy tờ còn hiệu lực: duyệt bình thường, không duyệt lưu trữ", "still_valid")
        withdraw_open_request(s, doc, actor, "duyệt lưu trữ không chờ bản quét lại")
        transition(s, doc, DocumentStatus.APPROVED, actor=actor, action="approve_archive_only",
                   detail={"note": note, "why": expired, "method": "a"})
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.ARCHIVE, reason=note, actor=actor))


def _refuse_failing_steward_values(s: Session, doc: Document) -> None:
    failed = s.scalars(select(RuleOutcome).where(
        RuleOutcome.document_id == doc.id, RuleOutcome.passed.is_(False), RuleOutcome.severity == Severity.ERROR))
    typed = {n for n, f in _fields_of(s, doc.id).items() if f.source == "steward"}
    own = [o for o in failed if o.field_name in typed]
    if own:
        labels = _labels(doc.document_type)
        what = "; ".join(f"«{labels.get(o.field_name, o.field_name)}»: {o.message}" for o in own)
        raise ReviewError(f"giá trị cán bộ nhập không đạt quy tắc kiểm tra, chưa duyệt được — {what}",
                          "steward_values")


def check_steward_values(document_id: int, *, db_url: str | None = None) -> None:
    """Raise ReviewError when a value a steward typed fails an error rule of its field."""
    with session_scope(db_url) as s:
        _refuse_failing_steward_values(s, _reviewable(s, document_id))


def _labels(document_type: str) -> dict[str, str]:
    try:
        return {f.name: f.label_vi for f in get_document_type(document_type).fields}
    except KeyError:
        return {}


def reject_document(document_id: int, actor: str, reason: str, *, db_url: str | None = None) -> None:
    reason = reason.strip()
    if not reason:
        raise ReviewError("phải ghi lý do từ chối", "reject_reason")
    with session_scope(db_url) as s:
        doc = _reviewable(s, document_id)
        withdraw_open_request(s, doc, actor, "từ chối")
        transition(s, doc, DocumentStatus.REJECTED, actor=actor, action="reject", reason=reason)
        doc.review_reasons = [*doc.review_reasons, f"từ chối bởi {actor}: {reason}"]
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.REJECT, reason=reason, actor=actor))


# ---------------------------------------------------------------- release for signing
# Approved and waiting for a signature: never signed, or a new version of a signed result (a
# correction after signing, a re-digitisation, a re-keyed provisional code).
_UNSIGNED_APPROVED = and_(Document.status == DocumentStatus.APPROVED,
                          or_(Document.replaces_result_id.is_not(None),
                              ~exists().where(Result.document_id == Document.id)))


def approved_unsigned(batch_id: int | None = None, *, db_url: str | None = None) -> list[int]:
    """Documents approved (by the rules or a steward) that have no signed result yet."""
    with session_scope(db_url) as s:
        q = select(Document.id).where(_UNSIGNED_APPROVED).order_by(Document.id)
        if batch_id is not None:
            q = q.where(Document.batch_id == batch_id)
        return list(s.scalars(q))


def approved_unsigned_batches(*, db_url: str | None = None) -> list[int]:
    with session_scope(db_url) as s:
        q = (select(Document.batch_id).where(_UNSIGNED_APPROVED)
             .group_by(Document.batch_id).order_by(Document.batch_id))
        return list(s.scalars(q))


# ---------------------------------------------------------------- batch report
@dataclass
class StewardThroughput:
    actor: str
    decisions: Counter[str]
    records: int
    first: datetime
    last: datetime

    @property
    def per_hour(self) -> float | None:
        hours = (self.last - self.first).total_seconds() / 3600
        return self.records / hours if hours > 1 / 60 else None


@dataclass
class BatchReport:
    batch_id: int
    province: str
    agency_code: str
    by_status: Counter[str]
    failures_by_rule: Counter[tuple[str, str]]  # (rule, severity)
    failures_by_field: Counter[str]
    stewards: list[StewardThroughput]
    expectation_runs: list[ExpectationRun]
    report_key: str | None
    # (document id, file name, problem): the pages to check or scan again, in record order
    page_problems: list[tuple[int, str, quality.PageProblem]] = field(default_factory=list)


def batch_report(batch_id: int, *, db_url: str | None = None) -> BatchReport:
    from storage.models import Batch

    with session_scope(db_url) as s:
        batch = s.get(Batch, batch_id)
        if batch is None:
            raise LookupError(f"lô {batch_id} không tồn tại")
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id)))
        ids = [d.id for d in docs]
        failed = list(s.scalars(select(RuleOutcome).where(RuleOutcome.document_id.in_(ids),
                                                          RuleOutcome.passed.is_(False)))) if ids else []
        decisions = list(s.scalars(select(ReviewDecision).where(ReviewDecision.document_id.in_(ids))
                                   .order_by(ReviewDecision.at))) if ids else []
        runs = list(s.scalars(select(ExpectationRun).where(ExpectationRun.batch_id == batch_id)
                              .order_by(ExpectationRun.document_type)))
        by_actor: dict[str, list[ReviewDecision]] = defaultdict(list)
        for d in decisions:
            by_actor[d.actor].append(d)
        stewards = [StewardThroughput(actor, Counter(d.action for d in items),
                                      len({d.document_id for d in items if d.action != ReviewAction.CORRECT}),
                                      items[0].at, items[-1].at)
                    for actor, items in sorted(by_actor.items())]
        pages: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        if ids:
            for doc_id, number, measured in s.execute(select(Page.document_id, Page.number, Page.quality)
                                                      .where(Page.document_id.in_(ids))):
                pages[doc_id].append((number, measured or {}))
        problems = [(d.id, d.file_name, p) for d in sorted(docs, key=lambda d: d.id)
                    for p in quality.page_problems(pages[d.id], page_count=d.page_count,
                                                   manifest_pages=d.manifest_pages)]
        return BatchReport(batch_id, batch.province, batch.agency_code, Counter(d.status for d in docs),
                           Counter((o.rule, o.severity) for o in failed),
                           Counter(o.field_name or "(hồ sơ)" for o in failed), stewards, runs, batch.report_key,
                           problems)
