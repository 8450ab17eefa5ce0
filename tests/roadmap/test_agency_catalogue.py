"""The national catalogue of agency codes (issue 15): `sohoa agencies import`, bad rows by number in
Vietnamese, issuing agencies looked up by their printed name, an unknown one sent to a steward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.exitcodes import ExitCode
from core.settings import Settings
from core.text import agency_key
from review import service
from roadmap.agency_catalogue import import_catalogue
from roadmap.plans import PlanRejected
from sohoa.cli import main
from storage.db import session_scope
from storage.models import AuditEntry, CatalogueAgency, Document, DocumentStatus, Field
from storage.records import agency_code_by_name

HEADER = "mã định danh,tên cơ quan,tỉnh,mã cơ quan cấp trên,tên in trên giấy tờ\n"
GOOD = HEADER + (
    "000.00.00.H34,Ủy ban nhân dân tỉnh Khánh Hòa,Khánh Hòa,,\n"
    "000.00.15.H34,Ủy ban nhân dân huyện Vạn Ninh,Khánh Hòa,000.00.00.H34,\n"
    "000.15.20.H34,Phòng Tài chính - Kế hoạch huyện Vạn Ninh,Khánh Hòa,000.00.15.H34,"
    "UBND huyện Vạn Ninh Phòng Tài chính - Kế hoạch;Phòng TC-KH huyện Vạn Ninh\n"
    "000.00.00.G12,Cục Hóa chất,,,Bộ Công Thương Cục Hóa chất\n"
)


def _csv(tmp_path: Path, text: str, name: str = "danh_muc.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _review_seeding() -> Any:
    """tests/review/conftest.py as a module: its seed_batch validates records as the pipeline does."""
    import importlib.util
    import sys

    if "catalogue_review_conftest" in sys.modules:
        return sys.modules["catalogue_review_conftest"]
    spec = importlib.util.spec_from_file_location("catalogue_review_conftest",
                                                  Path(__file__).parents[1] / "review" / "conftest.py")
    assert spec and spec.loader
    seeding = importlib.util.module_from_spec(spec)
    sys.modules["catalogue_review_conftest"] = seeding
    spec.loader.exec_module(seeding)
    return seeding


def test_agency_key_spells_out_header_abbreviations() -> None:
    assert agency_key("UBND huyện Vạn Ninh") == agency_key("Ủy ban nhân dân Huyện Vạn-Ninh") == "uy ban nhan dan huyen van ninh"
    assert agency_key("UBND TP. Nha Trang") == "uy ban nhan dan thanh pho nha trang"


def test_import_and_look_up_by_printed_name(sohoa_env: Settings, tmp_path: Path) -> None:
    outcome = import_catalogue(_csv(tmp_path, GOOD), "Nguyễn Thị Lan")
    assert (outcome.added, outcome.updated) == (4, 0)
    with session_scope(sohoa_env.db_url) as s:
        # the header as OCR joins it, any case and accents, abbreviations spelled out
        assert agency_code_by_name(s, "Khánh Hòa", "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH") == "000.15.20.H34"
        assert agency_code_by_name(s, "Khánh Hoà", "ỦY BAN NHÂN DÂN HUYỆN VẠN NINH") == "000.00.15.H34"
        assert agency_code_by_name(s, "Hà Nội", "CỤC HÓA CHẤT") == "000.00.00.G12"  # central: every province
        assert agency_code_by_name(s, "Hà Nội", "UBND huyện Vạn Ninh") is None  # another province's agency
        assert agency_code_by_name(s, "Khánh Hòa", "UBND huyện Không Có") is None
        (audit,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "agency_catalogue_import"))
        assert audit.actor == "Nguyễn Thị Lan"
    # importing again updates by code and keeps the rest
    again = HEADER + "000.00.00.G12,Cục Hóa chất (Bộ Công Thương),,,Cục Hóa chất Bộ Công Thương\n"
    assert (import_catalogue(_csv(tmp_path, again, "v2.csv"), "lan").updated) == 1
    with session_scope(sohoa_env.db_url) as s:
        assert len(list(s.scalars(select(CatalogueAgency)))) == 4
        assert agency_code_by_name(s, "Hà Nội", "Cục Hóa chất Bộ Công Thương") == "000.00.00.G12"
        assert agency_code_by_name(s, "Hà Nội", "Bộ Công Thương Cục Hóa chất") is None  # the old printed form went


def test_bad_rows_are_named_by_number_and_nothing_is_imported(sohoa_env: Settings, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = HEADER + (
        "000.00.00.H34,Ủy ban nhân dân tỉnh Khánh Hòa,Khánh Hòa,,\n"   # row 2: fine
        "VD.H34.HUYEN,UBND huyện Vạn Ninh,Khánh Hòa,,\n"               # row 3: not a code
        "000.00.00.H34,Ủy ban nhân dân tỉnh khác,Khánh Hòa,,\n"        # row 4: duplicate code
        "000.00.16.H34,,Khánh Hòa,,\n"                                 # row 5: no name
        "000.00.17.H34,UBND huyện A,Tỉnh Không Có,,\n"                 # row 6: unknown province
        "000.00.18.H34,UBND huyện B,Khánh Hòa,000.00.99.H34,\n"        # row 7: parent unknown
        "000.00.19.H34,UBND tỉnh Khánh Hòa,Khánh Hòa,,\n"              # row 8: the name of row 2's agency
    )
    path = _csv(tmp_path, bad)
    with pytest.raises(PlanRejected) as caught:
        import_catalogue(path, "lan")
    lines = {e.row: e.message for e in caught.value.errors}
    assert set(lines) == {3, 4, 5, 6, 7, 8}, lines
    assert "không đúng dạng" in lines[3] and "trùng với dòng 2" in lines[4] and "thiếu tên" in lines[5]
    assert "Tỉnh Không Có" in lines[6] and "cấp trên" in lines[7] and "dòng 2" in lines[8]
    with session_scope(sohoa_env.db_url) as s:
        assert not list(s.scalars(select(CatalogueAgency)))  # the whole file refused
    # the command: exit 3, every bad row on stderr in Vietnamese
    capsys.readouterr()
    assert main(["agencies", "import", str(path)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "dòng 3" in err and "dòng 8" in err
    assert main(["agencies", "import", str(_csv(tmp_path, GOOD, "ok.csv")), "--actor", "lan"]) == ExitCode.OK
    assert "4 cơ quan mới" in capsys.readouterr().out
    assert main(["agencies", "import", str(tmp_path / "none.csv")]) == ExitCode.BAD_INPUT


def test_an_unknown_issuing_agency_goes_to_a_steward_and_cannot_be_approved(sohoa_env: Settings, tmp_path: Path) -> None:
    """Without a catalogue nothing changes; once loaded, an issuing agency it does not know is a reason
    for review, no note approves it, and correcting the name to the catalogue's clears it."""
    seeding = _review_seeding()
    record = {"fields": seeding.GOOD_HKD | {"issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH"}}

    _, (before,) = seeding.seed_batch(sohoa_env, [record], key="no-catalogue")
    with session_scope(sohoa_env.db_url) as s:
        assert not any("danh mục mã định danh" in str(r) for r in s.get_one(Document, before).review_reasons)

    import_catalogue(_csv(tmp_path, GOOD), "lan")
    unknown = {"fields": seeding.GOOD_HKD | {"issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG KINH TẾ"}}
    _, (known_id, unknown_id) = seeding.seed_batch(sohoa_env, [record, unknown], key="catalogue")
    with session_scope(sohoa_env.db_url) as s:
        known, doc = s.get_one(Document, known_id), s.get_one(Document, unknown_id)
        assert not any("danh mục mã định danh" in str(r) for r in known.review_reasons)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
        assert any("không có trong danh mục mã định danh" in str(r) and "PHÒNG KINH TẾ" in str(r)
                   for r in doc.review_reasons)
    with pytest.raises(service.ReviewError) as refused:
        service.approve_document(unknown_id, "lan", note="tôi chắc chắn", db_url=sohoa_env.db_url)
    assert refused.value.code == "unknown_agency"
    # the steward writes the name as the catalogue knows it: the reason goes, approval is possible
    service.correct_fields(unknown_id, {"issuing_authority": "Phòng TC-KH huyện Vạn Ninh"}, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        assert not any("danh mục mã định danh" in str(r) for r in s.get_one(Document, unknown_id).review_reasons)
        assert s.scalar(select(Field.value).where(Field.document_id == unknown_id, Field.name == "issuing_authority"))
    service.approve_document(unknown_id, "lan", note="đã đối chiếu", db_url=sohoa_env.db_url)


def test_a_keeping_agency_outside_the_catalogue_holds_its_records(sohoa_env: Settings, tmp_path: Path) -> None:
    """The batch's agency code (the keeping agency) travels by code too: once the catalogue is loaded,
    a code it does not list sends the record to a steward, and no note approves it."""
    seeding = _review_seeding()
    record = {"fields": seeding.GOOD_HKD | {"issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH"}}
    import_catalogue(_csv(tmp_path, GOOD), "lan")
    _, (listed,) = seeding.seed_batch(sohoa_env, [record], key="listed-keeper")
    _, (unlisted,) = seeding.seed_batch(sohoa_env, [record], agency="000.00.99.H34", key="unlisted-keeper")
    with session_scope(sohoa_env.db_url) as s:
        assert not any("cơ quan lưu giữ" in str(r) for r in s.get_one(Document, listed).review_reasons)
        doc = s.get_one(Document, unlisted)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
        assert any("cơ quan lưu giữ" in str(r) and "000.00.99.H34" in str(r) for r in doc.review_reasons)
    with pytest.raises(service.ReviewError) as refused:
        service.approve_document(unlisted, "lan", note="tôi chắc chắn", db_url=sohoa_env.db_url)
    assert refused.value.code == "unknown_agency"
