"""Decide whether one scan file can be taken, without trusting its name or size claims."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pikepdf
from PIL import Image


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
    BAD_MANIFEST_ROW = "bad_manifest_row"

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]


_LABELS_VI = {
    QuarantineReason.EMPTY_FILE: "Tệp rỗng (0 byte)",
    QuarantineReason.UNSUPPORTED_TYPE: "Định dạng không hỗ trợ",
    QuarantineReason.MISLABELLED_TYPE: "Phần mở rộng không khớp nội dung tệp",
    QuarantineReason.CORRUPT: "Tệp hỏng, không đọc được",
    QuarantineReason.ENCRYPTED: "PDF được mã hóa",
    QuarantineReason.DECOMPRESSION_BOMB: "Ảnh quá lớn (nghi bom giải nén)",
    QuarantineReason.TOO_MANY_PAGES: "Quá nhiều trang",
    QuarantineReason.OUTSIDE_BATCH: "Đường dẫn nằm ngoài thư mục lô",
    QuarantineReason.MISSING_FILE: "Không tìm thấy tệp",
    QuarantineReason.DUPLICATE: "Trùng với tệp đã tiếp nhận",
    QuarantineReason.BAD_MANIFEST_ROW: "Dòng danh mục không hợp lệ",
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
        raise RejectedFile(display_name, QuarantineReason.MISLABELLED_TYPE if data[:4].isascii() else QuarantineReason.CORRUPT,
                           f"named {path.suffix} but its bytes are not a {declared} file")
    if actual != declared:
        raise RejectedFile(display_name, QuarantineReason.MISLABELLED_TYPE,
                           f"named {path.suffix} but the content is {actual}")
    pages = (_inspect_pdf(path, display_name, max_image_pixels, max_pdf_pages, raster_dpi)
             if actual == "application/pdf" else _inspect_image(path, display_name, max_image_pixels))
    return Inspection(hashlib.sha256(data).hexdigest(), actual, pages, len(data))


def _inspect_pdf(path: Path, name: str, max_pixels: int, max_pages: int, dpi: int) -> int:
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise RejectedFile(name, QuarantineReason.ENCRYPTED,
                                   "the PDF is encrypted; ask for an unprotected scan")
            count = len(pdf.pages)
            if count == 0:
                raise RejectedFile(name, QuarantineReason.CORRUPT, "the PDF has no pages")
            if count > max_pages:
                raise RejectedFile(name, QuarantineReason.TOO_MANY_PAGES, f"{count} pages > limit {max_pages}")
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
        raise RejectedFile(name, QuarantineReason.ENCRYPTED, "the PDF needs a password") from None
    except pikepdf.PdfError as exc:
        raise RejectedFile(name, QuarantineReason.CORRUPT, f"the PDF cannot be parsed ({exc})") from None


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
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise RejectedFile(name, QuarantineReason.CORRUPT, f"the image cannot be decoded ({exc})") from None
