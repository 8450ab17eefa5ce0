"""Rule 15: the semiannual report, Excel and PDF, in Vietnamese; the DAG writes every province's."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from roadmap.plans import import_agencies, import_plan
from roadmap.report import build_report
from sohoa.cli import main

from .conftest import EXAMPLES, add_results


def _seed() -> None:
    import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
    add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", 120, converted_at=datetime(2025, 10, 2, tzinfo=UTC))
    add_results("Ninh Thuận", "VD.H34.HUYEN.NINHHAI", "giay_chung_nhan_ho_kinh_doanh", 30,
                converted_at=datetime(2025, 3, 2, tzinfo=UTC))


def test_pdf_report_keeps_vietnamese_diacritics(roadmap_db, tmp_path: Path) -> None:
    _seed()
    out = tmp_path / "bc.pdf"
    assert main(["roadmap", "report", "--province", "56", "--period", "2025-H2", "--format", "pdf",
                 "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())  # the title wraps over two lines
    for phrase in ("BÁO CÁO TIẾN ĐỘ SỐ HÓA KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "6 THÁNG CUỐI NĂM 2025",
                   "Khánh Hòa", "Ninh Thuận", "Đã đồng bộ vào kho dữ liệu của công dân", "Quá hạn",
                   "UBND xã Ninh Hải", "Giấy xác nhận tình trạng hôn nhân"):
        assert phrase in text, phrase
    assert "150 (0,8%)" in text  # 150 of 17,800 digitised by 31/12/2025


def test_xlsx_report_and_bad_period(roadmap_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed()
    wb = load_workbook(BytesIO(build_report("Khánh Hòa", "2025-H1", "xlsx", today=date(2026, 1, 1))))
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and len(r) > 1}
    assert summary["Số liệu đến hết ngày"] == "30/06/2025"
    assert summary["Đã số hóa (đã ký số và lưu trữ)"].startswith("30 ")  # October's 120 are after H1
    old = [r for r in wb["Theo tỉnh trước 01-07-2025"].iter_rows(values_only=True)]
    assert {r[0] for r in old[1:]} == {"Khánh Hòa", "Ninh Thuận"}
    assert main(["roadmap", "report", "--province", "56", "--period", "2025-Q3", "--out", str(tmp_path / "x")]) == 2
    assert "NĂM-H1 hoặc NĂM-H2" in capsys.readouterr().err


def test_import_plan_command_reports_rows_and_exit_code(roadmap_db, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roadmap", "import-agencies", str(EXAMPLES / "agencies_khanh_hoa.csv"), "--province", "Khánh Hòa"]) == 0
    assert main(["roadmap", "import-plan", str(EXAMPLES / "plan_khanh_hoa.csv"), "--province", "Khánh Hòa"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("year,agency_code,document_type,inventory,cumulative_target\n2025,X,quyet_dinh,5,6\n",
                   encoding="utf-8")
    assert main(["roadmap", "import-plan", str(bad), "--province", "Khánh Hòa"]) == 3
    err = capsys.readouterr().err
    assert str(bad) in err and "dòng 2:" in err and "chỉ tiêu lũy kế 6 lớn hơn" in err


def test_publish_writes_every_format_to_the_reports_bucket(sohoa_env) -> None:
    from roadmap.report import publish_reports
    from storage.objects import ObjectStore

    outcome = publish_reports("2025-H2", provinces=["56", "01"])
    assert outcome["failed"] == [] and len(outcome["written"]) == 4
    store = ObjectStore()
    key = "roadmap/2025-H2/bao-cao-so-hoa-56-2025-H2.pdf"
    assert store.get_bytes(store.bucket("reports"), key).startswith(b"%PDF")
