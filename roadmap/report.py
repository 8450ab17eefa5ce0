"""The semiannual report of a province to the Prime Minister (Art. 26.9, 27.8): Excel or PDF.

Due before 15 June (H1) and before 15 December (H2). Figures are read at the period's end, or today
when that is still ahead. Vietnamese throughout; the PDF embeds Noto Sans so diacritics survive.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from core import units
from core.text import vn_number, vn_percent
from roadmap.progress import MapKind, ProvinceReport, UnitProgress, period_end, province_report
from schemas import DOCUMENT_TYPES

NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


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


def _date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "không dự báo được"


def build_report(province: str, period: str, fmt: ReportFormat | str, url: str | None = None,
                 today: date | None = None) -> bytes:
    p = units.province_2025(province)
    as_of = report_as_of(period, today)
    report = province_report(p.code, as_of, MapKind.NEW, url=url)
    old = province_report(p.code, as_of, MapKind.OLD, url=url)
    fmt = ReportFormat(fmt)
    issued = today or datetime.now(VN).date()
    return _xlsx(report, old, period) if fmt is ReportFormat.XLSX else _pdf(report, old, period, issued)


def _title(report: ProvinceReport, period: str) -> str:
    half = "6 tháng đầu năm" if period.upper().endswith("H1") else "6 tháng cuối năm"
    return (f"BÁO CÁO TIẾN ĐỘ SỐ HÓA KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH — {half.upper()} {period[:4]}")


# A summary line: (label, value, kind). Kinds: "text"; "int" (a count); "pct" (percent units, 92.7);
# "rate" (one decimal). Excel gets the number with a number format; the PDF the Vietnamese text.
SummaryLine = tuple[str, object, str]


def _summary(report: ProvinceReport) -> list[SummaryLine]:
    t = report.total
    return [
        ("Tỉnh/thành phố", f"{report.province.full_name} (mã {report.province.code})", "text"),
        ("Số liệu đến hết ngày", report.as_of.strftime("%d/%m/%Y"), "text"),
        ("Số kết quả giấy còn hiệu lực (theo kế hoạch)", t.inventory, "int"),
        ("Đã số hóa (đã ký số và lưu trữ)", t.digitised, "int"),
        ("Tỷ lệ đã số hóa", t.done_pct, "pct"),
        ("Còn phải số hóa", t.remaining, "int"),
        ("Đã đồng bộ vào kho dữ liệu của công dân", t.synced, "int"),
        ("Đang rà soát", t.in_review, "int"),
        ("Bị từ chối", t.rejected, "int"),
        (f"Chỉ tiêu lũy kế năm {report.as_of.year}", t.target_this_year, "int"),
        (f"Chỉ tiêu lũy kế năm {report.as_of.year} (tỷ lệ)", t.target_pct, "pct"),
        ("Trạng thái", t.status.label_vi, "text"),
        ("Tốc độ 90 ngày gần nhất (kết quả/ngày)", report.daily_rate, "rate"),
        ("Dự kiến hoàn thành", _date(report.forecast_completion), "text"),
        ("Tồn sau 31/12/2025" + (" (ước tính)" if report.backlog_projected else ""), report.backlog_after_deadline,
         "int"),
    ]


def _text(value: object, kind: str) -> str:
    if kind == "int":
        return vn_number(value)  # type: ignore[arg-type]
    if kind == "pct":
        return vn_percent(value)  # type: ignore[arg-type]
    if kind == "rate":
        return vn_number(value, 1)  # type: ignore[arg-type]
    return str(value)


UNIT_HEADER = ["Tên", "Mã", "Số giấy còn hiệu lực", "Đã số hóa", "Tỷ lệ đã số hóa", "Còn phải số hóa",
               "Chỉ tiêu năm", "Đã đồng bộ", "Đang rà soát", "Bị từ chối", "Trạng thái"]
_INT_COLUMNS = (2, 3, 5, 6, 7, 8, 9)  # 0-based columns of UNIT_HEADER holding counts
_PCT_COLUMN = 4
XLSX_INT = "#,##0"  # Excel shows the thousands separator of the reader's locale (Vietnamese: ".")
XLSX_PCT = "0.0%"
XLSX_RATE = "#,##0.0"


def _unit_row(u: UnitProgress, name: str | None = None) -> list[object]:
    return [name or u.name, u.code or "", u.inventory, u.digitised,
            None if u.done_pct is None else u.done_pct / 100, u.remaining, u.target_this_year,
            u.synced, u.in_review, u.rejected, u.status.label_vi]


# A cell whose text begins with one of these is read as a formula by Excel and LibreOffice (when typed,
# pasted or re-entered); openpyxl itself writes a string starting with "=" as a live formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(sheet, row: int) -> None:  # type: ignore[no-untyped-def]
    """Names come from imported agency lists and batches: a name such as `=HYPERLINK(...)` is written
    as a string with Excel's quote prefix (the stored form of a leading apostrophe), never a formula."""
    for cell in sheet[row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEADS):
            cell.data_type = "s"
            cell.quotePrefix = True


def _xlsx(report: ProvinceReport, old: ProvinceReport, period: str) -> bytes:
    """Numbers are numbers (sums and charts work), percentages are fractions shown as %, every table
    has a frozen, bold, filterable header; the year sheet carries the planned-vs-actual chart."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")

    def header(sheet, row: int = 1) -> None:  # type: ignore[no-untyped-def]
        for cell in sheet[row]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.freeze_panes = f"A{row + 1}"  # a string: sheet.cell() would create a row and push appends down

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append([_title(report, period)])
    ws["A1"].font = Font(bold=True)
    ws.append(["Căn cứ: Nghị định 45/2020/NĐ-CP, Điều 26 khoản 9 và Điều 27 khoản 8; thời hạn số hóa 31/12/2025."])
    ws.append([])
    ws.append(["Chỉ tiêu", "Giá trị"])
    header(ws, 4)
    for label, value, kind in _summary(report):
        if kind == "pct":
            value = None if value is None else value / 100  # type: ignore[operator]
        ws.append([label, value])
        _as_text(ws, ws.max_row)
        cell = ws.cell(row=ws.max_row, column=2)
        cell.number_format = {"int": XLSX_INT, "pct": XLSX_PCT, "rate": XLSX_RATE}.get(kind, "General")
        if kind != "text":
            cell.alignment = Alignment(horizontal="right")
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 40

    years = wb.create_sheet("Theo năm")
    years.append(["Năm", "Kế hoạch lũy kế", "Thực hiện lũy kế"])
    header(years)
    for y, planned, actual in zip(report.years, report.planned_cumulative, report.actual_cumulative, strict=True):
        years.append([y, planned, actual if y <= report.as_of.year else None])
        for col in (2, 3):
            years.cell(row=years.max_row, column=col).number_format = XLSX_INT
    for letter in "BC":
        years.column_dimensions[letter].width = 18
    if len(report.years) > 0:
        chart = LineChart()
        chart.title = "Lũy kế thực hiện so với kế hoạch"
        chart.y_axis.title = "Số kết quả (lũy kế)"
        chart.x_axis.title = "Năm"
        chart.y_axis.numFmt = XLSX_INT
        n = len(report.years) + 1
        chart.add_data(Reference(years, min_col=2, max_col=3, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(years, min_col=1, min_row=2, max_row=n))
        chart.series[0].graphicalProperties.line.dashStyle = "dash"  # plan dashed, actual solid: no colour needed
        chart.width, chart.height = 18, 9
        years.add_chart(chart, "E2")

    for title, rows in (("Theo cơ quan", [_unit_row(a) for a in report.agencies]),
                        ("Theo cơ quan trước 01-07-2025", [_unit_row(a) for a in old.agencies]),
                        ("Theo loại kết quả", [_unit_row(t, _type_vi(t.name)) for t in report.document_types]),
                        ("Theo tỉnh trước 01-07-2025", [_unit_row(u) for u in old.parts])):
        sheet = wb.create_sheet(title)
        sheet.append(UNIT_HEADER)
        header(sheet)
        for row in rows:
            sheet.append(row)
            r = sheet.max_row
            _as_text(sheet, r)
            for col in _INT_COLUMNS:
                sheet.cell(row=r, column=col + 1).number_format = XLSX_INT
            sheet.cell(row=r, column=_PCT_COLUMN + 1).number_format = XLSX_PCT
        sheet.auto_filter.ref = sheet.dimensions
        sheet.column_dimensions["A"].width = 42
        sheet.column_dimensions["B"].width = 22
        for letter in "CDEFGHIJ":
            sheet.column_dimensions[letter].width = 14
        sheet.column_dimensions["K"].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fonts() -> tuple[str, str, str]:
    """Noto Serif (regular, bold, italic): a free serif with every Vietnamese letter, for the
    Times-like face Decree 30/2020 asks of administrative documents."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "NotoSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoSerif", str(NOTO_DIR / "NotoSerif-Regular.ttf")))
        pdfmetrics.registerFont(TTFont("NotoSerif-Bold", str(NOTO_DIR / "NotoSerif-Bold.ttf")))
        pdfmetrics.registerFont(TTFont("NotoSerif-Italic", str(NOTO_DIR / "NotoSerif-Italic.ttf")))
        pdfmetrics.registerFont(TTFont("NotoSerif-BoldItalic", str(NOTO_DIR / "NotoSerif-BoldItalic.ttf")))
        # <b>, <i> and <u> inside paragraphs pick the family's faces
        pdfmetrics.registerFontFamily("NotoSerif", normal="NotoSerif", bold="NotoSerif-Bold",
                                      italic="NotoSerif-Italic", boldItalic="NotoSerif-BoldItalic")
    return "NotoSerif", "NotoSerif-Bold", "NotoSerif-Italic"


def _pdf(report: ProvinceReport, old: ProvinceReport, period: str, issued: date) -> bytes:
    """The report laid out as an administrative document (Decree 30/2020/NĐ-CP, Appendix I): the
    issuing body and the national heading side by side, number and place-date, title, recipient,
    body, then the recipients list and the signature block, ready for the chairman to sign."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from roadmap.charts import cumulative_chart_png

    regular, bold, italic = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=15, alignment=4)
    center = ParagraphStyle("center", fontName=regular, fontSize=11, leading=14, alignment=1)
    center_b = ParagraphStyle("center_b", parent=center, fontName=bold)
    center_i = ParagraphStyle("center_i", parent=center, fontName=italic)
    small = ParagraphStyle("small", fontName=regular, fontSize=9, leading=11)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=13, leading=17, alignment=1, spaceBefore=10, spaceAfter=2)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5)
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                       ("FONTNAME", (0, 0), (-1, 0), bold), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    province = report.province
    unit = province.full_name if province.full_name != province.name else f"Tỉnh {province.name}"
    body_name = f"ỦY BAN NHÂN DÂN<br/>{escape(unit.upper())}"
    heading = Table([
        [Paragraph(body_name, center_b),
         Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", center_b)],
        [Paragraph("―――――", center), Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", center_b)],
        [Paragraph("Số:        /BC-UBND", center),
         Paragraph(f"{escape(province.name)}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}", center_i)],
    ], colWidths=[6.4 * cm, 10.1 * cm], style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                                           ("TOPPADDING", (0, 0), (-1, -1), 1),
                                                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    half = "6 tháng đầu năm" if period.upper().endswith("H1") else "6 tháng cuối năm"
    lines = _summary(report)
    summary = Table([["Chỉ tiêu", "Giá trị"]] + [[Paragraph(escape(label), cell), _text(value, kind)]
                                                 for label, value, kind in lines],
                    colWidths=[10 * cm, 6.5 * cm], repeatRows=1,
                    style=TableStyle(grid.getCommands() + [  # figures right-aligned, words left
                        ("ALIGN", (1, i), (1, i), "RIGHT") for i, (_, _, kind) in enumerate(lines, start=1)
                        if kind != "text"]))
    story: list[object] = [
        heading,
        Paragraph("BÁO CÁO", h1),
        Paragraph(f"Tiến độ số hóa kết quả giải quyết thủ tục hành chính {half} {period[:4]}", center_b),
        Spacer(1, 8),
        Paragraph("Kính gửi: Thủ tướng Chính phủ.", center),
        Spacer(1, 6),
        Paragraph(f"Thực hiện Nghị định số 45/2020/NĐ-CP (Điều 26 khoản 9, Điều 27 khoản 8) về báo cáo định kỳ "
                  f"6 tháng tình hình số hóa kết quả giải quyết thủ tục hành chính còn hiệu lực (thời hạn hoàn "
                  f"thành 31/12/2025), Ủy ban nhân dân {escape(unit[0].lower() + unit[1:])} báo cáo như sau:", body),
        Paragraph("1. Tổng hợp", h2),
        summary,
        Paragraph("2. Lũy kế thực hiện so với kế hoạch", h2),
        Image(io.BytesIO(cumulative_chart_png(report)), width=16.5 * cm, height=8.35 * cm),
    ]

    def unit_table(rows: list[list[object]]) -> Table:
        head = ["Tên", "Số giấy còn hiệu lực", "Đã số hóa", "Tỷ lệ", "Còn phải số hóa", "Chỉ tiêu năm",
                "Trạng thái"]
        data: list[list[object]] = [[Paragraph(h, ParagraphStyle("th", parent=cell, fontName=bold)) for h in head]]
        for r in rows:
            data.append([Paragraph(escape(str(r[0])), cell), vn_number(r[2]), vn_number(r[3]),  # type: ignore[arg-type]
                         "—" if r[4] is None else vn_percent(100 * r[4]),  # type: ignore[operator]
                         vn_number(r[5]), vn_number(r[6]), r[10]])  # type: ignore[arg-type]
        return Table(data, colWidths=[4.8 * cm, 2.0 * cm, 1.9 * cm, 1.7 * cm, 2.0 * cm, 1.9 * cm, 2.2 * cm],
                     style=TableStyle(grid.getCommands() + [("ALIGN", (1, 1), (5, -1), "RIGHT")]), repeatRows=1)

    story += [Paragraph("3. Theo cơ quan (bộ máy từ 01/07/2025; cấp huyện tính cho cơ quan kế thừa)", h2),
              unit_table([_unit_row(a) for a in report.agencies]),
              Paragraph("4. Theo loại kết quả", h2),
              unit_table([_unit_row(t, _type_vi(t.name)) for t in report.document_types])]
    if len(old.parts) > 1:
        story += [Paragraph("5. Theo tỉnh trước 01/07/2025", h2), unit_table([_unit_row(u) for u in old.parts])]
    recipients = Paragraph("<b><i>Nơi nhận:</i></b><br/>- Thủ tướng Chính phủ;<br/>- Văn phòng Chính phủ (Cục Kiểm soát "
                           "thủ tục hành chính);<br/>- Chủ tịch, các Phó Chủ tịch UBND tỉnh;<br/>- Lưu: VT.",
                           ParagraphStyle("rec", parent=small, fontName=regular))
    signature = [Paragraph("TM. ỦY BAN NHÂN DÂN", center_b), Paragraph("CHỦ TỊCH", center_b),
                 Paragraph("(Ký số, ghi rõ họ tên, đóng dấu)", center_i), Spacer(1, 2.2 * cm),
                 Paragraph("………………………………", center)]
    story += [Spacer(1, 14), KeepTogether(Table([[recipients, signature]], colWidths=[7.5 * cm, 9 * cm],
                                                style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")])))]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=3 * cm, rightMargin=1.5 * cm, topMargin=2 * cm,
                            bottomMargin=2 * cm, title=_title(report, period),
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
