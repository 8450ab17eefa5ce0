"""Method (a) of Decree 45 Art. 25.2: a searchable PDF/A-2b of the scan.

Each page is the original page image at its physical size (from its dpi) with the recognised words
drawn as invisible text (render mode 3) over the places they were read from, line by line in reading
order, so that `pdftotext -raw` returns the OCR text and a viewer's search and copy work.

PDF/A-2b (ISO 19005-2, level B): XMP metadata with pdfaid:part=2 / conformance=B matching the Info
dictionary, an sRGB OutputIntent, every font embedded (NotoSans, subset, with a ToUnicode map), no
encryption. Greyscale and bitonal pages are embedded losslessly (Flate); colour pages as JPEG at
quality JPEG_QUALITY (a lossless colour page would be 10-20 MB)."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from ocr.model import OcrResult, PageText
from ocr.pages import PageImage

JPEG_QUALITY = 90
PT_PER_INCH = 72.0
FONT_NAME = "SohoaOcrNotoSans"
SRGB = "sRGB IEC61966-2.1"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"), Path("/usr/local/share/fonts"))
_lock = threading.Lock()  # reportlab's font registry is process-global


def _font_path() -> Path:
    override = os.environ.get("SOHOA_OCR_FONT")
    if override:
        return Path(override)
    for d in _FONT_DIRS:
        if (d / "NotoSans-Regular.ttf").is_file():
            return d / "NotoSans-Regular.ttf"
    raise FileNotFoundError("NotoSans-Regular.ttf not found: install fonts-noto-core (or set SOHOA_OCR_FONT)")


@cache
def _font() -> tuple[str, frozenset[int]]:
    """Register the text-layer font once per process; returns its name and the code points it has
    (a character outside them would be drawn as .notdef, which PDF/A forbids)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(FONT_NAME, str(_font_path()))
    pdfmetrics.registerFont(font)
    return FONT_NAME, frozenset(font.face.charToGlyph)


@cache
def srgb_icc() -> bytes:
    """An sRGB ICC profile made by LittleCMS (through Pillow): no profile file to ship."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _image_for_pdf(image: Image.Image) -> tuple[Image.Image, bool]:
    """(image, is_colour). A page whose channels agree is greyscale: embed it as L, losslessly."""
    rgb = image.convert("RGB")
    arr = np.asarray(rgb)
    small = arr[::4, ::4].astype(np.int16)
    spread = np.abs(small - small.mean(axis=2, keepdims=True)).max()
    if spread <= 12:
        return rgb.convert("L"), False
    return rgb, True


def _safe(text: str, glyphs: frozenset[int]) -> str:
    return "".join(c if ord(c) in glyphs else "?" for c in text)


def _draw_page(canvas, page: PageImage, text: PageText | None, font: str, glyphs: frozenset[int]) -> None:  # type: ignore[no-untyped-def]
    from reportlab.lib.utils import ImageReader

    image = page.image.rotate(-text.rotation, expand=True) if text is not None and text.rotation else page.image
    w_px, h_px = image.size
    scale = PT_PER_INCH / page.dpi  # points per pixel
    w_pt, h_pt = w_px * scale, h_px * scale
    canvas.setPageSize((w_pt, h_pt))
    img, colour = _image_for_pdf(image)
    if colour:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=JPEG_QUALITY)
        buf.seek(0)
        canvas.drawImage(ImageReader(buf), 0, 0, w_pt, h_pt)
    else:
        canvas.drawImage(ImageReader(img), 0, 0, w_pt, h_pt)
    if text is not None:
        draw_text_layer(canvas, text, scale=scale, page_height_pt=h_pt, font=font, glyphs=glyphs)


def draw_text_layer(canvas, text: PageText, *, scale: float, page_height_pt: float, font: str | None = None,  # type: ignore[no-untyped-def]
                    glyphs: frozenset[int] | None = None, y_offset_pt: float = 0.0) -> None:
    """Invisible text (render mode 3) of one page on a reportlab canvas: each word over the box it was
    read from (`scale` points per page pixel), lines in reading order. Reusable by other assemblers
    (e.g. a signed result whose scan sits `y_offset_pt` above the page's bottom edge)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if font is None or glyphs is None:
        with _lock:
            font, glyphs = _font()
    top = y_offset_pt + page_height_pt
    for line in text.lines():  # reading order: PageText lines are numbered that way
        words = [w for w in line if w.text.strip()]
        if not words:
            continue
        # One baseline and one size per line: pdftotext then keeps the line's words together.
        size = max(1.0, float(np.median([w.bbox[3] - w.bbox[1] for w in words])) * scale * 0.85)
        baseline = top - max(w.bbox[3] for w in words) * scale + 0.2 * size
        t = canvas.beginText()
        t.setTextRenderMode(3)  # invisible: the scan shows, the text is there to search and copy
        for i, w in enumerate(words):
            last = i + 1 == len(words)
            s = _safe(w.text, glyphs) + ("" if last else " ")
            natural = stringWidth(s, font, size)
            target = (w.bbox[2] - w.bbox[0]) * scale + (0 if last else stringWidth(" ", font, size))
            t.setFont(font, size)
            t.setHorizScale(max(10.0, min(1000.0, 100.0 * target / natural)) if natural > 0 else 100.0)
            t.setTextOrigin(w.bbox[0] * scale, baseline)
            t.textOut(s)
        canvas.drawText(t)


def searchable_pdf(pages: Sequence[PageImage], ocr_result: OcrResult | None = None, *,
                   title: str = "", author: str = "sohoa", created: datetime | None = None) -> bytes:
    """PDF/A-2b bytes: every page image with its OCR text as an invisible layer in reading order.
    A page that OCR had to turn upright (PageText.rotation) is stored turned, under its text."""
    from reportlab.pdfgen.canvas import Canvas

    if not pages:
        raise ValueError("searchable_pdf needs at least one page")
    texts = {p.number: p for p in ocr_result.pages} if ocr_result is not None else {}
    created = created or datetime.now(UTC)
    buf = io.BytesIO()
    with _lock:
        font, glyphs = _font()
        canvas = Canvas(buf, pageCompression=1, invariant=1, initialFontName=font, initialFontSize=10)
        for page in pages:
            _draw_page(canvas, page, texts.get(page.number), font, glyphs)
            canvas.showPage()
        canvas.save()
    return _make_pdfa2b(buf.getvalue(), title=title or "Bản quét có lớp chữ", author=author, created=created)


def _make_pdfa2b(pdf: bytes, *, title: str, author: str, created: datetime) -> bytes:
    import pikepdf
    from pikepdf import Dictionary, Name, String

    stamp = created.astimezone(UTC)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pdf_date = stamp.strftime("D:%Y%m%d%H%M%SZ")
        info = doc.make_indirect(Dictionary())
        info.Title = String(title)
        info.Author = String(author)
        info.Creator = String("sohoa ocr")
        info.Producer = String("sohoa ocr (reportlab, pikepdf)")
        info.CreationDate = String(pdf_date)
        info.ModDate = String(pdf_date)
        doc.trailer.Info = info
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["dc:format"] = "application/pdf"
            meta["xmp:CreatorTool"] = "sohoa ocr"
            meta["pdf:Producer"] = "sohoa ocr (reportlab, pikepdf)"
            iso = stamp.isoformat(timespec="seconds").replace("+00:00", "Z")
            meta["xmp:CreateDate"] = iso
            meta["xmp:ModifyDate"] = iso
            meta["xmp:MetadataDate"] = iso
        for page in doc.pages:
            if "/Trans" in page.obj and not page.obj.Trans.keys():
                del page.obj["/Trans"]  # reportlab's empty page transition
        icc = doc.make_stream(srgb_icc())
        icc.N = 3
        intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=String(SRGB),
                            Info=String(SRGB), DestOutputProfile=icc)
        doc.Root.OutputIntents = pikepdf.Array([doc.make_indirect(intent)])
        out = io.BytesIO()
        doc.save(out, min_version="1.7", fix_metadata_version=False, deterministic_id=True)
        return out.getvalue()
