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

from roadmap.units import province_codes
from schemas.catalogues import is_agency_code, province_2025
from schemas.document_types import (
    AGENCY_IN_CATALOGUE,
    CONFIDENCE_RULE,
    DOCUMENT_TYPES,
    ISSUED_AFTER_BIRTH,
    KIND_RULES,
    PROVINCE_IN_CATALOGUE,
    REQUIRED_RULE,
    SIGNER_MATCHES_AUTHORITY,
    TITLE_MATCHES_TYPE,
    DocumentType,
    FieldKind,
    RuleSpec,
    Severity,
)
from schemas.thresholds import Thresholds

__all__ = [
    "EARLIEST_DATE", "Decision", "FieldInput", "Outcome", "Route", "Severity", "check_cccd",
    "check_name", "parse_iso", "signer_title_fits", "validate_record",
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

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)


_DOC_NUMBER = re.compile(r"^\d{1,6}(/\d{4})?/[A-ZĐ0-9][A-ZĐ0-9\-.]*$")
# Vietnamese letters: Latin base letters plus đ, with the breve, circumflex, horn and the five tone
# marks as combining characters after NFD. Anything else (digits, Cyrillic, CJK) is not a name.
_VI_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b")


def parse_iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def check_name(value: str) -> bool:
    """A person's name in Vietnamese letters: at least two words, letters and tone marks only."""
    words = value.split()
    if len(words) < 2:
        return False
    for word in words:
        for ch in unicodedata.normalize("NFD", word):
            if ch in "đĐ" or ("a" <= ch.lower() <= "z") or ch in _VI_MARKS:
                continue
            return False
    return True


# CCCD 4th digit (Circular 07/2016/TT-BCA Art. 7): gender and century of birth.
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}


def check_cccd(number: str, birth: date | None) -> tuple[Severity | None, str]:
    """CCCD: 12 digits = province (3) + gender/century (1) + birth year (2) + serial (6).

    Returns (None, "") when fine, else the severity and the reason. A 9-digit CMND is accepted
    and flagged (legacy papers carry it)."""
    number = number.replace(" ", "")
    if re.fullmatch(r"\d{9}", number):
        return Severity.WARNING, "số CMND 9 chữ số (giấy tờ cũ), cần đối chiếu CCCD"
    if not re.fullmatch(r"\d{12}", number):
        return Severity.ERROR, "số CCCD phải có 12 chữ số"
    # Province codes 001 (Hà Nội) … 096 (Cà Mau): "0" + the old statistical code.
    if number[0] != "0" or number[1:3] not in province_codes():
        return Severity.ERROR, f"mã tỉnh {number[:3]} không có trong danh mục"
    century_digit = int(number[3])
    century = _CENTURY[century_digit]
    if birth is not None:
        if century != birth.year // 100 * 100:
            return Severity.ERROR, f"chữ số thứ 4 ({century_digit}) không khớp thế kỷ năm sinh {birth.year}"
        if number[4:6] != f"{birth.year % 100:02d}":
            return Severity.ERROR, f"chữ số 5–6 ({number[4:6]}) không khớp năm sinh {birth.year}"
    return None, ""


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _fold(text: str) -> str:
    """Upper case without diacritics, single spaces: OCR'd titles compare on letters only."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^A-Za-z0-9 ]", " ", text).upper().split())


# (what the issuing body's most specific unit contains, titles whoever signs for it may hold)
_SIGNERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PHONG", ("TRUONG PHONG",)),
    ("CHI CUC", ("CHI CUC TRUONG",)),
    ("CUC", ("CUC TRUONG",)),
    ("SO", ("GIAM DOC",)),
    ("BO", ("BO TRUONG", "THU TRUONG")),
    ("UY BAN NHAN DAN", ("CHU TICH",)),
    ("UBND", ("CHU TICH",)),
)


def signer_title_fits(issuing_authority: str, signer_title: str) -> bool | None:
    """Whether the signer's title belongs to the issuing body (Decree 30 signing authority).

    None when the body is of no kind we know. The most specific unit is the last line of the
    header: "UBND HUYỆN VẠN NINH / PHÒNG TÀI CHÍNH - KẾ HOẠCH" is signed by (Phó) Trưởng phòng."""
    body, title = _fold(issuing_authority), _fold(signer_title)
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


def _title_type(title: str) -> str | None:
    """The document type whose title keywords a printed title carries (longest keyword wins)."""
    folded = _fold(title)
    best: tuple[int, str] | None = None
    for code, doc_type in DOCUMENT_TYPES.items():
        for keyword in doc_type.title_keywords:
            k = _fold(keyword)
            if k and k in folded and (best is None or len(k) > best[0]):
                best = (len(k), code)
    return best[1] if best else None


def validate_record(doc_type: DocumentType, fields: dict[str, FieldInput], *,
                    today: date | None = None, extra_reasons: tuple[str, ...] = (),
                    thresholds: Thresholds | None = None, province: str | None = None,
                    agency_code: str | None = None) -> Decision:
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
        return _nfc(item.value.strip()) if item and item.value and item.value.strip() else None

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
            ok = bool(_DOC_NUMBER.match(value))
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không đúng dạng số/ký hiệu (vd. 1234/QĐ-UBND)")
        elif spec.kind is FieldKind.NAME:
            ok = check_name(value)
            add(kind_rule, spec.name, ok,  # type: ignore[arg-type]
                "" if ok else f"«{value}» không phải họ tên bằng chữ cái tiếng Việt")
        elif spec.kind is FieldKind.ID_NUMBER:
            severity, why = check_cccd(value, parse_iso(value_of("holder_birth_date")))
            add(kind_rule, spec.name, severity is None, why, severity)  # type: ignore[arg-type]
        threshold = thresholds.for_field(doc_type, spec)
        ok = item.confidence >= threshold
        add(CONFIDENCE_RULE, spec.name, ok, "" if ok else f"độ tin cậy {item.confidence:.2f} < ngưỡng {threshold:.2f}")

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
        ok = province_2025(province) is not None
        add(PROVINCE_IN_CATALOGUE, "", ok, "" if ok else f"tỉnh «{province}» không có trong danh mục")
    if AGENCY_IN_CATALOGUE.code in declared and agency_code is not None:
        ok = is_agency_code(agency_code)
        add(AGENCY_IN_CATALOGUE, "", ok, "" if ok else f"mã cơ quan «{agency_code}» không đúng dạng mã định danh")

    failed = [o for o in outcomes if not o.passed]
    labels = {f.name: f.label_vi for f in doc_type.fields}  # stewards read Vietnamese labels, not field codes
    reasons = tuple(extra_reasons) + tuple(
        f"{labels.get(o.field_name, o.field_name) or 'hồ sơ'}: {o.message}" for o in failed)
    required = [s for s in doc_type.fields if s.required]
    read = sum(1 for s in required if value_of(s.name))
    present = sum(1 for f in fields.values() if f.value and f.value.strip())
    if present == 0 or (required and read / len(required) < UNREADABLE_SHARE):
        route = Route.REJECTED  # nothing readable: re-scan, not review
        reasons = (f"không đọc được: {read}/{len(required)} trường bắt buộc",) + reasons
    elif wrong_type:
        route = Route.REJECTED  # a steward cannot fix a wrong type: re-register the scan
    elif failed or extra_reasons:
        route = Route.NEEDS_REVIEW
    else:
        route = Route.APPROVED
    return Decision(route, tuple(outcomes), reasons)
