"""The one writer of rule outcomes and routing: a record checked against its type's rules
(`schemas.rules.validate_record`), its outcomes and reasons written back, its route turned into a
status. The validate stage (`validate_batch`) and the stewards' desk (`review.service`: a
correction, a record sent back before signing) both call `validate_document`.

Applied here and nowhere else:
- the reasons earlier stages left (page count, an undeclared kind) are kept, the rule messages of the
  last validation are recomputed;
- page quality (`review.quality`): a blank, seal-only, too small, blurred or turned page, or a page
  count the manifest disagrees with, is a reason naming the page: never approved by the rules alone;
- a kind the schemas do not declare is checked as the general administrative document, never
  rejected for its kind; a general document and a provisional dossier code always go to a person;
- still valid (Art. 25.1): the dates of the type's validity, and on the desk a later record of the
  same subject that supersedes a SUPERSEDED type (`superseded_by`);
- probable duplicates (`review.duplicates.route_duplicates`): never straight to signing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.crashpoints import crash_point
from core.settings import Settings, get_settings
from review import duplicates, quality
from review.report import render_validation_report
from schemas import get_document_type
from schemas.document_types import GENERAL_TYPE_CODE, DocumentType, ValidityKind
from schemas.rules import Decision, FieldInput, Route, parse_iso, validate_record
from schemas.thresholds import Thresholds, load_thresholds
from storage import keys
from storage.db import session_scope
from storage.documents import StageRun, pipeline_actor, refresh_min_confidence, stage_todo, transition
from storage.models import Batch, Document, DocumentStatus, Field, QuarantineEntry, RuleOutcome
from storage.objects import ObjectStore
from storage.records import agency_code_by_name, catalogue_loaded

ROUTE_STATUS = {Route.APPROVED: DocumentStatus.APPROVED, Route.NEEDS_REVIEW: DocumentStatus.NEEDS_REVIEW,
                Route.REJECTED: DocumentStatus.REJECTED}
PROVISIONAL_REASON = "mã hồ sơ tạm thời (giấy tờ cũ không có mã hồ sơ)"
UNKNOWN_AGENCY_PREFIX = "cơ quan ban hành không có trong danh mục mã định danh"
UNKNOWN_KEEPER_PREFIX = "cơ quan lưu giữ (mã của lô) không có trong danh mục mã định danh"


def unknown_agency_reason(s: Session, doc: Document, issuing_authority: str | None) -> str | None:
    """Once the national catalogue of agency codes is loaded, an issuing agency it does not know (or
    names twice) is a reason for a steward: the warehouse gets agencies by code, never free text.
    The steward corrects the name to the catalogue's, or the catalogue gains the printed form."""
    if not catalogue_loaded(s):
        return None
    if issuing_authority and agency_code_by_name(s, doc.province, issuing_authority):
        return None
    return f"{UNKNOWN_AGENCY_PREFIX}: «{issuing_authority or ''}» (sửa theo tên trong danh mục, hoặc bổ sung " \
           "tên in trên giấy tờ vào danh mục bằng «sohoa agencies import»)"
def unknown_keeping_agency_reason(s: Session, doc: Document) -> str | None:
    """Once the national catalogue is loaded, the keeping agency (the batch's agency code) must be one of
    its codes too: the warehouse gets both agencies by code. Fixed in the catalogue, not on the record."""
    from storage.models import CatalogueAgency

    if not catalogue_loaded(s) or s.scalar(select(CatalogueAgency.id).where(
            CatalogueAgency.code == doc.agency_code)) is not None:
        return None
    return f"{UNKNOWN_KEEPER_PREFIX}: «{doc.agency_code}» (bổ sung cơ quan vào danh mục bằng " \
           "«sohoa agencies import», rồi kiểm tra lại)"


GENERAL_TYPE_REASON = "văn bản hành chính chung (không có mẫu riêng): người duyệt xác nhận loại văn bản"


def undeclared_type_reason(document_type: str) -> str:
    return f"loại giấy tờ «{document_type}» chưa có trong danh mục"


def validate_document(s: Session, doc: Document, *, thresholds: Thresholds | None = None, keep_status: bool = False,
                      check_duplicates: bool = False, check_superseded: bool = True,
                      actor: str | None = None) -> Decision:
    """Validate one record in an open session: rule outcomes replaced (stale ones removed), reasons
    and (unless `keep_status`) status updated; the Decision returned carries the final route.

    With keep_status, a record a steward is working on stays in review whatever the rules say: only
    the steward approves or rejects it. `check_duplicates` looks for an earlier record of the same
    paper (the validate stage always; the desk after a correction changed a value).
    `check_superseded` looks for a later record of the same subject (still valid, Art. 25.1): the
    desk and the signing side do; the validate stage does not, as it checks a batch's records before
    any of them is approved (a later one in the same batch is judged when signing, `signing_terms`)."""
    try:
        doc_type = get_document_type(doc.document_type)
        unknown = None
    except KeyError:  # never rejected for its kind: checked as a general document, by a person
        doc_type = get_document_type(GENERAL_TYPE_CODE)
        unknown = undeclared_type_reason(doc.document_type)
    fields = {f.name: FieldInput(f.value, f.confidence)
              for f in s.scalars(select(Field).where(Field.document_id == doc.id))}
    # Keep flags from earlier stages (page count, provisional mã hồ sơ); drop the rule messages of the
    # last validation, which this one recomputes.
    rule_prefixes = rule_reason_prefixes(doc_type)
    extra = tuple(r for r in doc.review_reasons
                  if not (isinstance(r, str) and r.startswith((*rule_prefixes, UNKNOWN_AGENCY_PREFIX,
                                                               UNKNOWN_KEEPER_PREFIX))))
    authority = fields["issuing_authority"].value if "issuing_authority" in fields else None
    for agency in (unknown_agency_reason(s, doc, authority), unknown_keeping_agency_reason(s, doc)):
        if agency is not None:
            extra += (agency,)
    for reason, applies in ((unknown, unknown is not None), (GENERAL_TYPE_REASON, doc_type.code == GENERAL_TYPE_CODE),
                            (PROVISIONAL_REASON, doc.dossier_provisional)):
        if applies and reason not in extra:
            extra += (reason,)
    # Page quality, measured again from pages.quality: a blank or too coarse page is never auto-approved.
    extra = quality.with_quality_reasons(s, doc, extra)
    decision = validate_record(doc_type, fields, extra_reasons=extra, thresholds=thresholds or load_thresholds(),
                               province=doc.province, agency_code=doc.agency_code,
                               superseded_by=superseded_by(s, doc) if check_superseded else None)
    _write_outcomes(s, doc.id, decision)
    refresh_min_confidence(s, doc)
    route, reasons = decision.route, list(decision.reasons)
    if check_duplicates:  # "có thể trùng": never straight to signing
        route, reasons = duplicates.route_duplicates(s, doc, route, reasons)
    doc.review_reasons = reasons
    if not keep_status:
        transition(s, doc, ROUTE_STATUS[route], actor=actor or pipeline_actor(), stage="validate")
    return replace(decision, route=route)


def rule_reason_prefixes(doc_type: DocumentType) -> tuple[str, ...]:
    """How the reasons a validation of this type wrote begin (validate_record: "<label>: <message>")."""
    names = (*doc_type.field_names, *(f.label_vi for f in doc_type.fields), "hồ sơ")
    return tuple(f"{n}: " for n in names) + ("không đọc được",)


def _write_outcomes(s: Session, document_id: int, decision: Decision) -> None:
    existing = {(o.rule, o.field_name): o
                for o in s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == document_id))}
    seen = set()
    for o in decision.outcomes:
        key = (o.rule, o.field_name)
        seen.add(key)
        row = existing.get(key) or RuleOutcome(document_id=document_id, rule=o.rule, field_name=o.field_name)
        row.severity, row.passed, row.message = o.severity, o.passed, o.message
        s.add(row)
    for key, row in existing.items():
        if key not in seen:
            s.delete(row)


def superseded_by(s: Session, doc: Document) -> str | None:
    """For a type replaced by later results (ValidityKind.SUPERSEDED): the later record of the same
    type and province whose subject fields are equal, as "hồ sơ #N (ngày …)"; else None."""
    try:
        validity = get_document_type(doc.document_type).validity
    except KeyError:
        return None
    if validity.kind is not ValidityKind.SUPERSEDED or not validity.subject_fields:
        return None
    mine = _fields_of(s, doc.id)
    subject = {n: (mine[n].value or "").strip() for n in validity.subject_fields if n in mine}
    issued = parse_iso(mine["issue_date"].value if "issue_date" in mine else None)
    if len(subject) < len(validity.subject_fields) or not all(subject.values()) or issued is None:
        return None
    # Candidates through the first subject field's value (indexed look-up, not a scan of every record).
    first, value = next(iter(subject.items()))
    candidates = s.scalars(select(Field.document_id).join(Document, Document.id == Field.document_id).where(
        Field.name == first, Field.value == value, Document.document_type == doc.document_type,
        Document.province == doc.province, Document.id != doc.id, Document.status != DocumentStatus.REJECTED))
    for other_id in sorted(set(candidates)):
        theirs = _fields_of(s, other_id)
        if all((theirs[n].value or "").strip() == v if n in theirs else False for n, v in subject.items()):
            later = parse_iso(theirs["issue_date"].value if "issue_date" in theirs else None)
            if later is not None and later > issued:
                return f"hồ sơ #{other_id} (ngày {later:%d/%m/%Y})"
    return None


def _fields_of(s: Session, document_id: int) -> dict[str, Field]:
    return {f.name: f for f in s.scalars(select(Field).where(Field.document_id == document_id))}


#: The name the desk and its tests know: validate a record again (no duplicates check unless asked).
revalidate_document = validate_document


# ---------------------------------------------------------------- the validate stage's door
def validate_batch(batch_id: int, settings: Settings | None = None, store: ObjectStore | None = None) -> dict[str, Any]:
    """Route every extracted record of the batch, then write the batch's report and run its suites."""
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    routed = validate_documents(batch_id, settings)
    crash_point("validate.after_commit")
    return {**routed, **validation_report(batch_id, sum(routed["routes"].values()), settings, store)}


def validate_documents(batch_id: int, settings: Settings | None = None, *,
                       document_ids: Collection[int] | None = None) -> dict[str, Any]:
    """Route the batch's extracted records (only those of `document_ids`, one chunk, when given):
    the per-document half of the stage, which chunks of a batch run side by side."""
    thresholds = load_thresholds(settings or get_settings())
    counts = {r.value: 0 for r in Route}
    run = StageRun("validate", batch_id)
    for doc in stage_todo(batch_id, "validate", DocumentStatus.EXTRACTED, only=document_ids):
        with run.document(doc):
            with session_scope() as s:
                route = validate_document(s, s.get_one(Document, doc.id), thresholds=thresholds,
                                          check_duplicates=True, check_superseded=False).route
            counts[route] += 1
    return {"batch_id": batch_id, "routes": counts, "failed": run.failed}


def validation_report(batch_id: int, routed: int, settings: Settings | None = None,
                      store: ObjectStore | None = None) -> dict[str, Any]:
    """The batch half of the stage, once every chunk is routed: the report, and the expectation
    suites when `routed` records were routed now (or the batch never had them run)."""
    from review.ge import run_batch_expectations

    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    report_key = write_validation_report(batch_id, settings, store)
    expectations: dict[str, Any] = {}
    # Data Docs pages are keyed by run: re-running the suites for an unchanged batch would only add objects.
    if routed or not _has_expectation_runs(batch_id):
        expectations = run_batch_expectations(batch_id, settings, store)
    return {"report": f"s3://{store.bucket('reports')}/{report_key}",
            "expectations": {k: expectations.get(k) for k in ("seconds", "success", "data_docs")}}


def _has_expectation_runs(batch_id: int) -> bool:
    from storage.review_models import ExpectationRun

    with session_scope() as s:
        return (s.scalar(select(func.count()).select_from(ExpectationRun)
                         .where(ExpectationRun.batch_id == batch_id)) or 0) > 0


def write_validation_report(batch_id: int, settings: Settings, store: ObjectStore) -> str:
    with session_scope() as s:
        batch = s.get_one(Batch, batch_id)
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        outcomes = list(s.scalars(select(RuleOutcome).join(Document).where(Document.batch_id == batch_id)))
        quarantined = list(s.scalars(select(QuarantineEntry).where(QuarantineEntry.batch_id == batch_id)))
        fields = list(s.scalars(select(Field).join(Document).where(Document.batch_id == batch_id)))
        html = render_validation_report(batch, docs, fields, outcomes, quarantined)
        key = keys.report_key(batch_id, "validation.html")
        store.put_bytes(store.bucket("reports"), key, html.encode("utf-8"), content_type="text/html; charset=utf-8")
        local = settings.home / "reports" / f"batch-{batch_id}-validation.html"
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(html, encoding="utf-8")
        batch.report_key = key
    return key
