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
    for phrase in ("Tiến độ số hóa kết quả giải quyết thủ tục hành chính 6 tháng cuối năm 2025",
                   "Khánh Hòa", "Ninh Thuận", "Đã đồng bộ vào kho dữ liệu của công dân", "Quá hạn",
                   "UBND xã Ninh Hải", "Giấy xác nhận tình trạng"):
        assert phrase in text, phrase
    # Decree 30/2020 layout: issuing body and national heading, number, place and date, recipients, signature
    for phrase in ("ỦY BAN NHÂN DÂN", "TỈNH KHÁNH HÒA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Độc lập - Tự do - Hạnh phúc", "/BC-UBND", "Khánh Hòa, ngày", "BÁO CÁO",
                   "Kính gửi: Thủ tướng Chính phủ", "Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"):
        assert phrase in text, phrase
    # 150 of 17,800 digitised by 31/12/2025; Vietnamese numbers
    assert "Đã số hóa (đã ký số và lưu trữ) 150" in text and "Tỷ lệ đã số hóa 0,8 %" in text
    assert "17.800" in text and "17.650" in text


def test_pdf_report_numbers_are_right_aligned(roadmap_db, tmp_path: Path) -> None:
    """In the summary table every value ends at the same x (right-aligned), whatever its width."""
    import re

    _seed()
    out = tmp_path / "bc.pdf"
    out.write_bytes(build_report("Khánh Hòa", "2025-H2", "pdf", today=date(2026, 1, 5)))
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "2", str(out), "-"], capture_output=True,
                           text=True, check=True).stdout
    ends = {word: round(float(x_max)) for x_max, word in
            re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)</word>', boxes)
            if word in ("17.800", "150", "17.650")}
    assert len(ends) == 3 and max(ends.values()) - min(ends.values()) <= 1, ends


def test_xlsx_report_and_bad_period(roadmap_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed()
    wb = load_workbook(BytesIO(build_report("Khánh Hòa", "2025-H1", "xlsx", today=date(2026, 1, 1))))
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and len(r) > 1}
    assert summary["Số liệu đến hết ngày"] == "30/06/2025"
    assert summary["Đã số hóa (đã ký số và lưu trữ)"] == 30  # a number, not text; October's 120 are after H1
    assert summary["Số kết quả giấy còn hiệu lực (theo kế hoạch)"] == 17800
    assert abs(summary["Tỷ lệ đã số hóa"] - 30 / 17800) < 1e-9
    cells = {c.value: c for c in wb["Tổng hợp"]["A"]}
    assert wb["Tổng hợp"].cell(row=cells["Tỷ lệ đã số hóa"].row, column=2).number_format == "0.0%"
    assert wb["Tổng hợp"].cell(row=cells["Còn phải số hóa"].row, column=2).number_format == "#,##0"
    for name in wb.sheetnames[1:]:
        assert wb[name].freeze_panes == "A2", name  # the header stays while scrolling
    agencies = list(wb["Theo cơ quan"].iter_rows(min_row=2, values_only=True))
    assert agencies and all(isinstance(r[2], int) and (r[4] is None or isinstance(r[4], int | float)) for r in agencies)
    assert wb["Theo cơ quan"]["E2"].number_format == "0.0%"
    assert len(wb["Theo năm"]._charts) == 1  # planned vs actual
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
