"""Art. 25.1 validity declared per document type, and the issuing-body rule (issue 14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from schemas import DOCUMENT_TYPES, get_document_type
from schemas.document_types import FieldKind, FieldSpec, Validity, ValidityKind
from schemas.rules import FieldInput, Route, add_months, check_authority, judge_validity, validate_record

MARRIAGE = get_document_type("xac_nhan_tinh_trang_hon_nhan")
HKD = get_document_type("giay_chung_nhan_ho_kinh_doanh")


def _marriage(issued: str) -> dict[str, FieldInput]:
    values = {
        "issuing_authority": "ỦY BAN NHÂN DÂN XÃ VẠN THẮNG", "document_number": "12/UBND-XNTTHN",
        "issue_date": issued, "title": "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "signer_name": "Nguyễn Văn An",
        "signer_title": "CHỦ TỊCH", "holder_name": "Trần Thị Bích Ngọc", "holder_birth_date": "1985-03-04",
        "holder_id_number": "056185001234", "marital_status": "Chưa đăng ký kết hôn với ai",
    }
    return {k: FieldInput(v, 0.95) for k, v in values.items()}


def test_every_type_declares_how_validity_is_judged() -> None:
    assert MARRIAGE.validity.kind is ValidityKind.MONTHS_FROM_ISSUE and MARRIAGE.validity.months == 6
    assert HKD.validity.kind is ValidityKind.SUPERSEDED and HKD.validity.subject_fields
    for doc_type in DOCUMENT_TYPES.values():
        v = doc_type.validity
        assert isinstance(v.kind, ValidityKind)
        if v.kind is ValidityKind.EXPIRY_FIELD:
            assert doc_type.field(v.field or "") is not None
        for name in v.subject_fields:
            assert name in doc_type.field_names
        assert ("still_valid" in {r.code for r in doc_type.all_rules()}) == (v.kind is not ValidityKind.NO_EXPIRY)


@pytest.mark.parametrize(("day", "months", "until"), [
    (date(2019, 3, 31), 6, date(2019, 9, 30)), (date(2019, 8, 31), 6, date(2020, 2, 29)),
    (date(2019, 12, 15), 1, date(2020, 1, 15))])
def test_add_months(day: date, months: int, until: date) -> None:
    assert add_months(day, months) == until


def test_marital_status_confirmation_is_valid_six_months() -> None:
    today = date(2026, 11, 26)
    fresh = validate_record(MARRIAGE, _marriage("2026-09-01"), today=today, province="Khánh Hòa")
    assert fresh.route is Route.APPROVED, fresh.reasons
    old = validate_record(MARRIAGE, _marriage("2019-04-02"), today=today, province="Khánh Hòa")
    assert old.route is Route.NEEDS_REVIEW
    (failed,) = [o for o in old.failed if o.rule == "still_valid"]
    assert failed.message.startswith("đã hết hiệu lực (có giá trị đến hết ngày 02/10/2019)")
    assert any("hết hiệu lực" in r for r in old.reasons)
    # the last day of the six months is still valid, the next is not
    assert judge_validity(MARRIAGE, {"issue_date": "2026-05-26"}, today=today).still_valid is True
    assert judge_validity(MARRIAGE, {"issue_date": "2026-05-25"}, today=today).still_valid is False
    # no issue date read: cannot tell (the required rule sends it to review anyway)
    assert judge_validity(MARRIAGE, {}, today=today).still_valid is None


def test_expiry_field_and_superseded() -> None:
    permit = replace(MARRIAGE, validity=Validity(ValidityKind.EXPIRY_FIELD, field="valid_until"),
                     fields=(*MARRIAGE.fields, FieldSpec("valid_until", "Có giá trị đến", FieldKind.DATE, False)))
    assert judge_validity(permit, {"valid_until": "2026-12-31"}, today=date(2026, 11, 26)).still_valid is True
    expired = judge_validity(permit, {"valid_until": "2025-12-31"}, today=date(2026, 11, 26))
    assert expired.still_valid is False and expired.valid_until == date(2025, 12, 31)
    assert judge_validity(HKD, {}, superseded_by=None).still_valid is True
    replaced = judge_validity(HKD, {}, superseded_by="hồ sơ #7 (ngày 01/02/2024)")
    assert replaced.still_valid is False and "thay thế bởi hồ sơ #7" in replaced.reason


@pytest.mark.parametrize(("value", "ok"), [
    ("j", False), ("a", False), ("a b", False), ("12 34", False), ("UBND", False),
    ("BỘ Y TẾ", True), ("UBND HUYỆN VẠN NINH", True), ("Ủy ban nhân dân xã Vạn Thắng", True)])
def test_issuing_body_is_a_name_not_a_letter(value: str, ok: bool) -> None:
    assert check_authority(value) is ok
    fields = _marriage("2026-09-01") | {"issuing_authority": FieldInput(value, 1.0)}  # typed by a steward
    decision = validate_record(MARRIAGE, fields, today=date(2026, 11, 26), province="Khánh Hòa")
    failed = {(o.rule, o.field_name) for o in decision.failed}
    assert (("authority_name", "issuing_authority") in failed) is not ok
    assert ok or decision.route is Route.NEEDS_REVIEW
