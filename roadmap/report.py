"""The semiannual report of a province to the Prime Minister (Art. 26.9, 27.8): Excel or PDF.

Due before 15 June (H1) and before 15 December (H2). Figures are read at the period's end, or today
when that is still ahead. Vietnamese throughout; the PDF embeds Noto Sans so diacritics survive.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from core import units
from roadmap.progress import MapKind, ProvinceReport, UnitProgress, period_end, province_report
from schemas import DOCUMENT_TYPES

NOTO_DIR = Path("/usr/share/fonts/truetype/noto")


class ReportFormat(StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        return {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "pdf": "application/pdf"}[self.value]


def report_as_of(period: str, today: date | None = None) -> date:
    today = today or datetime.now(UTC).date()
    return min(period_end(period), today)


def _type_vi(code: str) -> str:
    t = DOCUMENT_TYPES.get(code)
    return t.name_vi if t else code


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def _date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "không dự báo được"


def build_report(province: str, period: str, fmt: ReportFormat | str, url: str | None = None,
                 today: date | None = None) -> bytes:
    p = units.province_2025(province)
    as_of = report_as_of(period, today)
    report = province_report(p.code, as_of, MapKind.NEW, url=url)
    old = province_report(p.code, as_of, MapKind.OLD, url=url)
    fmt = ReportFormat(fmt)
    return _xlsx(report, old, period) if fmt is ReportFormat.XLSX else _pdf(report, old, period)


def _title(report: ProvinceReport, period: str) -> str:
    half = "6 tháng đầu năm" if period.upper().endswith("H1") else "6 tháng cuối năm"
    return (f"BÁO CÁO TIẾN ĐỘ SỐ HÓA KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH — {half.upper()} {period[:4]}")


def _summary(report: ProvinceReport) -> list[tuple[str, str]]:
    t = report.total
    return [
        ("Tỉnh/thành phố", f"{report.province.full_name} (mã {report.province.code})"),
        ("Số liệu đến hết ngày", report.as_of.strftime("%d/%m/%Y")),
        ("Số kết quả giấy còn hiệu lực (theo kế hoạch)", f"{t.inventory:,}".replace(",", ".")),
        ("Đã số hóa (đã ký số và lưu trữ)", f"{t.digitised:,}".replace(",", ".") + f" ({_pct(t.done_pct)})"),
        ("Đã đồng bộ vào kho dữ liệu của công dân", f"{t.synced:,}".replace(",", ".")),
        ("Đang rà soát", f"{t.in_review:,}".replace(",", ".")),
        ("Bị từ chối", f"{t.rejected:,}".replace(",", ".")),
        (f"Chỉ tiêu lũy kế năm {report.as_of.year}", f"{t.target_this_year:,}".replace(",", ".")
         + f" ({_pct(t.target_pct)})"),
        ("Trạng thái", t.status.label_vi),
        ("Tốc độ 90 ngày gần nhất (kết quả/ngày)", f"{report.daily_rate:.1f}".replace(".", ",")),
        ("Dự kiến hoàn thành", _date(report.forecast_completion)),
        ("Tồn sau 31/12/2025" + (" (ước tính)" if report.backlog_projected else ""),
         f"{report.backlog_after_deadline:,}".replace(",", ".")),
    ]


UNIT_HEADER = ["Tên", "Mã", "Tồn giấy", "Đã số hóa", "Tỷ lệ", "Chỉ tiêu năm", "Đã đồng bộ", "Đang rà soát",
               "Bị từ chối", "Trạng thái"]


def _unit_row(u: UnitProgress, name: str | None = None) -> list[object]:
    return [name or u.name, u.code or "", u.inventory, u.digitised, _pct(u.done_pct), u.target_this_year,
            u.synced, u.in_review, u.rejected, u.status.label_vi]


def _xlsx(report: ProvinceReport, old: ProvinceReport, period: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append([_title(report, period)])
    ws["A1"].font = Font(bold=True)
    ws.append(["Căn cứ: Nghị định 45/2020/NĐ-CP, Điều 26 khoản 9 và Điều 27 khoản 8; thời hạn số hóa 31/12/2025."])
    ws.append([])
    for label, value in _summary(report):
        ws.append([label, value])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 40
    years = wb.create_sheet("Theo năm")
    years.append(["Năm", "Kế hoạch lũy kế", "Thực hiện lũy kế"])
    for y, planned, actual in zip(report.years, report.planned_cumulative, report.actual_cumulative, strict=True):
        years.append([y, planned, actual if y <= report.as_of.year else None])
    for title, rows in (("Theo cơ quan", [_unit_row(a) for a in report.agencies]),
                        ("Theo cơ quan trước 01-07-2025", [_unit_row(a) for a in old.agencies]),
                        ("Theo loại kết quả", [_unit_row(t, _type_vi(t.name)) for t in report.document_types]),
                        ("Theo tỉnh trước 01-07-2025", [_unit_row(u) for u in old.parts])):
        sheet = wb.create_sheet(title)
        sheet.append(UNIT_HEADER)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 42
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "NotoSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoSans", str(NOTO_DIR / "NotoSans-Regular.ttf")))
        pdfmetrics.registerFont(TTFont("NotoSans-Bold", str(NOTO_DIR / "NotoSans-Bold.ttf")))
    return "NotoSans", "NotoSans-Bold"


def _pdf(report: ProvinceReport, old: ProvinceReport, period: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from roadmap.charts import cumulative_chart_png

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=12.5, leading=16, alignment=1, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 8),
                       ("FONTNAME", (0, 0), (-1, 0), bold), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story: list[object] = [
        Paragraph(f"ỦY BAN NHÂN DÂN {report.province.full_name.upper()}", body),
        Spacer(1, 6), Paragraph(_title(report, period), h1),
        Paragraph("Căn cứ Nghị định 45/2020/NĐ-CP (Điều 26 khoản 9, Điều 27 khoản 8): báo cáo định kỳ 6 tháng "
                  "tình hình số hóa kết quả giải quyết thủ tục hành chính còn hiệu lực; thời hạn hoàn thành "
                  "31/12/2025.", body),
        Paragraph("1. Tổng hợp", h2),
        Table([[a, b] for a, b in _summary(report)], colWidths=[8.5 * cm, 8.5 * cm], style=grid),
        Paragraph("2. Lũy kế thực hiện so với kế hoạch", h2),
        Image(io.BytesIO(cumulative_chart_png(report)), width=17 * cm, height=8.6 * cm),
    ]

    def unit_table(rows: list[list[object]]) -> Table:
        head = ["Tên", "Tồn giấy", "Đã số hóa", "Tỷ lệ", "Chỉ tiêu năm", "Trạng thái"]
        data = [head] + [[Paragraph(str(r[0]), ParagraphStyle("c", fontName=regular, fontSize=8, leading=10)),
                          f"{r[2]:,}".replace(",", "."), f"{r[3]:,}".replace(",", "."), r[4],
                          f"{r[5]:,}".replace(",", "."), r[9]] for r in rows]
        return Table(data, colWidths=[6.5 * cm, 2 * cm, 2 * cm, 1.6 * cm, 2.2 * cm, 2.7 * cm], style=grid,
                     repeatRows=1)

    story += [Paragraph("3. Theo cơ quan (bộ máy từ 01/07/2025; cấp huyện tính cho cơ quan kế thừa)", h2),
              unit_table([_unit_row(a) for a in report.agencies]),
              Paragraph("4. Theo loại kết quả", h2),
              unit_table([_unit_row(t, _type_vi(t.name)) for t in report.document_types])]
    if len(old.parts) > 1:
        story += [Paragraph("5. Theo tỉnh trước 01/07/2025", h2), unit_table([_unit_row(u) for u in old.parts])]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                            bottomMargin=1.8 * cm, title=_title(report, period),
                            author=f"UBND {report.province.full_name}")
    doc.build(story)
    return buf.getvalue()


def report_key(province_code: str, period: str, fmt: ReportFormat | str) -> str:
    """Object key in the reports bucket."""
    return f"roadmap/{period}/bao-cao-so-hoa-{province_code}-{period}.{ReportFormat(fmt).value}"


def publish_reports(period: str | None = None, formats: tuple[str, ...] = ("xlsx", "pdf"),
                    provinces: list[str] | None = None) -> dict[str, list[str]]:
    """Build every province's report for the period and put it in the reports bucket (one task, many
    files: a bad province is recorded and the others still go)."""
    from roadmap.progress import report_period
    from storage.objects import ObjectStore

    period = period or report_period(datetime.now(UTC))
    store = ObjectStore()
    store.ensure_buckets()
    bucket = store.bucket("reports")
    written, failed = [], []
    for p in provinces or [x.code for x in units.new_provinces()]:
        for fmt in formats:
            try:
                data = build_report(p, period, fmt)
                key = report_key(units.province_2025(p).code, period, fmt)
                store.put_bytes(bucket, key, data, content_type=ReportFormat(fmt).media_type)
                written.append(f"s3://{bucket}/{key}")
            except Exception as exc:  # one province's failure must not stop the others' reports
                failed.append(f"{p} {fmt}: {exc}")
    return {"period": [period], "written": written, "failed": failed}
