"""Decide whether one scan file can be taken, without trusting its name or size claims."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pikepdf
from PIL import Image

from core.exitcodes import ExitCode


class QuarantineReason(StrEnum):
    EMPTY_FILE = "empty_file"
    UNSUPPORTED_TYPE = "unsupported_type"
    MISLABELLED_TYPE = "mislabelled_type"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    DECOMPRESSION_BOMB = "decompression_bomb"
    TOO_MANY_PAGES = "too_many_pages"
    OUTSIDE_BATCH = "outside_batch"
    MISSING_FILE = "missing_file"
    DUPLICATE = "duplicate"
    NAME_TAKEN = "name_taken"  # another file of this name was taken in the batch (a re-scan not asked for)
    BAD_MANIFEST_ROW = "bad_manifest_row"
    NOT_IN_MANIFEST = "not_in_manifest"
    PAGE_COUNT_LIE = "page_count_lie"
    UNREADABLE = "unreadable"

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]


_LABELS_VI = {
    QuarantineReason.EMPTY_FILE: "Tệp rỗng (0 byte)",
    QuarantineReason.UNSUPPORTED_TYPE: "Định dạng không hỗ trợ",
    QuarantineReason.MISLABELLED_TYPE: "Phần mở rộng không khớp nội dung tệp",
    QuarantineReason.CORRUPT: "Tệp hỏng, không đọc được",
    QuarantineReason.ENCRYPTED: "PDF có mật khẩu mở",
    QuarantineReason.DECOMPRESSION_BOMB: "Ảnh quá lớn (nghi bom giải nén)",
    QuarantineReason.TOO_MANY_PAGES: "Quá nhiều trang",
    QuarantineReason.OUTSIDE_BATCH: "Đường dẫn nằm ngoài thư mục lô",
    QuarantineReason.MISSING_FILE: "Không tìm thấy tệp",
    QuarantineReason.DUPLICATE: "Trùng với tệp đã tiếp nhận",
    QuarantineReason.NAME_TAKEN: "Tên tệp đã dùng cho một bản quét khác trong lô",
    QuarantineReason.BAD_MANIFEST_ROW: "Dòng danh mục không hợp lệ",
    QuarantineReason.NOT_IN_MANIFEST: "Không có trong danh mục",
    QuarantineReason.PAGE_COUNT_LIE: "Số trang khai trong PDF sai (cây trang giả)",
    QuarantineReason.UNREADABLE: "Không đọc được tệp",
}

# Content type by what the bytes are, not what the name says.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
SUFFIX_FOR = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}


@dataclass(frozen=True)
class Inspection:
    sha256: str
    content_type: str
    pages: int
    size_bytes: int


class RejectedFile(Exception):
    """A file intake will not take: the reason names the file, and why."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Tệp không được nhận"

    def __init__(self, file_name: str, reason_code: QuarantineReason, detail: str) -> None:
        super().__init__(file_name, reason_code, detail)
        self.file_name = file_name
        self.reason_code = reason_code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.file_name}: {self.reason_code.label_vi} — {self.detail}"


def sniff(data: bytes) -> str | None:
    head = data[:1024]
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    # Some scanners put junk before %PDF- (allowed within the first 1024 bytes).
    if b"%PDF-" in head:
        return "application/pdf"
    return None


# Formats that are not scans, told apart so that the reason names what the file really is.
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (Word/Excel document?)"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _other_content(data: bytes) -> str | None:
    """What a file that is no scan is instead: a known format, or text (any encoding, BOM or not)."""
    for magic, what in _OTHER_MAGIC:
        if data.startswith(magic):
            return what
    if data[4:8] == b"ftyp" or data[:4] == b"RIFF":
        return "a video, audio or WebP file"
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return "text"
    if b"\x00" not in head:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return "text"
        except UnicodeDecodeError:
            printable = sum(1 for b in head if b >= 0x20 or b in b"\t\r\n")
            if printable / max(1, len(head)) > 0.97:
                return "text (not UTF-8)"
    return None


def inspect_file(path: Path, *, display_name: str, max_image_pixels: int, max_pdf_pages: int,
                 raster_dpi: int) -> Inspection:
    """Return what the file is, or raise RejectedFile with the reason."""
    data = path.read_bytes()
    if not data:
        raise RejectedFile(display_name, QuarantineReason.EMPTY_FILE, "the file has 0 bytes")
    declared = EXTENSIONS.get(path.suffix.lower())
    actual = sniff(data)
    if declared is None:
        raise RejectedFile(display_name, QuarantineReason.UNSUPPORTED_TYPE,
                           f"extension {path.suffix or '(none)'!r} is not PDF, PNG, JPEG or TIFF")
    if actual is None:
        other = _other_content(data)
        if other is not None:
            raise RejectedFile(display_name, QuarantineReason.MISLABELLED_TYPE,
                               f"named {path.suffix} but the content is {other}")
        raise RejectedFile(display_name, QuarantineReason.CORRUPT,
                           f"named {path.suffix} but its bytes are not a {declared} file (damaged or truncated)")
    if actual != declared:
        raise RejectedFile(display_name, QuarantineReason.MISLABELLED_TYPE,
                           f"named {path.suffix} but the content is {actual}")
    pages = (_inspect_pdf(path, display_name, max_image_pixels, max_pdf_pages, raster_dpi)
             if actual == "application/pdf" else _inspect_image(path, display_name, max_image_pixels))
    return Inspection(hashlib.sha256(data).hexdigest(), actual, pages, len(data))


def _inspect_pdf(path: Path, name: str, max_pixels: int, max_pages: int, dpi: int) -> int:
    try:
        with pikepdf.open(path) as pdf:
            # Opened without a password, an encrypted PDF has permission restrictions only (no
            # copying, no printing...): poppler renders it like any other, so it is taken. One that
            # needs an open password never gets here (PasswordError below).
            claimed = _claimed_pages(pdf)
            if claimed is not None and claimed > max_pages:
                # Checked before walking the tree: a claim of 2×10⁹ pages is refused without counting them.
                raise RejectedFile(name, QuarantineReason.PAGE_COUNT_LIE if claimed > 100 * max_pages
                                   else QuarantineReason.TOO_MANY_PAGES,
                                   f"the page tree claims {claimed} pages (limit {max_pages})")
            count = len(pdf.pages)
            if count == 0:
                raise RejectedFile(name, QuarantineReason.CORRUPT, "the PDF has no pages")
            if count > max_pages:
                raise RejectedFile(name, QuarantineReason.TOO_MANY_PAGES, f"{count} pages > limit {max_pages}")
            if claimed is not None and claimed != count:
                # Poppler believes /Count: a lie makes it loop over pages that do not exist.
                raise RejectedFile(name, QuarantineReason.PAGE_COUNT_LIE,
                                   f"the page tree claims {claimed} pages but holds {count}")
            for number, page in enumerate(pdf.pages, start=1):
                box = page.mediabox
                width_pt, height_pt = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
                pixels = (width_pt / 72 * dpi) * (height_pt / 72 * dpi)
                if pixels > max_pixels:
                    raise RejectedFile(name, QuarantineReason.DECOMPRESSION_BOMB,
                                       f"page {number} would rasterise to {pixels / 1e6:.0f} Mpx at {dpi} dpi "
                                       f"(limit {max_pixels / 1e6:.0f} Mpx)")
            return count
    except pikepdf.PasswordError:
        raise RejectedFile(name, QuarantineReason.ENCRYPTED,
                           "có mật khẩu mở: không mở được nếu không có mật khẩu; "
                           "xin bản quét không đặt mật khẩu") from None
    except pikepdf.PdfError as exc:
        raise RejectedFile(name, QuarantineReason.CORRUPT, f"the PDF cannot be parsed ({exc})") from None


def _claimed_pages(pdf: pikepdf.Pdf) -> int | None:
    """The root page tree's /Count, the number every PDF reader trusts (None when absent or odd)."""
    try:
        count = pdf.Root.Pages.get("/Count")
        return int(count) if count is not None else None
    except (AttributeError, KeyError, TypeError, ValueError, pikepdf.PdfError):
        return None


def _inspect_image(path: Path, name: str, max_pixels: int) -> int:
    # Image.open reads only the header: check the pixel count before decoding anything.
    try:
        with Image.open(path) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise RejectedFile(name, QuarantineReason.DECOMPRESSION_BOMB,
                                   f"{width}x{height} = {width * height / 1e6:.0f} Mpx > limit {max_pixels / 1e6:.0f} Mpx")
            frames = getattr(img, "n_frames", 1)
            for frame in range(frames):
                img.seek(frame)
                if img.size[0] * img.size[1] > max_pixels:
                    raise RejectedFile(name, QuarantineReason.DECOMPRESSION_BOMB, f"frame {frame + 1} too large")
                img.load()  # a truncated or damaged image fails here
            return frames
    except RejectedFile:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own guard fired on the header (far above our cap): still a bomb, not a corrupt file.
        raise RejectedFile(name, QuarantineReason.DECOMPRESSION_BOMB,
                           f"{exc} (limit {max_pixels / 1e6:.0f} Mpx)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise RejectedFile(name, QuarantineReason.CORRUPT, f"the image cannot be decoded ({exc})") from None
