"""Field rules per document type, and the routing of a record (approve / review / reject).

Pure functions over extracted values: the validate stage, the review desk and the Great
Expectations suites all use these declarations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from roadmap.units import province_codes
from schemas.document_types import DocumentType, FieldKind

EARLIEST_DATE = date(1945, 9, 2)  # the state's founding: no valid result is older


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


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


_DOC_NUMBER = re.compile(r"^\d{1,6}(/\d{4})?/[A-ZĐ0-9][A-ZĐ0-9\-.]*$")
_NAME = re.compile(r"^[^\W\d_]+( [^\W\d_]+)+$")


def parse_iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def check_cccd(number: str, birth: date | None) -> tuple[Severity | None, str]:
    """CCCD: 12 digits = province (3) + gender/century (1) + birth year (2) + serial (6).

    Returns (None, "") when fine, else the severity and the reason. A 9-digit CMND is accepted
    and flagged (legacy papers carry it)."""
    if re.fullmatch(r"\d{9}", number):
        return Severity.WARNING, "số CMND 9 chữ số (giấy tờ cũ), cần đối chiếu CCCD"
    if not re.fullmatch(r"\d{12}", number):
        return Severity.ERROR, "số CCCD phải có 12 chữ số"
    if number[0] != "0" or number[1:3] not in province_codes():
        return Severity.ERROR, f"mã tỉnh {number[:3]} không có trong danh mục"
    century_digit = int(number[3])
    if century_digit > 9:
        return Severity.ERROR, "chữ số giới tính/thế kỷ không hợp lệ"
    century = 1900 + 100 * (century_digit // 2)
    if birth is not None:
        if century != birth.year // 100 * 100:
            return Severity.ERROR, f"chữ số thứ 4 ({century_digit}) không khớp thế kỷ năm sinh {birth.year}"
        if number[4:6] != f"{birth.year % 100:02d}":
            return Severity.ERROR, f"chữ số 5–6 ({number[4:6]}) không khớp năm sinh {birth.year}"
    return None, ""


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def validate_record(doc_type: DocumentType, fields: dict[str, FieldInput], *,
                    today: date | None = None, extra_reasons: tuple[str, ...] = ()) -> Decision:
    today = today or date.today()
    outcomes: list[Outcome] = []

    def add(rule: str, name: str, severity: Severity, passed: bool, message: str = "") -> None:
        outcomes.append(Outcome(rule, name, severity, passed, message))

    for spec in doc_type.fields:
        item = fields.get(spec.name, FieldInput(None, 0.0))
        value = _nfc(item.value.strip()) if item.value else None
        if not value:
            if spec.required:
                add("required", spec.name, Severity.ERROR, False, f"thiếu trường bắt buộc «{spec.label_vi}»")
            continue
        if spec.kind is FieldKind.DATE:
            parsed = parse_iso(value)
            ok = parsed is not None and EARLIEST_DATE <= parsed <= today
            add("date_in_range", spec.name, Severity.ERROR, ok,
                "" if ok else f"«{value}» không phải ngày hợp lệ trong khoảng 1945 – hôm nay")
        elif spec.kind is FieldKind.DOCUMENT_NUMBER:
            ok = bool(_DOC_NUMBER.match(value))
            add("document_number_format", spec.name, Severity.ERROR, ok,
                "" if ok else f"«{value}» không đúng dạng số/ký hiệu (vd. 1234/QĐ-UBND)")
        elif spec.kind is FieldKind.NAME:
            ok = bool(_NAME.match(value))
            add("name_letters", spec.name, Severity.ERROR, ok,
                "" if ok else f"«{value}» không phải họ tên bằng chữ cái tiếng Việt")
        elif spec.kind is FieldKind.ID_NUMBER:
            birth = parse_iso(fields.get("holder_birth_date", FieldInput(None, 0)).value)
            severity, why = check_cccd(value, birth)
            add("cccd_structure", spec.name, severity or Severity.ERROR, severity is None, why)
        threshold = spec.review_threshold
        add("confidence", spec.name, Severity.WARNING, item.confidence >= threshold,
            "" if item.confidence >= threshold else f"độ tin cậy {item.confidence:.2f} < ngưỡng {threshold:.2f}")

    issued = parse_iso(fields.get("issue_date", FieldInput(None, 0)).value)
    born = parse_iso(fields.get("holder_birth_date", FieldInput(None, 0)).value)
    if issued and born:
        add("issued_after_birth", "issue_date", Severity.ERROR, issued > born,
            "" if issued > born else "ngày ban hành trước ngày sinh của người được cấp")

    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity is Severity.ERROR]
    reasons = tuple(extra_reasons) + tuple(f"{o.field_name}: {o.message}" for o in failed)
    present = sum(1 for f in fields.values() if f.value)
    if present == 0:
        route = Route.REJECTED  # nothing readable: re-scan, not review
    elif errors or failed or extra_reasons:
        route = Route.NEEDS_REVIEW
    else:
        route = Route.APPROVED
    return Decision(route, tuple(outcomes), reasons)
