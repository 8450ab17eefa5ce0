"""Shared catalogues the validator looks values up in: provinces (63 old / 34 from 2025), agency
identifier codes, document types. Provinces come from roadmap/data/provinces_2025.csv (one source)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from roadmap.units import old_provinces
from schemas.document_types import DOCUMENT_TYPES

# Mã định danh of an agency as used in mã hồ sơ: e.g. 000.00.15.H34 (Decision 20/2020/QĐ-TTg shape).
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


def _key(name: str) -> str:
    text = unicodedata.normalize("NFC", name).strip().lower()
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        text = text.removeprefix(prefix)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    """Folded name -> 2025 province, for both the old 63 and the new 34 names."""
    out: dict[str, str] = {}
    for p in old_provinces():
        out[_key(p.name)] = p.province_2025
        out[_key(p.province_2025)] = p.province_2025
    return out


def province_2025(name: str | None) -> str | None:
    """The 2025 province a name (old or new, with or without 'tỉnh'/'thành phố') belongs to."""
    return _provinces().get(_key(name)) if name else None


def province_names() -> list[str]:
    """Every accepted spelling's canonical name (old and 2025), sorted; for GE value sets and forms."""
    names = {p.name for p in old_provinces()} | {p.province_2025 for p in old_provinces()}
    return sorted(names)


def is_agency_code(code: str | None) -> bool:
    return bool(code and AGENCY_CODE.match(code.strip()))


def document_type_codes() -> list[str]:
    return sorted(DOCUMENT_TYPES)
