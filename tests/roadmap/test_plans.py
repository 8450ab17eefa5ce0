"""Rule 14 (roadmap): a province's plan names agencies, yearly cumulative targets, 100% by 31/12/2025."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from roadmap.plans import PlanRejected, active_plan_rows, import_agencies, import_plan
from storage.db import session_scope
from storage.roadmap_models import Agency, Plan, PlanRow

from .conftest import EXAMPLES

HEADER = "year,agency_code,document_type,inventory,cumulative_target\n"


def _plan(tmp_path: Path, body: str, name: str = "plan.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_example_plan_imports_and_district_agencies_are_abolished_with_successors(roadmap_db) -> None:
    outcome = import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    assert outcome.rows == 6
    with session_scope() as s:
        van_ninh = s.scalar(select(Agency).where(Agency.code == "VD.H34.HUYEN.VANNINH"))
        ninh_hai = s.scalar(select(Agency).where(Agency.code == "VD.H34.HUYEN.NINHHAI"))
    assert van_ninh.abolished_on.isoformat() == "2025-07-01" and van_ninh.successor_code == "VD.H34.XA.VANNINH"
    assert van_ninh.old_province == "Khánh Hòa" and ninh_hai.old_province == "Ninh Thuận"
    plan = import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
    assert (plan.rows, plan.version) == (16, 1)
    rows = active_plan_rows(["Khánh Hòa"])
    assert {(r.year, r.cumulative_target) for _, r in rows if r.agency_code == "000.00.15.H34"} == {
        (2021, 1200), (2022, 3600), (2023, 6600), (2024, 9600), (2025, 12000)}
    # A second import replaces the first: only the newest version counts.
    again = import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Ninh Thuận")  # an old name of the same province
    assert again.version == 2 and again.province == "Khánh Hòa"
    with session_scope() as s:
        assert [p.version for p in s.scalars(select(Plan).where(Plan.active.is_(True)))] == [2]
    assert len(active_plan_rows(["Khánh Hòa"])) == 16


def test_bad_plan_is_rejected_with_row_numbers_and_reasons(roadmap_db, tmp_path: Path) -> None:
    import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    bad = _plan(tmp_path, (
        "2023,000.00.15.H34,quyet_dinh,100,60\n"
        "2024,000.00.15.H34,quyet_dinh,100,40\n"          # row 3: decreasing
        "2025,000.00.15.H34,quyet_dinh,100,90\n"          # row 4: not 100% by 2025
        "2025,SO-KHONG-CO,quyet_dinh,10,10\n"              # row 5: unknown agency
        "2025,VD.H34.XA.VANTHANG,giay_phep_lai_xe,10,10\n"  # row 6: unknown type
        "2025,VD.H34.XA.VANTHANG,quyet_dinh,mười,10\n"     # row 7: bad number
        "2026,VD.H34.XA.VANNINH,quyet_dinh,10,10\n"        # row 8: after the deadline
        "2025,VD.H34.XA.NINHHAI,quyet_dinh,10,120%\n"      # row 9: bad percentage
    ))
    with pytest.raises(PlanRejected) as info:
        import_plan(bad, "Khánh Hòa")
    by_row = {e.row: e.message for e in info.value.errors}
    assert "giảm so với năm 2023" in by_row[3]
    assert "chưa đạt 100%" in by_row[4]
    assert "không có trong danh mục cơ quan" in by_row[5]
    assert "loại kết quả «giay_phep_lai_xe»" in by_row[6]
    assert "không phải số nguyên" in by_row[7]
    assert "ngoài kỳ kế hoạch" in by_row[8]
    assert "không phải tỷ lệ" in by_row[9]
    assert str(bad) in str(info.value)
    with session_scope() as s:  # nothing of a rejected file is kept
        assert s.scalar(select(PlanRow)) is None


def test_plan_from_excel_with_vietnamese_headers(roadmap_db, tmp_path: Path) -> None:
    import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    wb = Workbook()
    ws = wb.active
    ws.append(["Năm", "Mã cơ quan", "Loại giấy tờ", "Số kết quả giấy còn hiệu lực", "Chỉ tiêu lũy kế"])
    ws.append([2024, "VD.H34.XA.VANTHANG", "xac_nhan_tinh_trang_hon_nhan", 500, 250])
    ws.append([2025, "VD.H34.XA.VANTHANG", "xac_nhan_tinh_trang_hon_nhan", 500, "100%"])
    path = tmp_path / "ke_hoach.xlsx"
    wb.save(path)
    assert import_plan(path, "Khánh Hòa").rows == 2
    ws.append([2025.5, "VD.H34.XA.VANTHANG", "quyet_dinh", 5, 5])
    wb.save(path)
    with pytest.raises(PlanRejected) as info:
        import_plan(path, "Khánh Hòa")
    assert [e.row for e in info.value.errors] == [4]


def test_missing_columns_and_unknown_units_are_named(roadmap_db, tmp_path: Path) -> None:
    path = tmp_path / "thieu_cot.csv"
    path.write_text("year,agency_code\n2025,X\n", encoding="utf-8")
    with pytest.raises(PlanRejected, match="thiếu cột"):
        import_plan(path, "Khánh Hòa")
    agencies = tmp_path / "agencies.csv"
    agencies.write_text("code,name,level,unit_code\nA,UBND huyện Ba Đình,huyen,001\nB,Sở X,cấp tỉnh,\n",
                        encoding="utf-8")
    with pytest.raises(PlanRejected) as info:
        import_agencies(agencies, "Khánh Hòa")
    messages = [str(e) for e in info.value.errors]
    assert messages[0].startswith("dòng 2: mã huyện «001» không thuộc Khánh Hòa")
    assert messages[1].startswith("dòng 3: cấp «cấp tỉnh» không hợp lệ")


def test_agency_template_lists_real_units_and_imports_once_codes_are_filled(roadmap_db, tmp_path: Path) -> None:
    import csv

    from sohoa.cli import main

    out = tmp_path / "co_quan.csv"
    assert main(["roadmap", "agency-template", "--province", "Khánh Hòa", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    districts = [r for r in rows if r["level"] == "huyen"]
    assert len(districts) == 16 and len(rows) == 16 + 65  # old Khánh Hòa + Ninh Thuận districts; 65 communes
    van_ninh = next(r for r in districts if r["unit_code"] == "571")
    assert van_ninh["name"] == "UBND huyện Vạn Ninh" and "Xã Vạn Ninh (22489)" in van_ninh["goi_y_ke_thua"]
    for i, r in enumerate(rows):
        r["code"] = f"VD.{i:03d}"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_agencies(out, "Khánh Hòa").rows == 81
