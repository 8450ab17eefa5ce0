"""Paper print of an electronic result (Decree 45/2020 Art. 18; Decree 137/2024 Art. 5).

Art. 18.2: the paper copy reflects the electronic result fully and exactly (a), shows that it was
processed on an information system and that system's or its owner's name (b), and carries the
result's identifier for look-up (c). The cover page follows the form ("Biểu mẫu") annexed to the
Bình Định one-stop system rules (seeds/001): issuing unit, "KẾT QUẢ", part I (document number,
authority, signer, signing date, result code), part II (the content: the result's own pages follow),
a QR code for look-up, and "Được cung cấp bởi …".
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode
from signing import _fonts
from signing._assemble import _draw_qr
from signing.marker import vietnam_tz

A4 = (595.28, 841.89)
MARGIN = 56.0

HEADING = "KẾT QUẢ"
SUBHEADING = "Giải quyết hồ sơ thủ tục hành chính được chuyển đổi từ văn bản điện tử"
PART_I = "I. THÔNG TIN VĂN BẢN ĐIỆN TỬ ĐƯỢC CHUYỂN ĐỔI"
PART_II = "II. NỘI DUNG VĂN BẢN ĐIỆN TỬ ĐƯỢC CHUYỂN ĐỔI"
LABELS = (
    "1. Ký hiệu văn bản",
    "2. Cơ quan thẩm quyền ký văn bản",
    "3. Họ và tên người ký ban hành",
    "4. Ngày ký văn bản",
    "5. Mã số hồ sơ thủ tục hành chính",
)
LOOKUP_LABEL = "Mã tra cứu"


@dataclass(frozen=True)
class PrintCopyInfo:
    document_number: str
    authority: str
    signer_name: str
    issue_date: str
    result_code: str
    electronic_signer: str | None  # who signed the electronic version (the converter)
    signed_at: datetime | None
    page_count: int


class PrintCopyError(Exception):
    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Không in được"

    def __init__(self, path: Path, reason: str, *, signature_invalid: bool = False) -> None:
        self.path = path
        self.reason = reason
        self.signature_invalid = signature_invalid
        # A paper copy of a result whose signature does not verify is refused (exit 4), else the file is bad.
        self.exit_code = ExitCode.INVALID_SIGNATURE if signature_invalid else ExitCode.BAD_INPUT
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.path, self.reason), {"signature_invalid": self.signature_invalid,
                                                       "exit_code": self.exit_code})


def _fields_json(pdf: bytes) -> dict[str, object]:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if "fields.json" not in doc.attachments:
            return {}
        try:
            data = json.loads(doc.attachments["fields.json"].get_file().read_bytes())
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _vn_date(iso: str) -> str:
    try:
        d = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def collect_info(path: Path, pdf: bytes, report) -> PrintCopyInfo:  # type: ignore[no-untyped-def]
    import pikepdf

    data = _fields_json(pdf)
    raw_fields = data.get("fields")
    fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}

    def value(name: str) -> str:
        v = fields.get(name)
        if isinstance(v, dict):
            v = v.get("value")
        return str(v) if v not in (None, "") else "—"

    result_code = report.marker_fields.get("result_code") or str(data.get("result_code") or "")
    if not result_code:
        raise PrintCopyError(path, "không có mã kết quả để tra cứu / no result code (look-up identifier) in the file")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = len(doc.pages)
    issue = value("issue_date")
    return PrintCopyInfo(
        document_number=value("document_number"), authority=value("issuing_authority"),
        signer_name=value("signer_name"), issue_date=_vn_date(issue) if issue != "—" else issue,
        result_code=result_code, electronic_signer=report.signer, signed_at=report.signing_time, page_count=pages,
    )


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for word in para.split():
            trial = f"{cur} {word}".strip()
            if stringWidth(trial, font, size) <= width or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur = word
        lines.append(cur)
    return lines


def render_cover(info: PrintCopyInfo, *, unit: str, system_name: str, lookup_url: str,
                 address: str | None = None, phone: str | None = None, printed_at: datetime | None = None) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _fonts.register()
    w, h = A4
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=0)
    c.setTitle(f"Bản in kết quả {info.result_code}")
    c.setAuthor(system_name)
    y = h - MARGIN
    # (1)-(3): the unit that receives dossiers and returns results.
    for line in _wrap(unit.upper(), bold, 10, w / 2):
        c.setFont(bold, 10)
        c.drawCentredString(MARGIN + w / 4 - MARGIN / 2, y, line)
        y -= 13
    c.setFont(regular, 9)
    if address:
        c.drawString(MARGIN, y, f"- Địa chỉ: {address}")
        y -= 12
    if phone:
        c.drawString(MARGIN, y, f"- Số điện thoại: {phone}")
        y -= 12
    y -= 24
    c.setFont(bold, 16)
    c.drawCentredString(w / 2, y, HEADING)
    y -= 20
    c.setFont(bold, 11)
    c.drawCentredString(w / 2, y, SUBHEADING)
    y -= 30
    c.setFont(bold, 11)
    c.drawString(MARGIN, y, PART_I)
    y -= 20
    values = (info.document_number, info.authority, info.signer_name, info.issue_date, info.result_code)
    for label, value in zip(LABELS, values, strict=True):
        first = True
        for line in _wrap(f"{label}: {value}", regular, 10.5, w - 2 * MARGIN - 16):
            c.setFont(regular, 10.5)
            c.drawString(MARGIN + (16 if first else 28), y, line)
            first = False
            y -= 15
    y -= 12
    c.setFont(bold, 11)
    c.drawString(MARGIN, y, PART_II)
    y -= 18
    c.setFont(regular, 10.5)
    c.drawString(MARGIN + 16, y, f"Toàn bộ nội dung kết quả điện tử: {info.page_count} trang kèm theo.")
    y -= 15
    if info.electronic_signer:
        when = ""
        if info.signed_at:
            t = info.signed_at.astimezone(vietnam_tz())
            when = f" lúc {t:%H:%M} ngày {t:%d/%m/%Y}"
        for line in _wrap(f"Văn bản điện tử đã được ký số bởi: {info.electronic_signer}{when}.", regular, 10.5,
                          w - 2 * MARGIN - 16):
            c.drawString(MARGIN + 16, y, line)
            y -= 15

    # Art. 18.2.c / seeds/001 Art. 16.2: look-up code and QR code.
    url = f"{lookup_url.rstrip('/')}/{info.result_code}"
    side = 110.0
    y -= side + 10
    _draw_qr(c, json.dumps({"result_code": info.result_code, "lookup_url": url}, ensure_ascii=False,
                           separators=(",", ":")), MARGIN, y, side)
    c.setFillGray(0)
    c.setFont(bold, 11)
    c.drawString(MARGIN + side + 14, y + side - 30, f"{LOOKUP_LABEL}: {info.result_code}")
    c.setFont(regular, 9.5)
    for i, line in enumerate(_wrap(f"Tra cứu tại: {url}", regular, 9.5, w - 2 * MARGIN - side - 14)):
        c.drawString(MARGIN + side + 14, y + side - 48 - 13 * i, line)
    if printed_at:
        t = printed_at.astimezone(vietnam_tz())
        c.drawString(MARGIN + side + 14, y + 10, f"In lúc {t:%H:%M} ngày {t:%d/%m/%Y}")

    # Art. 18.2.b: the information system (or its owner) that processed the result.
    c.setStrokeGray(0.5)
    c.line(MARGIN, MARGIN + 22, w - MARGIN, MARGIN + 22)
    c.setFont(regular, 10)
    c.drawCentredString(w / 2, MARGIN + 6, f"Được cung cấp bởi {system_name}./.")
    c.showPage()
    c.save()
    return buf.getvalue()


def make_print_copy(path: Path, *, unit: str, system_name: str, lookup_url: str, trust_roots=(),  # type: ignore[no-untyped-def]
                    address: str | None = None, phone: str | None = None,
                    printed_at: datetime | None = None) -> tuple[bytes, PrintCopyInfo]:
    """Cover form + every page of the signed result. Refuses a result whose signature does not verify:
    a paper copy must not lend credibility to a broken or altered electronic original."""
    import pikepdf

    from signing.validation import SignatureStatus, verify_pdf

    path = Path(path)
    pdf = path.read_bytes()
    report = verify_pdf(path, trust_roots)
    if report.status is not SignatureStatus.VALID:
        raise PrintCopyError(path, f"kết quả điện tử không hợp lệ ({report.status}) / "
                                   f"the electronic result does not verify ({report.status})", signature_invalid=True)
    info = collect_info(path, pdf, report)
    cover = render_cover(info, unit=unit, system_name=system_name, lookup_url=lookup_url, address=address,
                         phone=phone, printed_at=printed_at)
    with pikepdf.open(io.BytesIO(cover)) as out, pikepdf.open(io.BytesIO(pdf)) as src:
        for page in src.pages:
            out.pages.append(page)
            new = out.pages[-1]
            if "/Annots" in new.obj:
                del new.obj["/Annots"]  # the signature widget belongs to the electronic original
        buf = io.BytesIO()
        out.save(buf)
    return buf.getvalue(), info
