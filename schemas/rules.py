"""Field rules per document type, and the routing of a record (approve / review / reject).

Pure functions over extracted values. The rules themselves are declared in
schemas.document_types (RuleSpec: code, severity, label); this module implements them. The
validate stage, the review desk and the Great Expectations suites all use these declarations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.identifiers import (
    CitizenIdKind,
    check_citizen_id,
    check_tax_code,
    is_agency_code,
    is_document_number,
)
from core.text import VIETNAMESE_MARKS, fold_words, nfc, vn_number
from core.units import is_province
from schemas.document_types import (
    AGENCY_IN_CATALOGUE,
    CONFIDENCE_RULE,
    DOCUMENT_TYPES,
    ISSUED_AFTER_BIRTH,
    KIND_RULES,
    PROVINCE_IN_CATALOGUE,
    REQUIRED_RULE,
    SIGNER_MATCHES_AUTHORITY,
    STILL_VALID_RULE,
    TITLE_MATCHES_TYPE,
    WITHHELD_RULE,
    DocumentType,
    FieldKind,
    RuleSpec,
    Severity,
    ValidityKind,
)
from schemas.thresholds import Thresholds

__all__ = [
    "AUTHORITY_REGEX", "EARLIEST_DATE", "Decision", "FieldInput", "Outcome", "Route", "Severity",
    "ValidityJudgement", "check_authority", "check_name", "judge_validity", "parse_iso", "signer_title_fits",
    "validate_record",
]

EARLIEST_DATE = date(1945, 9, 2)  # the state's founding: no valid result is older
# Fewer required fields than this share read at all: the scan is unreadable, re-scan it.
UNREADABLE_SHARE = 0.25


class Route(StrEnum):
    APPROVED = "approved"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


@dataclass(frozen=True)
class FieldInput:
    value: str | None
    confidence: float


@dataclass(frozen=True)
class Outcome:
    rule: str
    field_name: str
    severity: Severity
    passed: bool
    message: str


@dataclass(frozen=True)
class Decision:
    route: Route
    outcomes: tuple[Outcome, ...]
    reasons: tuple[str, ...]
    # Doubtful optional fields of an approved record, left out of its signed data (WITHHELD_RULE).
    withheld: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)


# A body's name: letters in at least two words, and at least four letters in all (see KIND_RULES).
AUTHORITY_REGEX = r"^(?=.*[^\W\d_].*\s.*[^\W\d_])(?:[\W\d_]*[^\W\d_]){4}"
_AUTHORITY = re.compile(AUTHORITY_REGEX, re.DOTALL)


def parse_iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def check_authority(value: str) -> bool:
    """The name of an issuing body, not a stray letter: two words or more, four letters or more."""
    return bool(_AUTHORITY.match(value))


def check_name(value: str) -> bool:
    """A person's name in Vietnamese letters: at least two words, letters and tone marks only.

    Latin base letters plus đ, with Vietnamese marks as combining characters after NFD; anything
    else (digits, Cyrillic, CJK) is not a name."""
    words = value.split()
    if len(words) < 2:
        return False
    for word in words:
        for ch in unicodedata.normalize("NFD", word):
            if ch in "đĐ" or ("a" <= ch.lower() <= "z") or ch in VIETNAMESE_MARKS:
                continue
            return False
    return True


def _id_number_outcome(number: str, birth: date | None) -> tuple[Severity | None, str]:
    """The CCCD/CMND structure check (core.identifiers) as a rule outcome: a legacy 9-digit CMND is
    accepted and flagged as a warning (its structure says nothing), a wrong CCCD is an error."""
    check = check_citizen_id(number, birth)
    if check.kind is CitizenIdKind.CMND:
        return Severity.WARNING, "số CMND 9 chữ số (giấy tờ cũ), cần đối chiếu CCCD"
    return (None, "") if check.ok else (Severity.ERROR, check.problem)


# (what the issuing body's most specific unit contains, titles whoever signs for it may hold)
_SIGNERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phong", ("truong phong",)),
    ("chi cuc", ("chi cuc truong",)),
    ("cuc", ("cuc truong",)),
    ("so", ("giam doc",)),
    ("bo", ("bo truong", "thu truong")),
    ("uy ban nhan dan", ("chu tich",)),
    ("ubnd", ("chu tich",)),
)


def signer_title_fits(issuing_authority: str, signer_title: str) -> bool | None:
    """Whether the signer's title belongs to the issuing body (Decree 30 signing authority).

    None when the body is of no kind we know. The most specific unit is the last line of the
    header: "UBND HUYỆN VẠN NINH / PHÒNG TÀI CHÍNH - KẾ HOẠCH" is signed by (Phó) Trưởng phòng."""
    body, title = fold_words(issuing_authority), fold_words(signer_title)
    words = body.split()
    last_at = -1
    expected: tuple[str, ...] | None = None
    for unit, titles in _SIGNERS:
        unit_words = unit.split()
        for i in range(len(words) - len(unit_words) + 1):
            if words[i:i + len(unit_words)] == unit_words and i > last_at:
                last_at, expected = i, titles
    if expected is None:
        return None
    return any(t in title for t in expected)


def add_months(day: date, months: int) -> date:
    """The same day N calendar months later (the last day of the month when it has fewer days)."""
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ValidityJudgement:
    """What the extracted evidence says about Art. 25.1 on a given day."""

    still_valid: bool | None  # None: cannot tell (the date it depends on was not read)
    valid_until: date | None = None
    reason: str = ""  # Vietnamese, for the steward


def judge_validity(doc_type: DocumentType, values: dict[str, str | None], *, today: date | None = None,
                   superseded_by: str | None = None) -> ValidityJudgement:
    """Judge a record's validity from its type's declaration and its extracted values.

    `superseded_by` names a later result of the same type for the same subject (found by the caller,
    who can see the other records); only types declared SUPERSEDED use it."""
    today = today or date.today()
    rule = doc_type.validity
    basis = f" ({rule.basis_vi})" if rule.basis_vi else ""
    if rule.kind is ValidityKind.NO_EXPIRY:
        return ValidityJudgement(True)
    if rule.kind is ValidityKind.SUPERSEDED:
        if superseded_by:
            return ValidityJudgement(False, reason=f"đã hết hiệu lực: đã được thay thế bởi {superseded_by}{basis}")
        return ValidityJudgement(True)
    until: date | None
    if rule.kind is ValidityKind.MONTHS_FROM_ISSUE:
        issued = parse_iso(values.get("issue_date"))
        if issued is None or not rule.months:
            return ValidityJudgement(None, reason="không xác định được hiệu lực: chưa đọc được ngày cấp")
        until = add_months(issued, rule.months)
    else:
        until = parse_iso(values.get(rule.field or ""))
        if until is None:
            return ValidityJudgement(None, reason="không xác định được hiệu lực: chưa đọc được ngày hết hạn")
    if today > until:
        return ValidityJudgement(False, until, f"đã hết hiệu lực (có giá trị đến hết ngày {until:%d/%m/%Y}){basis}")
    return ValidityJudgement(True, until)


def _title_type(title: str) -> str | None:
    """The document type whose title keywords a printed title carries (longest keyword wins)."""
    folded = fold_words(title)
    best: tuple[int, str] | None = None
    for code, doc_type in DOCUMENT_TYPES.items():
        for keyword in doc_type.title_keywords:
            k = fold_words(keyword)
            if k and k in folded and (best is None or len(k) > best[0]):
                best = (len(k), code)
    return best[1] if best else None


def validate_record(doc_type: DocumentType, fields: dict[str, FieldInput], *,
                    today: date | None = None, extra_reasons: tuple[str, ...] = (),
                    thresholds: Thresholds | None = None, province: str | None = None,
                    agency_code: str | None = None, superseded_by: str | None = None) -> Decision:
    """Check one record against its type's declared rules and route it.

    Routing: REJECTED when unreadable (almost no required field read) or of the wrong type (its
    printed title names another type); APPROVED when no rule failed and every field reached its
    confidence threshold; NEEDS_REVIEW otherwise. `province`/`agency_code` (the batch's) enable the
    catalogue look-ups; `thresholds` defaults to the declarations."""
    today = today or date.today()
    thresholds = thresholds or Thresholds()
    outcomes: list[Outcome] = []

    def add(rule: RuleSpec, name: str, passed: bool, message: str = "", severity: Severity | None = None) -> None:
        outcomes.append(Outcome(rule.code, name, severity or rule.severity, passed, message))

    def value_of(name: str) -> str | None:
        item = fields.get(name)
        return nfc(item.value.strip()) if item and item.value and item.value.strip() else None

    for spec in doc_type.fields:
        item = fields.get(spec.name, FieldInput(None, 0.0))
        value = value_of(spec.name)
        if not value:
            if spec.required:
                add(REQUIRED_RULE, spec.name, False, f"thiếu trường bắt buộc «{spec.label_vi}»")
            continue
        if spec.required:
            add(REQUIRED_RULE, spec.name, True)
        kind_rule = KIND_RULES.get(spec.kind)
        if spec.kind is FieldKind.DATE:
            parsed = parse_iso(value)
            ok = parsed is not None and EARLIEST_DATE <= parsed <= today
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không phải ngày hợp lệ trong khoảng 02/9/1945 – hôm nay")
        elif spec.kind is FieldKind.DOCUMENT_NUMBER:
            ok = is_document_number(value)
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không đúng dạng số/ký hiệu (vd. 1234/QĐ-UBND)")
        elif spec.kind is FieldKind.NAME:
            ok = check_name(value)
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không phải họ tên bằng chữ cái tiếng Việt")
        elif spec.kind is FieldKind.AUTHORITY:
            ok = check_authority(value)
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không phải tên đầy đủ của một cơ quan")
        elif spec.kind is FieldKind.ID_NUMBER:
            severity, why = _id_number_outcome(value, parse_iso(value_of("holder_birth_date")))
            add(kind_rule, spec.name, severity is None, why, severity)  # type: ignore[arg-type]
        elif spec.kind is FieldKind.TAX_CODE:
            why = check_tax_code(value)
            add(kind_rule, spec.name, not why, why)  # type: ignore[arg-type]
        threshold = thresholds.for_field(doc_type, spec)
        ok = item.confidence >= threshold
        add(CONFIDENCE_RULE, spec.name, ok, "" if ok else f"độ tin cậy {vn_number(item.confidence, 2)} < ngưỡng {vn_number(threshold, 2)}")

    declared = {r.code for r in doc_type.rules}
    wrong_type: str | None = None
    if TITLE_MATCHES_TYPE.code in declared and (title := value_of("title")):
        found = _title_type(title)
        ok = found == doc_type.code
        if found and not ok:
            wrong_type = found
        add(TITLE_MATCHES_TYPE, "title", ok, "" if ok else (
            f"tên loại «{title}» là {DOCUMENT_TYPES[found].name_vi}, không phải {doc_type.name_vi}" if found
            else f"tên loại «{title}» không khớp {doc_type.name_vi}"))
    if SIGNER_MATCHES_AUTHORITY.code in declared:
        authority, signer = value_of("issuing_authority"), value_of("signer_title")
        fits = signer_title_fits(authority, signer) if authority and signer else None
        if fits is not None:
            add(SIGNER_MATCHES_AUTHORITY, "signer_title", fits,
                "" if fits else f"chức vụ «{signer}» không phù hợp cơ quan «{authority}»")
    if ISSUED_AFTER_BIRTH.code in declared:
        issued, born = parse_iso(value_of("issue_date")), parse_iso(value_of("holder_birth_date"))
        if issued and born:
            add(ISSUED_AFTER_BIRTH, "issue_date", issued > born,
                "" if issued > born else "ngày ban hành trước ngày sinh của người được cấp")
    if PROVINCE_IN_CATALOGUE.code in declared and province is not None:
        ok = is_province(province)
        add(PROVINCE_IN_CATALOGUE, "", ok, "" if ok else f"tỉnh «{province}» không có trong danh mục")
    if AGENCY_IN_CATALOGUE.code in declared and agency_code is not None:
        ok = is_agency_code(agency_code)
        add(AGENCY_IN_CATALOGUE, "", ok, "" if ok else f"mã cơ quan «{agency_code}» không đúng dạng mã định danh")

    # Art. 25.1: an expired paper is not converted as a valid result; a steward decides (archive only).
    validity = judge_validity(doc_type, {n: value_of(n) for n in fields}, today=today, superseded_by=superseded_by)
    if doc_type.validity.kind is not ValidityKind.NO_EXPIRY and validity.still_valid is not None:
        add(STILL_VALID_RULE, "", bool(validity.still_valid), validity.reason)

    failed = [o for o in outcomes if not o.passed]
    labels = {f.name: f.label_vi for f in doc_type.fields}  # stewards read Vietnamese labels, not field codes
    # A record held back only by doubtful optional fields outside the contract is approved without
    # them: their failures stay on record, and a WITHHELD outcome each tells signing to leave them out.
    field_rules = {CONFIDENCE_RULE.code, REQUIRED_RULE.code, *(r.code for r in KIND_RULES.values())}
    withholdable = {sp.name for sp in doc_type.fields if sp.withholdable}
    doubtful = sorted({o.field_name for o in failed if o.field_name in withholdable and o.rule in field_rules},
                      key=[sp.name for sp in doc_type.fields].index)
    blocking = [o for o in failed if not (o.field_name in doubtful and o.rule in field_rules)]
    reasons = tuple(extra_reasons) + tuple(
        f"{labels.get(o.field_name, o.field_name) or 'hồ sơ'}: {o.message}" for o in failed)
    required = [s for s in doc_type.fields if s.required]
    read = sum(1 for s in required if value_of(s.name))
    present = sum(1 for f in fields.values() if f.value and f.value.strip())
    withheld: tuple[str, ...] = ()
    if present == 0 or (required and read / len(required) < UNREADABLE_SHARE):
        route = Route.REJECTED  # nothing readable: re-scan, not review
        reasons = (f"không đọc được: {read}/{len(required)} trường bắt buộc",) + reasons
    elif wrong_type:
        route = Route.REJECTED  # a steward cannot fix a wrong type: re-register the scan
    elif blocking or extra_reasons:
        route = Route.NEEDS_REVIEW
    else:
        route = Route.APPROVED
        withheld = tuple(doubtful)
        for name in withheld:
            why = "; ".join(o.message for o in failed if o.field_name == name and o.message)
            add(WITHHELD_RULE, name, False, f"không đưa vào dữ liệu ký số ({why})")
        reasons = ()  # nothing for a person to decide; the withheld fields show on the desk
    return Decision(route, tuple(outcomes), reasons, withheld)
