"""Build the unsigned result PDF/A-3b: one page per scan page at its physical size, with the conversion
marker in a band ADDED below the scan (the page is extended, the scan is never covered), and the
structured fields embedded as associated files."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from core.text import nfc
from signing import _fonts
from signing._pdfa import make_pdfa
from signing.marker import ConversionMarker

JPEG_QUALITY = 85
PT_PER_INCH = 72.0
_PAD = 6.0  # pt
_LEADING = 1.3


@dataclass(frozen=True)
class _Scan:
    jpeg: bytes
    width_px: int
    height_px: int


def _jpeg_of(page: Image.Image | Path | bytes) -> _Scan:
    if isinstance(page, bytes):  # a JPEG file's bytes (ocr.scan_jpegs): embedded as they are
        with Image.open(io.BytesIO(page)) as opened:  # header only
            if opened.format == "JPEG" and opened.mode in ("RGB", "L"):
                return _Scan(page, opened.width, opened.height)
            opened.load()
            return _jpeg_of(opened.copy())
    if isinstance(page, Path | str):
        path = Path(page)
        with Image.open(path) as opened:  # header only: no decode for the pass-through case
            # A JPEG file in a PDF-friendly mode is embedded as is: no second lossy pass.
            if opened.format == "JPEG" and opened.mode in ("RGB", "L"):
                return _Scan(path.read_bytes(), opened.width, opened.height)
            opened.load()
            return _jpeg_of(opened.copy())
    img: Image.Image = page
    if img.mode not in ("RGB", "L"):
        if img.mode in ("RGBA", "LA", "P", "PA") and ("A" in img.mode or "transparency" in img.info):
            rgba = img.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            img = flat
        elif img.mode in ("1", "I", "I;16", "F"):
            img = img.convert("L")
        else:
            img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return _Scan(buf.getvalue(), img.width, img.height)


_rl_lock = threading.Lock()


@contextlib.contextmanager
def _binary_streams():  # type: ignore[no-untyped-def]
    # reportlab wraps every stream in ASCII85 by default: +25 % on each scan. Binary PDF is fine.
    from reportlab import rl_config

    with _rl_lock:
        old = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = old


def _jpeg_reader(jpeg: bytes):  # type: ignore[no-untyped-def]
    from reportlab.lib.utils import ImageReader

    class _JpegReader(ImageReader):
        # reportlab names an image by the md5 of its decoded pixels: a full JPEG decode per page.
        # The JPEG bytes identify it just as well; the stream itself is passed through untouched.
        def getRGBData(self) -> bytes:
            self._dataA = None  # JPEG has no alpha channel
            return jpeg

    return _JpegReader(io.BytesIO(jpeg))


_QR_QUIET = 4  # modules of white margin inside the QR square (the standard quiet zone)


@lru_cache(maxsize=64)
def _qr_path(payload: str) -> tuple[int, str]:
    """The QR as PDF path operators in module units (integers), built once per payload."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    # Level L: the smallest symbol for ~300 bytes of UTF-8; the band is never folded or stained.
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=0)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    ops: list[str] = []
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                ops.append(f"{start} {n - 1 - r} {col - start} 1 re")
            else:
                col += 1
    return n, "\n".join(ops)


def _draw_qr(c, payload: str, x: float, y: float, side: float) -> None:  # type: ignore[no-untyped-def]
    n, ops = _qr_path(payload)
    m = side / (n + 2 * _QR_QUIET)
    c.setFillGray(1)
    c.rect(x, y, side, side, stroke=0, fill=1)
    c.saveState()
    c.transform(m, 0, 0, m, x + _QR_QUIET * m, y + _QR_QUIET * m)
    c.setFillGray(0)
    c._code.append(ops + " f")  # precomputed path; reportlab's path API formats each float anew
    c.restoreState()


def _fit_size(texts: list[tuple[str, str]], width: float, size: float, min_size: float = 4.0) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    widest = max(stringWidth(t, f, 1.0) for t, f in texts)
    if widest <= 0:
        return size
    return max(min_size, min(size, width / widest))


def _qr_side(width_pt: float) -> float:
    # QR of ~34 mm on an A4-wide page, ~0.5 mm a module: scannable from a print (Decree 137 Art. 4.1.c).
    return min(max(width_pt * 0.16, 56.0), 96.0)


def _band_height(width_pt: float, n_lines: int) -> float:
    qr_side = _qr_side(width_pt)
    return max(qr_side, n_lines * 10 * _LEADING) + 2 * _PAD


def assemble_pdf(
    pages: Sequence[Image.Image | Path | bytes],
    marker: ConversionMarker,
    *,
    dpi: int | Sequence[int] = 300,
    text_layers: Sequence[Any] | None = None,  # per page: text rows (str) or an ocr.PageText with word boxes
    attachments: dict[str, bytes] | None = None,
) -> bytes:
    """Decree 45 Art. 25.3.a: every page, nothing cut off; Art. 25.3.c: the marker on every page."""
    if not pages:
        raise ValueError("no pages to assemble")
    dpis = [int(dpi)] * len(pages) if isinstance(dpi, int | float) else [int(d) for d in dpi]
    if len(dpis) != len(pages):
        raise ValueError(f"{len(dpis)} dpi values for {len(pages)} pages")
    if any(d <= 0 for d in dpis):
        raise ValueError("dpi must be positive")
    if text_layers is not None and len(text_layers) != len(pages):
        raise ValueError(f"{len(text_layers)} text layers for {len(pages)} pages")

    with _binary_streams():
        data = _render(pages, marker, dpis, text_layers)
    # PDF/A-3b with the structured fields as associated files: method (b) travels with method (a).
    return make_pdfa(data, title=_title(marker), author=marker.converter, subject=" — ".join(marker.lines()),
                     created=marker.converted_at, attachments=attachments)


def _title(marker: ConversionMarker) -> str:
    return f"Kết quả số hóa {marker.result_code}" if marker.result_code else "Kết quả số hóa"


def _render(pages: Sequence[Image.Image | Path | bytes], marker: ConversionMarker, dpis: list[int],
            text_layers: Sequence[Any] | None) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _fonts.register()
    lines = marker.lines()
    fonts = [bold] + [regular] * (len(lines) - 1)
    payload = marker.qr_payload()

    buf = io.BytesIO()
    c = Canvas(buf, pageCompression=1, invariant=0, initialFontName=regular, initialFontSize=9)
    for index, page in enumerate(pages):
        scan = _jpeg_of(page)
        w = scan.width_px * PT_PER_INCH / dpis[index]
        h = scan.height_px * PT_PER_INCH / dpis[index]
        band = _band_height(w, len(lines))
        c.setPageSize((w, h + band))
        c.drawImage(_jpeg_reader(scan.jpeg), 0, band, width=w, height=h)

        # The band: white, below the scan; text left, QR right.
        c.setFillGray(1)
        c.rect(0, 0, w, band, stroke=0, fill=1)
        c.setStrokeGray(0.6)
        c.setLineWidth(0.5)
        c.line(_PAD, band - 1, w - _PAD, band - 1)
        qr_side = _qr_side(w)
        _draw_qr(c, payload, w - _PAD - qr_side, (band - qr_side) / 2, qr_side)
        text_width = w - 3 * _PAD - qr_side
        size = _fit_size(list(zip(lines, fonts, strict=True)), text_width, 9.0)
        block = size * _LEADING * len(lines)
        y = band / 2 + block / 2 - size  # vertically centred in the band
        c.setFillGray(0)
        for text, font in zip(lines, fonts, strict=True):
            c.setFont(font, size)
            c.drawString(_PAD, y, text)
            y -= size * _LEADING

        layer = text_layers[index] if text_layers is not None else None
        if isinstance(layer, str):
            if layer.strip():
                _invisible_text(c, nfc(layer), regular, band, w, h)
        elif layer is not None:
            _positioned_text(c, layer, regular, band, w, h)
        c.showPage()
    c.save()
    return buf.getvalue()


def _positioned_text(c, page, font: str, bottom: float, w: float, h: float) -> None:  # type: ignore[no-untyped-def]
    """An OCR page (ocr.PageText): each word invisibly over the box it was read from, in reading order,
    so search hits and copied text line up with the scan. Falls back to stacked rows when the OCR'd
    image is not the scan's shape (turned by orientation detection)."""
    from ocr.pdf import draw_text_layer

    if not page.width or not page.height:
        return
    scale = w / page.width
    if abs(page.height * scale - h) > 0.02 * h:
        _invisible_text(c, nfc(page.text), font, bottom, w, h)
        return
    draw_text_layer(c, page, scale=scale, page_height_pt=h, y_offset_pt=bottom)


def _invisible_text(c, text: str, font: str, bottom: float, w: float, h: float) -> None:  # type: ignore[no-untyped-def]
    # OCR text as render mode 3 (invisible) over the scan: searchable, never covers the image.
    rows = [r for r in text.splitlines()] or [text]
    size = max(1.0, min(10.0, h / (len(rows) * 1.2)))
    t = c.beginText()
    t.setTextRenderMode(3)
    t.setFont(font, size, size * 1.2)
    t.setTextOrigin(2, bottom + h - size)
    for row in rows:
        t.textLine(row)
    c.drawText(t)
