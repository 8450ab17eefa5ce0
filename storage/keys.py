"""Object keys: province / agency / year / … so an archive can be browsed and retained by unit."""

from __future__ import annotations

import re
import unicodedata

from core.text import fold


def ascii_slug(text: str) -> str:
    """'Khánh Hòa' -> 'khanh-hoa' (S3 keys stay ASCII; the DB keeps the Vietnamese name)."""
    text = fold(unicodedata.normalize("NFKC", text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-") or "unknown"


def raw_key(province: str, agency: str, year: int, batch_id: int, sha256: str, suffix: str) -> str:
    return f"{ascii_slug(province)}/{ascii_slug(agency)}/{year}/batch-{batch_id}/{sha256}{suffix}"


def quarantine_key(batch_id: int, sha256: str, *, has_bytes: bool = True) -> str:
    """By the file's SHA-256 (its name goes in metadata): two names never share a key. A file whose
    bytes could not be kept (outside the batch, missing) is keyed by the SHA-256 of its name."""
    return f"batch-{batch_id}/{sha256}" if has_bytes else f"batch-{batch_id}/name-{sha256}"


def work_key(document_id: int, name: str) -> str:
    return f"documents/{document_id}/{name}"


def result_key(province: str, agency: str, year: int, result_code: str, suffix: str) -> str:
    return f"{ascii_slug(province)}/{ascii_slug(agency)}/{year}/{ascii_slug(result_code)}{suffix}"


def report_key(batch_id: int, name: str) -> str:
    return f"batch-{batch_id}/{name}"
