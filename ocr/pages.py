"""Load an image file or a PDF into page images with their resolution.

The pixel cap is checked before any pixel is decoded: PIL's `Image.open` reads the header only,
and a PDF page's size in points times the rasterising dpi is known from `pdfinfo`."""

from __future__ import annotations

import io
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from ocr._exec import poppler
from ocr.errors import ImageTooLarge, UnreadableInput
from ocr.scan_jpegs import MAX_PDF_DPI, ScanPage, scan_jpegs

MAX_PIXELS = 120_000_000


@dataclass(frozen=True)
class PageImage:
    image: Image.Image  # RGB
    dpi: int  # what the file says; the default when it says nothing (dpi_from_file False)
    number: int  # 1-based
    # Whether `dpi` came from the file (image tag, PDF image or page size). Either way it is only a
    # claim: ocr.quality.assess measures the page's own resolution from its text and decides.
    dpi_from_file: bool = True


def _name(path: Path | bytes) -> str:
    return "<bytes>" if isinstance(path, bytes | bytearray) else Path(path).name


def load_pages(path: Path | bytes, *, max_pixels: int = MAX_PIXELS, dpi: int = 300) -> list[PageImage]:
    """Every page of an image (PNG, JPEG, TIFF incl. multi-page) or a PDF, as RGB images.

    `dpi` is used when the file does not say (images without a resolution tag, vector PDF pages)."""
    name = _name(path)
    if isinstance(path, bytes | bytearray):
        data = bytes(path)
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UnreadableInput(name, f"cannot read file: {exc.strerror or exc}") from None
    if not data:
        raise UnreadableInput(name, "empty file (0 bytes)")
    if data[:5] == b"%PDF-" or data[:1024].find(b"%PDF-") >= 0:
        return _load_pdf(data, path, name, max_pixels=max_pixels, dpi=dpi)
    return _load_image(data, name, max_pixels=max_pixels, dpi=dpi)


def _image_dpi(im: Image.Image, default: int) -> tuple[int, bool]:
    """(dpi, whether the file said it)."""
    value = im.info.get("dpi")
    try:
        d = round(float(value[0])) if value else 0
    except (TypeError, ValueError, IndexError):
        d = 0
    # Some writers store 1 meaning "unknown"; a scan below 50 dpi does not exist.
    return (d, True) if 50 <= d <= 2400 else (default, False)


def _bomb_reason(exc: Exception, max_pixels: int) -> str:
    # PIL refuses far-over-limit headers itself (before we see the size); keep our wording.
    m = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = f"{int(m.group(1)):,} pixels" if m else "too many pixels"
    return f"image is {pixels}, over the cap of {max_pixels:,} (decompression bomb?)"


def _load_image(data: bytes, name: str, *, max_pixels: int, dpi: int) -> list[PageImage]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))  # header only
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(name, _bomb_reason(exc, max_pixels)) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableInput(name, f"unsupported or corrupt image ({type(exc).__name__})") from None
    pages: list[PageImage] = []
    try:
        n_frames = getattr(im, "n_frames", 1)
        for index, frame in enumerate(ImageSequence.Iterator(im)):
            w, h = frame.size
            if w * h > max_pixels:
                raise ImageTooLarge(name, f"page {index + 1} is {w}x{h} = {w * h:,} pixels, over the cap of {max_pixels:,}")
            if w < 16 or h < 16:
                raise UnreadableInput(name, f"page {index + 1} is only {w}x{h} pixels")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    rgb = _to_rgb(frame)
            except (OSError, ValueError, SyntaxError) as exc:
                raise UnreadableInput(name, f"page {index + 1} cannot be decoded: {exc}") from None
            page_dpi, said = _image_dpi(frame, dpi)
            pages.append(PageImage(rgb, page_dpi, index + 1, said))
            if index + 1 >= n_frames:
                break
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(name, _bomb_reason(exc, max_pixels)) from None
    if not pages:
        raise UnreadableInput(name, "image has no frames")
    return pages


def _to_rgb(frame: Image.Image) -> Image.Image:
    frame.load()
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        # Transparent areas are paper, not black.
        rgba = frame.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    if frame.mode == "I;16" or frame.mode.startswith("I;16"):
        frame = frame.point(lambda v: v / 256).convert("L")
    return frame.convert("RGB")


def _load_pdf(data: bytes, path: Path | bytes, name: str, *, max_pixels: int, dpi: int) -> list[PageImage]:
    # A scan that is one full-page JPEG a page is read from its JPEGs: the scanner's own pixels (the
    # ones the sign stage embeds), without pdftoppm's 0.15 CPU s a 300-dpi page (ocr.scan_jpegs).
    jpegs = scan_jpegs(data, max_pixels=max_pixels, dpi=dpi)
    pages = _jpeg_pages(jpegs) if jpegs is not None else None
    if pages is not None:
        return pages
    with tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        if isinstance(path, bytes | bytearray):
            pdf = Path(tmp) / "in.pdf"
            pdf.write_bytes(data)
        else:
            pdf = Path(path)
        infos = poppler.info(pdf, file=name)
        plans: list[tuple[int, int, bool]] = []
        for p in infos:
            # A scanned page's image resolution comes from the PDF (page size and image size); a
            # vector page is drawn at `dpi`, so its resolution is exact either way.
            page_dpi = min(p.image_dpi or dpi, MAX_PDF_DPI)
            w, h = round(p.width_pt / 72 * page_dpi), round(p.height_pt / 72 * page_dpi)
            if w * h > max_pixels:
                raise ImageTooLarge(name, f"page {p.number} would be {w}x{h} = {w * h:,} pixels at {page_dpi} dpi, "
                                          f"over the cap of {max_pixels:,}")
            plans.append((p.number, page_dpi, True))
        pages = []
        for number, page_dpi, said in plans:
            raster = poppler.rasterise(pdf, number, page_dpi, file=name)
            try:
                im = Image.open(io.BytesIO(raster))
                pages.append(PageImage(_to_rgb(im), page_dpi, number, said))
            except (UnidentifiedImageError, OSError) as exc:
                raise UnreadableInput(name, f"page {number} could not be rasterised: {exc}") from None
        return pages


def _jpeg_pages(jpegs: list[ScanPage]) -> list[PageImage] | None:
    """The pages decoded from their JPEGs; None when one does not decode whole (a truncated stream):
    then poppler rasterises the PDF as it would any other, and says what is wrong with it."""
    pages = []
    for number, scan in enumerate(jpegs, start=1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = _to_rgb(Image.open(io.BytesIO(scan.jpeg)))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
        pages.append(PageImage(im, scan.dpi, number, True))
    return pages
