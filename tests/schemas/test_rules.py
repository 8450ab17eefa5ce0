"""Field rules and routing (schemas/rules.py)."""

from __future__ import annotations

from datetime import date

import pytest

from schemas import get_document_type
from schemas.rules import FieldInput, Route, Severity, check_cccd, validate_record

HKD = get_document_type("giay_chung_nhan_ho_kinh_doanh")


def _good() -> dict[str, FieldInput]:
    values = {
        "issuing_authority": "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH", "document_number": "1234/QĐ-UBND",
        "issue_date": "2020-05-12", "title": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        "signer_name": "Nguyễn Văn An", "holder_name": "Trần Thị Bích Ngọc", "holder_birth_date": "1985-03-04",
        "holder_id_number": "056185001234", "registration_number": "37A8012345", "business_name": "Tạp hóa Ngọc",
    }
    return {k: FieldInput(v, 0.95) for k, v in values.items()}


def test_cccd_structure_matches_birth_year() -> None:
    assert check_cccd("056185001234", date(1985, 3, 4)) == (None, "")
    # 4th digit 1 = female born 1900s; born 2001 needs 2 or 3
    assert check_cccd("056101001234", date(2001, 1, 1))[0] is Severity.ERROR
    # digits 5-6 must be the birth year's last two
    assert check_cccd("056186001234", date(1985, 3, 4))[0] is Severity.ERROR
    # unknown province code
    assert check_cccd("099185001234", None)[0] is Severity.ERROR
    # legacy 9-digit CMND is accepted and flagged
    assert check_cccd("225123456", None)[0] is Severity.WARNING
    assert check_cccd("12345", None)[0] is Severity.ERROR


def test_clean_confident_record_is_approved() -> None:
    decision = validate_record(HKD, _good(), today=date(2026, 1, 1))
    assert decision.route is Route.APPROVED, decision.reasons


@pytest.mark.parametrize(("name", "value", "confidence"), [
    ("issue_date", "2031-01-01", 0.95),  # in the future
    ("issue_date", "1930-01-01", 0.95),  # before 1945
    ("document_number", "12 34", 0.95),
    ("holder_name", "Tr4n Thi", 0.95),
    ("holder_id_number", "056185001234", 0.40),  # low confidence
    ("business_name", None, 0.0),  # required but missing
])
def test_doubtful_record_goes_to_review(name: str, value: str | None, confidence: float) -> None:
    fields = _good() | {name: FieldInput(value, confidence)}
    decision = validate_record(HKD, fields, today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW
    assert any(r.startswith(name) for r in decision.reasons)


def test_issued_before_birth_is_an_error() -> None:
    fields = _good() | {"issue_date": FieldInput("1980-01-01", 0.99)}
    decision = validate_record(HKD, fields, today=date(2026, 1, 1))
    assert any(o.rule == "issued_after_birth" and not o.passed for o in decision.outcomes)


def test_nothing_readable_is_rejected() -> None:
    assert validate_record(HKD, {}, today=date(2026, 1, 1)).route is Route.REJECTED


def test_extra_reasons_such_as_page_mismatch_force_review() -> None:
    decision = validate_record(HKD, _good(), today=date(2026, 1, 1), extra_reasons=("page_count_mismatch",))
    assert decision.route is Route.NEEDS_REVIEW
