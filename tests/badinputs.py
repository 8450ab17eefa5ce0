"""A generator of bad inputs (issue 13): one file (or manifest row) per way a batch can be wrong,
each with the answer the pipeline owes it. Used by tests/intake and tests/integration.

Everything is made here, in the test's own folder: no corpus is read.
"""

from __future__ import annotations

import io
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


@dataclass(frozen=True)
class BadItem:
    file: str  # the name in the manifest (NFC), or on disk when unlisted
    answer: str  # "quarantined" | "rejected" | ...
    reason: str  # the reason code (quarantine) or the prefix of a review reason
    listed: bool = True  # has a manifest row
    row: str | None = None  # a manifest row other than "file,,,,,"


def png(size: tuple[int, int] = (600, 800), shade: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, shade).save(buf, "PNG", dpi=(200, 200))
    return buf.getvalue()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (500, 700), (240, 230, 220)).save(buf, "JPEG", dpi=(200, 200))
    return buf.getvalue()


def pdf(pages: int = 1, shade: int = 255) -> bytes:
    buf = io.BytesIO()
    frames = [Image.new("RGB", (827, 1169), (shade, shade, 255 - i)) for i in range(pages)]
    frames[0].save(buf, "PDF", resolution=100, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf())) as doc:
        doc.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return out.getvalue()


def page_count_lie_pdf(claimed: int = 2_000_000_000) -> bytes:
    """One real page; the page tree's /Count claims `claimed` (poppler trusts /Count). Written by hand
    with a correct cross-reference table: a PDF library would repair the count when saving."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count " + str(claimed).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png_header_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A 900-megapixel PNG in a few hundred bytes: the header claims the size, the data is tiny."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows software writes it: Windows-1258 holds â ă ê ô ơ ư precomposed
    and the five tones as combining marks after them."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out.append((base + "".join(c for c in parts if c in _TONES)).encode("cp1258"))
    return b"".join(out)


def write_bad_inputs(batch: Path, outside: Path) -> list[BadItem]:
    """Write every bad input into `batch` (and one file into `outside`, beside it); return the answers due."""
    batch.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.png").write_bytes(png(shade=30))
    files: dict[str, bytes] = {
        "rỗng.pdf": b"",
        "broken.pdf": b"%PDF-1.7\n1 0 obj <<>> garbage without xref or trailer\n",
        "locked.pdf": encrypted_pdf(),
        "png_named.pdf": png(shade=10),
        "van_ban.png": "\ufeffĐây là một tệp văn bản, không phải ảnh quét.\n".encode(),
        "letter.docx": b"PK\x03\x04 not a scan",
        "bomb_900mp.png": png_header_bomb(),
        "truncated.jpg": jpeg()[:300],
        "page_lie.pdf": page_count_lie_pdf(),
        # two names that fold to the same ASCII ("hong.pdf"), different bytes: both keep their evidence
        "Hỏng.pdf": b"%PDF-1.4\n% broken one\n",
        "hong.pdf": b"%PDF-1.4\n% broken two, other bytes\n",
        "blank_page.png": png(size=(1654, 2339), shade=255),  # an A4 page at 200 dpi with nothing on it
        "unknown_type.png": png(shade=180),
        "bad_dossier.png": png(shade=181),
        "bad_dossier_abc.png": png(shade=182),
        "không_trong_danh_mục.png": png(shade=183),
    }
    for name, data in files.items():
        (batch / name).write_bytes(data)
    items = [
        BadItem("rỗng.pdf", "quarantined", "empty_file"),
        BadItem("broken.pdf", "quarantined", "corrupt"),
        BadItem("locked.pdf", "quarantined", "encrypted"),
        BadItem("png_named.pdf", "quarantined", "mislabelled_type"),
        BadItem("van_ban.png", "quarantined", "mislabelled_type"),
        BadItem("letter.docx", "quarantined", "unsupported_type"),
        BadItem("bomb_900mp.png", "quarantined", "decompression_bomb"),
        BadItem("truncated.jpg", "quarantined", "corrupt"),
        BadItem("page_lie.pdf", "quarantined", "page_count_lie"),
        BadItem("Hỏng.pdf", "quarantined", "corrupt"),
        BadItem("hong.pdf", "quarantined", "corrupt"),
        BadItem("blank_page.png", "rejected", "blank_page"),
        BadItem("unknown_type.png", "quarantined", "bad_manifest_row",
                row=f"unknown_type.png,{PROVINCE},{AGENCY},giay_phep_bay_vu_tru,,1"),
        BadItem("bad_dossier.png", "quarantined", "bad_manifest_row",
                row=f"bad_dossier.png,{PROVINCE},{AGENCY},,không-phải-mã-hồ-sơ,1"),
        BadItem("bad_dossier_abc.png", "quarantined", "bad_manifest_row", row="bad_dossier_abc.png,,,,ABC,"),
        BadItem("../outside/secret.png", "quarantined", "outside_batch"),
        BadItem("not_there.png", "quarantined", "missing_file"),
        BadItem("không_trong_danh_mục.png", "quarantined", "not_in_manifest", listed=False),
    ]
    # the copy of a good scan is added by the caller (it needs the good scan's bytes)
    return items


def manifest_lines(items: list[BadItem]) -> list[str]:
    return [item.row or f"{item.file},,,,," for item in items if item.listed]
