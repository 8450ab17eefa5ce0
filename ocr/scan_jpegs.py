"""The scan's own JPEG pages: no rasterising, no second lossy pass (issue 16).

A scan that already is one JPEG per page (a JPEG file; a PDF whose every page only draws one
full-page JPEG image: what scanners and the generator write) is
- read by the OCR stage from those JPEGs (ocr.pages.load_pages decodes them; `pdftoppm` at the
  image's resolution took 0.15 CPU s more a 300-dpi page, and its pixels are not the JPEG's own:
  they differ by 6 grey levels on average);
- embedded by the sign stage as it is: the very bytes of the paper's scan, at the resolution
  `load_pages` gives the page (the signed copy used to rasterise again and re-encode as JPEG).
Anything else (PNG, TIFF, a PDF page with text, a rotated or clipped image, a mask, CMYK) returns
None and the caller rasterises the pages."""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# A PDF page's resolution is its image's, at most this (a 2400 dpi embedded image would not read
# better and costs 16x); the raster dpi otherwise. ocr.pages uses it too.
MAX_PDF_DPI = 600
_JPEG_MODES = ("RGB", "L")
_COLOUR_SPACES = {"/DeviceRGB": 3, "/DeviceGray": 1}
# "q W 0 0 H X Y cm /Name Do Q": the whole content of a scanned page.
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
_DRAW_ONE_IMAGE = re.compile(
    rf"^\s*q\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+cm\s+"
    r"/([^\s/\[\]()<>{}%]+)\s+Do\s+Q\s*$")


@dataclass(frozen=True)
class ScanPage:
    jpeg: bytes  # a JPEG file's bytes (baseline or progressive; RGB or grey)
    dpi: int  # the resolution load_pages gives this page (the signed page's physical size follows)
    width_px: int
    height_px: int


def scan_jpegs(raw: bytes, *, max_pixels: int, dpi: int) -> list[ScanPage] | None:
    """Every page of `raw` as its own JPEG, or None when any page is not simply one (then rasterise)."""
    try:
        if raw[:5] == b"%PDF-" or raw[:1024].find(b"%PDF-") >= 0:
            return _pdf_jpegs(raw, max_pixels=max_pixels, dpi=dpi)
        return _jpeg_file(raw, max_pixels=max_pixels, dpi=dpi)
    except Exception:  # anything unexpected in a file: the ordinary path decides what it is
        return None


def _jpeg_file(raw: bytes, *, max_pixels: int, dpi: int) -> list[ScanPage] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw))  # header only
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    with im:
        if im.format != "JPEG" or im.mode not in _JPEG_MODES or getattr(im, "n_frames", 1) != 1:
            return None
        w, h = im.size
        if w * h > max_pixels or w < 16 or h < 16:
            return None
        return [ScanPage(raw, _image_dpi(im.info.get("dpi"), dpi), w, h)]


def _image_dpi(value: object, default: int) -> int:
    """As ocr.pages._image_dpi: the tag when it is a plausible scan resolution, else the default."""
    try:
        d = round(float(value[0])) if value else 0  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        d = 0
    return d if 50 <= d <= 2400 else default


def _pdf_jpegs(raw: bytes, *, max_pixels: int, dpi: int) -> list[ScanPage] | None:
    import pikepdf

    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if not len(pdf.pages):
            return None
        out: list[ScanPage] = []
        for page in pdf.pages:
            scan = _page_jpeg(page, max_pixels=max_pixels, dpi=dpi)
            if scan is None:
                return None
            out.append(scan)
        return out


def _page_jpeg(page: object, *, max_pixels: int, dpi: int) -> ScanPage | None:
    import pikepdf

    obj = page.obj  # type: ignore[attr-defined]
    if int(obj.get("/Rotate", 0)) % 360:
        return None
    media = [float(v) for v in obj.MediaBox]
    if "/CropBox" in obj and [float(v) for v in obj.CropBox] != media:
        return None
    x0, y0, x1, y1 = media
    width_pt, height_pt = x1 - x0, y1 - y0
    if width_pt <= 0 or height_pt <= 0:
        return None
    contents = obj.get("/Contents")
    if contents is None:
        return None
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    text = b"\n".join(s.read_bytes() for s in streams).decode("latin-1")
    m = _DRAW_ONE_IMAGE.match(text)
    if m is None:
        return None
    a, b, c, d, e, f = (float(v) for v in m.groups()[:6])
    # Upright, not mirrored, over the whole page (a point of slack: writers round to 1/100 pt).
    if b or c or a <= 0 or d <= 0 or any(abs(u - v) > 1.0 for u, v in ((a, width_pt), (d, height_pt), (e, x0), (f, y0))):
        return None
    xobjects = obj.get("/Resources", {}).get("/XObject", {})
    image = xobjects.get("/" + m.group(7))
    if image is None or image.get("/Subtype") != "/Image":
        return None
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else None
    if filters != "/DCTDecode" or image.get("/DecodeParms") not in (None, pikepdf.Dictionary()):
        return None
    if any(k in image for k in ("/SMask", "/Mask", "/Decode", "/ImageMask")) or int(image.get("/BitsPerComponent", 0)) != 8:
        return None
    space = image.get("/ColorSpace")
    if not isinstance(space, pikepdf.Name) or str(space) not in _COLOUR_SPACES:
        return None
    w, h = int(image.Width), int(image.Height)
    if w * h > max_pixels or w < 16 or h < 16:
        return None
    # load_pages rasterises other pages at the image's resolution (pdfimages' x-ppi, rounded), at most 600 dpi: the
    # raster then has the image's own pixels and the signed page the same size as before.
    page_dpi = round(w / (width_pt / 72))
    if page_dpi <= 0 or page_dpi > MAX_PDF_DPI or not math.isclose(h / (height_pt / 72), page_dpi, rel_tol=0.02):
        return None
    jpeg = image.read_raw_bytes()
    with Image.open(io.BytesIO(jpeg)) as im:  # header only: what the stream says it is
        if im.format != "JPEG" or im.size != (w, h) or im.mode != ("RGB" if _COLOUR_SPACES[str(space)] == 3 else "L"):
            return None
    return ScanPage(jpeg, page_dpi, w, h)
