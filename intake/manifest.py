"""The batch manifest (CSV): file, province, agency_code, document_type, dossier_code, pages.

Read and checked in full before any file is touched:
- the encoding is detected: UTF-8 with or without BOM, UTF-16 (BOM, or none with the NULs telling
  the byte order), else Windows-1258 (Vietnamese Excel on Windows); text is NFC-normalised;
- the header must name every column (a Vietnamese message names the missing ones);
- an empty or header-only manifest is refused (`ManifestError`: nothing of the batch is taken);
- every row is validated — file, document type, province, agency code, mã hồ sơ form, pages — and
  a bad row is refused on its own (quarantined as `bad_manifest_row` with the reason) while the
  other rows go on.

File names match whatever normalisation the disk uses: a name typed in NFD finds the NFC file and
the other way round (macOS and Windows tools write different forms of the same Vietnamese name).
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode

MANIFEST_NAME = "manifest.csv"
COLUMNS = ("file", "province", "agency_code", "document_type", "dossier_code", "pages")
# Files next to the scans that are not scans (the manifest itself, sample ground truth).
SIDECAR_SUFFIXES = (".csv", ".json", ".md", ".txt")
AUTO_TYPE = "auto"


class ManifestError(ValueError):
    """The manifest as a whole cannot be used (unreadable, empty, wrong header): nothing is taken."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Không nhận lô"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


@dataclass(frozen=True)
class ManifestRow:
    line: int  # 1-based line in the CSV, for error messages; 0 when there is no manifest
    file: str  # NFC
    province: str | None = None
    agency_code: str | None = None
    document_type: str | None = None
    dossier_code: str | None = None
    pages: int | None = None
    error: str | None = None  # set when the row itself is unusable


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def decode_manifest(data: bytes) -> tuple[str, str]:
    """(NFC text, encoding name) of a manifest's bytes; ValueError when no encoding fits."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in data[:200]:
        # UTF-16 without BOM: ASCII letters leave a NUL before (big-endian) or after (little-endian) them.
        head = data[:200]
        candidates = ["utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"]
    else:
        candidates = ["utf-8", "cp1258"]  # Python's name for Windows-1258
    for encoding in candidates:
        try:
            return nfc(data.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError(f"không đọc được bảng mã (đã thử {', '.join(candidates)})")


def read_manifest(batch_dir: Path) -> list[ManifestRow] | None:
    """Rows of the batch's manifest.csv, or None when the batch has none (every scan is taken).

    Raises ManifestError when the manifest as a whole is unusable."""
    path = batch_dir / MANIFEST_NAME
    if not path.exists():
        return None
    data = path.read_bytes()
    if not data.strip():
        raise ManifestError(MANIFEST_NAME, "tệp danh mục rỗng (0 byte); cần dòng tiêu đề "
                            f"{','.join(COLUMNS)} và ít nhất một dòng hồ sơ")
    try:
        text, _encoding = decode_manifest(data)
    except ValueError as exc:
        raise ManifestError(MANIFEST_NAME, f"{exc}; hãy lưu lại danh mục dạng CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [nfc(h or "").strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ManifestError(MANIFEST_NAME, f"thiếu cột {', '.join(missing)}; dòng tiêu đề phải có đủ các cột "
                            f"{','.join(COLUMNS)} (dòng tiêu đề đọc được: {','.join(header) or '(trống)'})")
    rows = [_row(index, raw) for index, raw in enumerate(reader, start=2)
            if any((v or "").strip() for k, v in raw.items() if k)]
    if not rows:
        raise ManifestError(MANIFEST_NAME, "danh mục chỉ có dòng tiêu đề, không có hồ sơ nào; "
                            "thêm mỗi tệp quét một dòng, hoặc bỏ manifest.csv để nhận mọi tệp trong thư mục")
    return rows


def _row(line: int, raw: dict[str | None, Any]) -> ManifestRow:
    from core.identifiers import is_agency_code, is_dossier_code
    from core.units import is_province
    from schemas.document_types import DOCUMENT_TYPES

    clean = {k: nfc(v if isinstance(v, str) else "").strip() for k, v in raw.items() if k}
    errors = []
    pages: int | None = None
    if not clean.get("file"):
        errors.append("cột file để trống")
    if clean.get("pages"):
        try:
            pages = int(clean["pages"])
            if pages < 1:
                raise ValueError
        except ValueError:
            errors.append(f"số trang «{clean['pages']}» không phải số nguyên dương")
    doc_type = clean.get("document_type") or None
    if doc_type and doc_type != AUTO_TYPE and doc_type not in DOCUMENT_TYPES:
        errors.append(f"loại giấy tờ «{doc_type}» không có trong danh mục "
                      f"({', '.join(sorted(DOCUMENT_TYPES))}, hoặc {AUTO_TYPE} để tự nhận dạng)")
    province = clean.get("province") or None
    if province and not is_province(province):
        errors.append(f"tỉnh «{province}» không có trong danh mục tỉnh, thành phố")
    agency = clean.get("agency_code") or None
    if agency and not is_agency_code(agency):
        errors.append(f"mã cơ quan «{agency}» không đúng dạng mã định danh (ví dụ 000.00.15.H34)")
    dossier = clean.get("dossier_code") or None
    if dossier and not is_dossier_code(dossier):
        errors.append(f"mã hồ sơ «{dossier}» không đúng dạng <mã cơ quan>-<yymmdd>-<số thứ tự> "
                      "(ví dụ 000.00.15.H56-200512-0001); để trống nếu giấy tờ không có mã hồ sơ")
    return ManifestRow(
        line=line, file=clean.get("file", ""), province=province, agency_code=agency,
        document_type=doc_type, dossier_code=dossier, pages=pages,
        error=f"dòng {line}: " + "; ".join(errors) if errors else None,
    )


def disk_names(batch_dir: Path) -> dict[str, str]:
    """NFC relative name -> the name as it is on disk, for every file under batch_dir."""
    out: dict[str, str] = {}
    for path in batch_dir.rglob("*"):
        if path.is_file() or path.is_symlink():
            rel = path.relative_to(batch_dir).as_posix()
            out.setdefault(nfc(rel), rel)
    return out


def scan_candidates(batch_dir: Path, names: Mapping[str, str] | None = None) -> list[ManifestRow]:
    """Without a manifest: every regular file of the folder (recursively) that is not a sidecar.
    `names`: the folder's files as `disk_names` gives them, when known (a batch in the inbox lists them)."""
    rows = []
    for rel in sorted(disk_names(batch_dir) if names is None else names):
        parts = Path(rel).parts
        if any(part.startswith(".") for part in parts) or Path(rel).suffix.lower() in SIDECAR_SUFFIXES:
            continue
        rows.append(ManifestRow(line=0, file=rel))
    return rows


def unlisted_scans(batch_dir: Path, rows: list[ManifestRow], names: Mapping[str, str] | None = None) -> list[str]:
    """Scans in the folder that the manifest does not name (NFC names)."""
    listed = {nfc(r.file) for r in rows}
    return [r.file for r in scan_candidates(batch_dir, names) if r.file not in listed]
