"""Scanner-like PDFs for tests: every page one full-page JPEG, as scanning stations write them
(the OCR stage reads them from their JPEGs, the sign stage embeds them as they are)."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image


def jpeg_of(image: Image.Image, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80, dpi=(dpi, dpi))
    return buf.getvalue()


def pdf_of_jpegs(jpegs: list[bytes], sizes_pt: list[tuple[float, float]], *,
                  content: bytes | None = None, rotate: int = 0) -> bytes:
    """A PDF whose every page draws one JPEG over the whole page (as scanners write them)."""
    pdf = pikepdf.new()
    for jpeg, (w, h) in zip(jpegs, sizes_pt, strict=True):
        with Image.open(io.BytesIO(jpeg)) as im:
            px, mode = im.size, im.mode
        image = pikepdf.Stream(pdf, jpeg)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = px[0], px[1], 8
        image.ColorSpace = pikepdf.Name.DeviceRGB if mode == "RGB" else pikepdf.Name.DeviceGray
        image.Filter = pikepdf.Name.DCTDecode
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, w, h],
                                  Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
        if rotate:
            page.Rotate = rotate
        draw = content if content is not None else f"q {w:.2f} 0 0 {h:.2f} 0 0 cm /Im0 Do Q\n".encode()
        page.Contents = pikepdf.Stream(pdf, draw)
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
