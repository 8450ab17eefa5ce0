"""The batch manifest (CSV): file, province, agency_code, document_type, dossier_code, pages."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.csv"
COLUMNS = ("file", "province", "agency_code", "document_type", "dossier_code", "pages")
# Files next to the scans that are not scans (the manifest itself, sample ground truth).
SIDECAR_SUFFIXES = (".csv", ".json", ".md", ".txt")


@dataclass(frozen=True)
class ManifestRow:
    line: int  # 1-based line in the CSV, for error messages
    file: str
    province: str | None = None
    agency_code: str | None = None
    document_type: str | None = None
    dossier_code: str | None = None
    pages: int | None = None
    error: str | None = None  # set when the row itself is unusable


def read_manifest(batch_dir: Path) -> list[ManifestRow] | None:
    """Rows of the batch's manifest.csv, or None when the batch has none (every scan is taken)."""
    path = batch_dir / MANIFEST_NAME
    if not path.exists():
        return None
    rows: list[ManifestRow] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("file",) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: manifest lacks column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        for index, raw in enumerate(reader, start=2):
            clean = {k: (v or "").strip() for k, v in raw.items() if k}
            error = None
            pages: int | None = None
            if clean.get("pages"):
                try:
                    pages = int(clean["pages"])
                    if pages < 1:
                        raise ValueError
                except ValueError:
                    error = f"line {index}: pages {clean['pages']!r} is not a positive number"
            if not clean.get("file"):
                error = f"line {index}: empty file column"
            rows.append(ManifestRow(
                line=index, file=clean.get("file", ""), province=clean.get("province") or None,
                agency_code=clean.get("agency_code") or None, document_type=clean.get("document_type") or None,
                dossier_code=clean.get("dossier_code") or None, pages=pages, error=error,
            ))
    return rows


def scan_candidates(batch_dir: Path) -> list[ManifestRow]:
    """Without a manifest: every regular file of the folder (recursively) that is not a sidecar."""
    rows = []
    for path in sorted(p for p in batch_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(batch_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(batch_dir).parts):
            continue
        if path.suffix.lower() in SIDECAR_SUFFIXES:
            continue
        rows.append(ManifestRow(line=0, file=rel))
    return rows
