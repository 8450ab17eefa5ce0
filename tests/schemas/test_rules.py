"""Field rules and routing (schemas/rules.py)."""

from __future__ import annotations

from datetime import date

import pytest

from schemas import get_document_type
from schemas.rules import FieldInput, Route, Severity, validate_record

HKD = get_document_type("giay_chung_nhan_ho_kinh_doanh")


def _good() -> dict[str, FieldInput]:
    values = {
        "issuing_authority": "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH", "document_number": "1234/QĐ-UBND",
        "issue_date": "2020-05-12", "title": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        "signer_name": "Nguyễn Văn An", "holder_name": "Trần Thị Bích Ngọc", "holder_birth_date": "1985-03-04",
        "holder_id_number": "056185001234", "registration_number": "37A8012345", "business_name": "Tạp hóa Ngọc",
    }
    return {k: FieldInput(v, 0.95) for k, v in values.items()}


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
    label = next(f.label_vi for f in HKD.fields if f.name == name)  # reasons name the field in Vietnamese
    assert any(r.startswith(label) for r in decision.reasons)


def test_issued_before_birth_is_an_error() -> None:
    fields = _good() | {"issue_date": FieldInput("1980-01-01", 0.99)}
    decision = validate_record(HKD, fields, today=date(2026, 1, 1))
    assert any(o.rule == "issued_after_birth" and not o.passed for o in decision.outcomes)


def test_nothing_readable_is_rejected() -> None:
    assert validate_record(HKD, {}, today=date(2026, 1, 1)).route is Route.REJECTED


def test_extra_reasons_such_as_page_mismatch_force_review() -> None:
    decision = validate_record(HKD, _good(), today=date(2026, 1, 1), extra_reasons=("page_count_mismatch",))
    assert decision.route is Route.NEEDS_REVIEW


# ---------------------------------------------------------------- doubtful optional fields
@pytest.mark.parametrize(("name", "value", "confidence"), [
    ("recipients", "Như Điều 3; Lưu: VT", 0.73),  # below its threshold
    ("business_address", "Thôn Quảng Hội, xã Diên Phú", 0.5),
    ("signer_title", "PHÓ CHỦ TỊCH", 0.6),
])
def test_a_doubtful_optional_field_is_withheld_not_a_reason_for_review(name: str, value: str, confidence: float) -> None:
    """Optional and outside the contract: the record is approved, the field is marked to be left
    out of the signed data, with the failed check as its reason (docs/review.md)."""
    assert HKD.field(name) is not None and HKD.field(name).withholdable  # type: ignore[union-attr]
    decision = validate_record(HKD, _good() | {name: FieldInput(value, confidence)}, today=date(2026, 1, 1))
    assert decision.route is Route.APPROVED and decision.withheld == (name,)
    withheld = [o for o in decision.outcomes if o.rule == "withheld"]
    assert [(o.field_name, o.passed) for o in withheld] == [(name, False)]
    assert "không đưa vào dữ liệu ký số" in withheld[0].message and "< ngưỡng 0,90" in withheld[0].message
    # the confidence failure itself stays on record, shown on the desk
    assert any(o.rule == "confidence" and o.field_name == name and not o.passed for o in decision.outcomes)


@pytest.mark.parametrize("name", ["holder_birth_date", "holder_name", "business_name", "registration_number",
                                  "issuing_authority", "document_number"])
def test_a_doubtful_required_or_contract_field_still_goes_to_review(name: str) -> None:
    fields = _good() | {name: FieldInput(_good()[name].value, 0.5)}
    decision = validate_record(HKD, fields, today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW and decision.withheld == ()
    assert not any(o.rule == "withheld" for o in decision.outcomes)


def test_the_fields_naming_the_holder_are_never_withheld() -> None:
    """An organisation's tax code and name, a business's registration number and name: the warehouse
    files the result under them when there is no CCCD (sync.payloads.holder_of)."""
    from schemas import DOCUMENT_TYPES

    for doc_type in DOCUMENT_TYPES.values():
        for name in ("tax_code", "organisation_name", "registration_number", "business_name"):
            spec = doc_type.field(name)
            assert spec is None or not spec.withholdable, (doc_type.code, name)


def test_contract_fields_optional_in_a_decision_are_never_withheld() -> None:
    """A decision's holder fields are optional there but part of the contract: a doubtful one holds it."""
    qd = get_document_type("quyet_dinh")
    assert not qd.field("holder_id_number").required  # type: ignore[union-attr]
    assert not qd.field("holder_id_number").withholdable  # type: ignore[union-attr]
    values = {k: v for k, v in _good().items() if k in qd.field_names} | {
        "title": FieldInput("QUYẾT ĐỊNH", 0.95), "holder_id_number": FieldInput("056185001234", 0.5)}
    decision = validate_record(qd, values, today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW and decision.withheld == ()


def test_a_record_in_review_for_another_reason_withholds_nothing() -> None:
    """A person looks at the whole record then: the doubtful optional field is a reason like any other."""
    fields = _good() | {"recipients": FieldInput("Lưu: VT", 0.5), "holder_name": FieldInput("Trần Thị Bích Ngọc", 0.5)}
    decision = validate_record(HKD, fields, today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW and decision.withheld == ()
    assert any(r.startswith("Nơi nhận") for r in decision.reasons)
    decision = validate_record(HKD, _good() | {"recipients": FieldInput("Lưu: VT", 0.5)}, today=date(2026, 1, 1),
                               extra_reasons=("page_count_mismatch",))
    assert decision.route is Route.NEEDS_REVIEW and decision.withheld == ()


def test_a_record_rule_on_an_optional_field_is_not_withheld() -> None:
    """The signer's title not fitting the issuing body says something about the body too: a person looks."""
    decision = validate_record(HKD, _good() | {"signer_title": FieldInput("GIÁM ĐỐC", 0.95)}, today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW and decision.withheld == ()


def test_the_withheld_rule_code_is_the_one_storage_reads() -> None:
    from schemas.document_types import WITHHELD_RULE
    from storage.models import WITHHELD_RULE_CODE

    assert WITHHELD_RULE.code == WITHHELD_RULE_CODE


# ---------------------------------------------------------------- declared rules (issue 4)
def test_every_rule_is_declared_with_a_severity() -> None:
    from schemas import DOCUMENT_TYPES
    from schemas.document_types import GENERAL_TYPE_CODE

    for doc_type in DOCUMENT_TYPES.values():
        codes = {r.code for r in doc_type.all_rules()}
        # The general type takes any kind: it has no title to mismatch (issue 12, never rejected for its kind).
        by_title = set() if doc_type.code == GENERAL_TYPE_CODE else {"title_matches_type"}
        assert {"required", "confidence", "date_in_range", "document_number_format", "name_letters",
                "signer_title_matches_authority", "province_in_catalogue", "agency_code_in_catalogue"} | by_title <= codes
        # A building permit prints neither an ID number nor a birth date: no rules about them.
        person = {"holder_id_number", "holder_birth_date"} <= set(doc_type.field_names)
        assert ({"cccd_structure", "issued_after_birth"} <= codes) == person, doc_type.code
        assert all(r.severity in (Severity.WARNING, Severity.ERROR) for r in doc_type.all_rules())


def test_wrong_cccd_is_an_error_and_routes_to_review() -> None:
    # 4th digit 1 = female born 1900s; born 1985 fits, but digits 5-6 say 1986
    decision = validate_record(HKD, _good() | {"holder_id_number": FieldInput("056186001234", 0.99)},
                               today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW
    (flag,) = [o for o in decision.failed if o.rule == "cccd_structure"]
    assert flag.severity is Severity.ERROR and "năm sinh 1985" in flag.message


@pytest.mark.parametrize(("number", "ok"), [
    ("1234/QĐ-UBND", True), ("12a/QĐ-UBND", True), ("12/2020/QĐ-UBND", True), ("12 34", False),
    ("1234/", False), ("QĐ-UBND", False),
])
def test_document_number_rule_uses_the_one_pattern(number: str, ok: bool) -> None:
    decision = validate_record(HKD, _good() | {"document_number": FieldInput(number, 0.99)}, today=date(2026, 1, 1))
    assert ("document_number_format" not in {o.rule for o in decision.failed}) is ok


def test_legacy_cmnd_is_accepted_but_flagged_for_review() -> None:
    decision = validate_record(HKD, _good() | {"holder_id_number": FieldInput("225123456", 0.99)},
                               today=date(2026, 1, 1))
    assert decision.route is Route.NEEDS_REVIEW
    (flag,) = [o for o in decision.failed if o.rule == "cccd_structure"]
    assert flag.severity is Severity.WARNING and "CMND" in flag.message


@pytest.mark.parametrize(("name", "ok"), [
    ("Trần Thị Bích Ngọc", True), ("NGUYỄN VĂN ĐẠT", True), ("Huỳnh Thị Thủy", True),
    ("Иван Петров", False), ("王 小明", False), ("Tr4n Thi", False), ("Ngọc", False), ("Lê-Văn Tám", False),
])
def test_names_are_in_vietnamese_letters(name: str, ok: bool) -> None:
    from schemas.rules import check_name

    assert check_name(name) is ok


@pytest.mark.parametrize(("authority", "title", "fits"), [
    ("UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÓ TRƯỞNG PHÒNG", True),
    ("UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH", "CHỦ TỊCH", False),
    ("ỦY BAN NHÂN DÂN XÃ VẠN THẮNG", "PHÓ CHỦ TỊCH", True),
    ("ỦY BAN NHÂN DÂN XÃ VẠN THẮNG", "GIÁM ĐỐC", False),
    ("UBND TỈNH KHÁNH HÒA SỞ TƯ PHÁP", "GIÁM ĐỐC", True),
])
def test_signer_title_fits_the_issuing_body(authority: str, title: str, fits: bool) -> None:
    from schemas.rules import signer_title_fits

    assert signer_title_fits(authority, title) is fits


def test_signer_title_mismatch_is_a_warning() -> None:
    decision = validate_record(HKD, _good() | {"issuing_authority": FieldInput("ỦY BAN NHÂN DÂN XÃ VẠN THẮNG", .99),
                                               "signer_title": FieldInput("GIÁM ĐỐC", .99)}, today=date(2026, 1, 1))
    (o,) = [o for o in decision.failed if o.rule == "signer_title_matches_authority"]
    assert o.severity is Severity.WARNING and decision.route is Route.NEEDS_REVIEW


def test_wrong_document_type_is_rejected() -> None:
    decision = validate_record(HKD, _good() | {"title": FieldInput("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", 0.95)},
                               today=date(2026, 1, 1))
    assert decision.route is Route.REJECTED
    assert any("Giấy xác nhận tình trạng hôn nhân" in r for r in decision.reasons)


def test_unreadable_scan_is_rejected() -> None:
    decision = validate_record(HKD, {"title": FieldInput("GIẤY CHỨNG", 0.2)}, today=date(2026, 1, 1))
    assert decision.route is Route.REJECTED and decision.reasons[0].startswith("không đọc được")


def test_catalogue_lookups_of_province_and_agency() -> None:
    ok = validate_record(HKD, _good(), today=date(2026, 1, 1), province="Ninh Thuận", agency_code="000.00.15.H34")
    assert ok.route is Route.APPROVED  # an old province name is in the catalogue too
    bad = validate_record(HKD, _good(), today=date(2026, 1, 1), province="Gotham", agency_code="UBND-VN")
    failed = {(o.rule, o.severity) for o in bad.failed}
    assert failed == {("province_in_catalogue", Severity.ERROR), ("agency_code_in_catalogue", Severity.WARNING)}


def test_thresholds_are_declared_and_overridable_by_yaml_and_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.settings import Settings
    from schemas.thresholds import ThresholdError, load_thresholds

    cccd, name = HKD.field("holder_id_number"), HKD.field("holder_name")
    assert cccd is not None and name is not None
    base = load_thresholds(Settings(_env_file=None))
    assert base.for_field(HKD, cccd) == 0.90 and base.for_field(HKD, name) == 0.90  # declared / default
    yaml_file = tmp_path / "thresholds.yaml"
    yaml_file.write_text("giay_chung_nhan_ho_kinh_doanh:\n  '*': 0.85\n  holder_id_number: 0.97\n", encoding="utf-8")
    t = load_thresholds(Settings(_env_file=None, review_thresholds_file=yaml_file))
    assert t.for_field(HKD, cccd) == 0.97 and t.for_field(HKD, name) == 0.85
    t = load_thresholds(Settings(_env_file=None, review_thresholds_file=yaml_file,
                                 review_thresholds={"giay_chung_nhan_ho_kinh_doanh": {"holder_id_number": 0.6}}))
    assert t.for_field(HKD, cccd) == 0.6  # settings win over the file
    # a record at 0.93 passes the declared 0.90 but not the file's 0.97
    fields = _good() | {"holder_id_number": FieldInput("056185001234", 0.93)}
    assert validate_record(HKD, fields, today=date(2026, 1, 1), thresholds=base).route is Route.APPROVED
    t = load_thresholds(Settings(_env_file=None, review_thresholds_file=yaml_file))
    assert validate_record(HKD, fields, today=date(2026, 1, 1), thresholds=t).route is Route.NEEDS_REVIEW
    yaml_file.write_text("giay_chung_nhan_ho_kinh_doanh:\n  holder_shoe_size: 0.5\n", encoding="utf-8")
    with pytest.raises(ThresholdError, match=r"thresholds.yaml.*holder_shoe_size"):
        load_thresholds(Settings(_env_file=None, review_thresholds_file=yaml_file))


def test_an_organisations_tax_code_is_checked_by_its_check_digit() -> None:
    """A building permit issued to a company: its tax code (= enterprise code) decides whose result it
    is in the warehouse, so a wrong check digit is an error (core.identifiers.check_tax_code)."""
    permit = get_document_type("giay_phep_xay_dung")
    values = {"issuing_authority": "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH", "document_number": "45/GPXD",
              "issue_date": "2021-03-02", "title": "GIẤY PHÉP XÂY DỰNG", "signer_name": "Nguyễn Văn An",
              "holder_name": "Công ty Cổ phần Xây dựng Vạn Ninh", "construction_site": "Thửa 12, tờ bản đồ 3"}
    good = {k: FieldInput(v, 0.97) for k, v in values.items()} | {"tax_code": FieldInput("0312345673", 0.97)}
    outcome = next(o for o in validate_record(permit, good, today=date(2026, 1, 1)).outcomes if o.rule == "tax_code_check")
    assert outcome.passed
    bad = good | {"tax_code": FieldInput("0312345678", 0.97)}
    decision = validate_record(permit, bad, today=date(2026, 1, 1))
    (outcome,) = [o for o in decision.outcomes if o.rule == "tax_code_check"]
    assert not outcome.passed and outcome.severity is Severity.ERROR and "chữ số kiểm tra" in outcome.message
    assert decision.route is Route.NEEDS_REVIEW
    assert any(r.startswith("Mã số thuế / mã số doanh nghiệp") for r in decision.reasons)
