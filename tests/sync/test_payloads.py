"""The push body (issue 15): the holder when there is no CCCD, agencies by catalogue code, durable links."""

from __future__ import annotations

from datetime import UTC, datetime

from core.settings import Settings
from sync.contract import ResultPayload
from sync.payloads import holder_of, push_payload


def test_holder_is_a_citizen_a_household_an_organisation_or_agency_held() -> None:
    assert holder_of({"holder_name": "Trần Thị Ngọc", "holder_id_number": "056185001234"}) == (
        "056185001234", {"kind": "citizen", "name": "Trần Thị Ngọc", "identifier": "056185001234",
                         "identifier_kind": "cccd"})
    # a business household: its registration number, not the owner's (old 9-digit) CMND
    cid, holder = holder_of({"holder_name": "Trần Thị Ngọc", "holder_id_number": "225123456",
                             "registration_number": "37A8012345", "business_name": "Tạp hóa Ngọc"})
    assert cid is None and (holder["kind"], holder["identifier"], holder["identifier_kind"]) == (
        "household", "37A8012345", "business_registration")
    assert holder_of({"organisation_name": "Công ty TNHH Hải Đăng", "tax_code": "0312 345 673"})[1] == {
        "kind": "organisation", "name": "Công ty TNHH Hải Đăng", "identifier": "0312345673",
        "identifier_kind": "tax_code"}
    # a building permit issued to a company: the investor is the organisation, by its enterprise code
    assert holder_of({"holder_name": "Công ty CP Xây dựng Vạn Ninh", "tax_code": "0312345673-001"})[1] == {
        "kind": "organisation", "name": "Công ty CP Xây dựng Vạn Ninh", "identifier": "0312345673-001",
        "identifier_kind": "tax_code"}
    # a wrong check digit never files the result under another company: agency-held, number kept in fields
    assert holder_of({"organisation_name": "Công ty TNHH Hải Đăng", "tax_code": "0312345678"})[1] == {
        "kind": "agency_held", "name": "Công ty TNHH Hải Đăng", "identifier": None, "identifier_kind": None}
    # a building permit prints no ID: the keeping agency holds it for the named owner
    assert holder_of({"holder_name": "Lê Văn Bình", "construction_site": "Thửa 12"})[1] == {
        "kind": "agency_held", "name": "Lê Văn Bình", "identifier": None, "identifier_kind": None}


def test_payload_is_valid_under_the_contract_and_flags_provisional_and_supersedes() -> None:
    settings = Settings(public_url="https://sohoa.khanhhoa.gov.vn/sohoa")
    code = "TAM.000.00.15.H34-261126-0007-KQ2"
    body = push_payload(settings, result_code=code, document_type="giay_phep_xay_dung",
                        fields={"holder_name": "Lê Văn Bình", "issuing_authority": "UBND huyện Vạn Ninh",
                                "issue_date": "2020-05-12"},
                        signed_sha256="a" * 64, converted_at=datetime(2026, 11, 26, tzinfo=UTC),
                        converter="Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa",
                        keeping_agency_code="000.00.15.H34", issuing_agency_code="VD.H34.HUYEN.VANNINH",
                        provisional=True, supersedes="TAM.000.00.15.H34-261126-0007-KQ1")
    payload = ResultPayload.model_validate(body)
    assert payload.signed_file_url == f"https://sohoa.khanhhoa.gov.vn/sohoa/tra-cuu/{code}/tai-ve"
    assert payload.provisional and payload.supersedes == "TAM.000.00.15.H34-261126-0007-KQ1"
    assert (payload.issuing_agency, payload.issuing_agency_code) == ("UBND huyện Vạn Ninh", "VD.H34.HUYEN.VANNINH")
    assert payload.holder is not None and payload.holder.kind == "agency_held"
    assert settings.lookup_base() == "https://sohoa.khanhhoa.gov.vn/sohoa/tra-cuu"


def test_organisation_owner_is_pushed_and_the_contract_checks_its_number() -> None:
    import pytest
    from pydantic import ValidationError

    from sync.contract import Holder

    settings = Settings(public_url="https://sohoa.khanhhoa.gov.vn/sohoa")
    body = push_payload(settings, result_code="000.00.15.H34-200512-0001-KQ1", document_type="quyet_dinh",
                        fields={"organisation_name": "Công ty TNHH Thương mại Hải Đăng", "tax_code": "0312345673",
                                "issuing_authority": "CỤC HÓA CHẤT", "issue_date": "2026-01-05"},
                        signed_sha256="b" * 64, converted_at=datetime(2026, 11, 26, tzinfo=UTC),
                        converter="Cục Hóa chất", keeping_agency_code="000.00.15.H34")
    payload = ResultPayload.model_validate(body)
    assert payload.citizen_id is None and payload.holder is not None
    assert (payload.holder.kind, payload.holder.identifier, payload.holder.identifier_kind) == (
        "organisation", "0312345673", "tax_code")
    assert payload.holder.name == "Công ty TNHH Thương mại Hải Đăng"
    # the receiver refuses an organisation filed under a number whose check digit is wrong
    with pytest.raises(ValidationError, match="check digit|chữ số kiểm tra"):
        Holder(kind="organisation", name="X", identifier="0312345678", identifier_kind="tax_code")
    with pytest.raises(ValidationError):
        Holder(kind="citizen", name="X", identifier="225123456", identifier_kind="cccd")


def test_issuing_agency_code_from_the_catalogue(sohoa_env: Settings) -> None:
    from pathlib import Path

    from roadmap.plans import import_agencies
    from storage.db import session_scope
    from storage.records import agency_code_by_name

    import_agencies(Path(__file__).resolve().parents[2] / "roadmap/data/examples/agencies_khanh_hoa.csv", "Khánh Hòa")
    with session_scope(sohoa_env.db_url) as s:
        assert agency_code_by_name(s, "Khánh Hòa", "UBND HUYỆN VẠN NINH") == "VD.H34.HUYEN.VANNINH"
        assert agency_code_by_name(s, "Khánh Hoà", "ubnd xa van thang") == "VD.H34.XA.VANTHANG"
        assert agency_code_by_name(s, "Khánh Hòa", "UBND huyện Không Có") is None
        assert agency_code_by_name(s, "Khánh Hòa", None) is None
