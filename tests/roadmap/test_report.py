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


def _hostile_agencies(tmp_path: Path, names: dict[str, str]) -> None:
    """Khánh Hòa's example agencies with some names replaced by attacker text, then its plan and results."""
    lines = (EXAMPLES / "agencies_khanh_hoa.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        code, _name, rest = line.split(",", 2)
        name = names.get(code, _name)
        out.append(f'{code},"{name.replace(chr(34), chr(34) * 2)}",{rest}')
    path = tmp_path / "agencies.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    import_agencies(path, "Khánh Hòa")
    import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
    add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", 12, converted_at=datetime(2025, 10, 2, tzinfo=UTC))


def test_issue17_7_agency_names_are_text_never_formulas_in_the_xlsx(roadmap_db, tmp_path: Path) -> None:
    import zipfile

    hostile = {"000.00.15.H34": '=HYPERLINK("http://evil.example/x","Bấm vào đây")',
               "VD.H34.XA.VANTHANG": "+1+cmd|' /C calc'!A0", "VD.H34.XA.NINHHAI": "@SUM(1+1)*cmd|'/C calc'!A0",
               "VD.H34.XA.VANNINH": "-2+3"}
    _hostile_agencies(tmp_path, hostile)
    data = build_report("Khánh Hòa", "2025-H2", "xlsx", today=date(2026, 1, 5))
    with zipfile.ZipFile(BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not [n for n in sheets if b"<f>" in z.read(n) or b"<f " in z.read(n)]
    wb = load_workbook(BytesIO(data))
    cells = {c.value: c for row in wb["Theo cơ quan"].iter_rows() for c in row[:1]}
    found = [n for n in hostile.values() if n in cells]
    assert len(found) >= 3, sorted(cells, key=str)  # the agencies the new-map report lists
    for name in found:
        assert cells[name].data_type == "s" and cells[name].quotePrefix, name  # shown as typed, '-prefixed
    assert cells["Tên"].quotePrefix is False  # ordinary text is left as it was


def test_issue17_7_markup_in_a_name_is_shown_in_the_pdf_and_nothing_is_fetched(roadmap_db, tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pixel.png"
        _hostile_agencies(tmp_path, {"VD.H34.XA.NINHHAI": f'Xã <img src="{url}" width="9" height="9"/> & <b>đậm'})
        out = tmp_path / "bc.pdf"
        out.write_bytes(build_report("Khánh Hòa", "2025-H2", "pdf", today=date(2026, 1, 5)))
    finally:
        server.shutdown()
    assert asked == []
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "<img" in text and "<b>đậm" in text and "&" in text
